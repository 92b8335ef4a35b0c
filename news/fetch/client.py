"""The Fetcher: one shared HTTP client for feeds and article pages, with every guard applied."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from typing import Self
from urllib.parse import urljoin

import httpx

from news.errors import (
    BlockedURLError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    TooManyRedirectsError,
)
from news.fetch.body import ACCEPT_ENCODING, parse_retry_after, read_body, read_file
from news.fetch.guard import guarded_transport, resolve_host
from news.fetch.urls import check_url, file_path
from news.models import FetchResult
from news.settings import Settings

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.8"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})


class _Moved(str):
    """The target of a permanent redirect (301/308): a feed's new address."""

    __slots__ = ()


RETRYABLE = frozenset({429, 503})


class Fetcher:
    """Downloads feeds and pages: conditional GET, byte cap, redirects and address checks."""

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._allow_private = settings.allow_private_networks
        # Our transport checks addresses as it connects; a transport handed in (tests, proxies)
        # connects on its own, so for it the check has to happen before the request.
        self._check_before = transport is not None and not self._allow_private
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        )
        self._client = httpx.AsyncClient(
            transport=transport or guarded_transport(allow_private=self._allow_private),
            timeout=timeout,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=False,  # followed by hand, so each hop meets check_url again
            trust_env=False,
        )
        # read_timeout bounds each silence; this bounds a server that trickles bytes forever.
        self._deadline = settings.connect_timeout + 2 * settings.read_timeout
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._host_users: dict[str, int] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_file: bool = False,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """Return what `url` holds now: status 200 with the body, or 304 with an empty body."""
        current = check_url(url, allow_file=allow_file)
        if current.startswith("file:"):
            cap = self._settings.max_body_bytes
            return await read_file(current, file_path(current), cap, last_modified)
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = {current}
        permanent = True  # so far every hop moved for good
        for _ in range(self._settings.max_redirects + 1):
            outcome = await self._hop(current, headers)
            if isinstance(outcome, FetchResult):
                log.debug(
                    "fetched url=%s status=%s bytes=%d", url, outcome.status, len(outcome.body)
                )
                if permanent and len(seen) > 1:
                    return replace(outcome, moved_to=current)
                return outcome
            permanent = permanent and isinstance(outcome, _Moved)
            if outcome in seen:
                raise TooManyRedirectsError(f"fetch: redirect loop at {outcome}")
            seen.add(outcome)
            current = outcome
        raise TooManyRedirectsError(
            f"fetch: more than {self._settings.max_redirects} redirects (stopped at {current})"
        )

    async def _hop(self, url: str, headers: dict[str, str]) -> FetchResult | str:
        """Return the result of one GET, or the checked URL it redirects to."""
        target = httpx.URL(url)
        if self._check_before:
            await resolve_host(target.host, target.port or 0, allow_private=False)
        async with self._host_slot(target.host):
            try:
                async with asyncio.timeout(self._deadline):
                    return await self._request(target, headers)
            except TimeoutError as exc:
                raise FetchTimeoutError(f"fetch: timed out after {self._deadline:g}s") from exc

    @asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        # One semaphore per host while anyone waits for or holds it, then forgotten: article
        # links name ever new hosts, and a long-running worker must not keep them all.
        semaphore = self._hosts.get(host)
        if semaphore is None:
            semaphore = self._hosts[host] = asyncio.Semaphore(self._settings.per_host_concurrency)
        self._host_users[host] = self._host_users.get(host, 0) + 1
        try:
            async with semaphore:
                yield
        finally:
            self._host_users[host] -= 1
            if not self._host_users[host]:
                del self._host_users[host], self._hosts[host]

    async def _request(self, url: httpx.URL, headers: dict[str, str]) -> FetchResult | str:
        request = self._client.build_request("GET", url, headers=headers)
        try:
            response = await self._client.send(request, stream=True)
            try:
                return await self._handle(response)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, url) from exc
        except httpx.InvalidURL as exc:
            # httpx prepares the next request of any redirect, even one it won't follow, and a
            # Location it cannot parse ("javascript:alert(1)") fails right there.
            raise BlockedURLError(f"fetch: refusing redirect to an invalid URL ({exc})") from exc

    async def _handle(self, response: httpx.Response) -> FetchResult | str:
        status = response.status_code
        if status in REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise HTTPStatusError(f"fetch: HTTP {status} redirect without Location", status)
            # allow_file stays False: a remote server must never send us to the local disk.
            target = check_url(urljoin(str(response.url), location))
            return _Moved(target) if status in PERMANENT else target
        retry_after = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
        if status != 304 and not 200 <= status < 300:
            raise _status_error(status, retry_after)
        body = b"" if status == 304 else await read_body(response, self._settings.max_body_bytes)
        return FetchResult(
            url=str(response.url),
            status=status,
            body=body,
            content_type=response.headers.get("content-type"),
            etag=_validator(response.headers.get("etag")),
            last_modified=_validator(response.headers.get("last-modified")),
            cache_control=response.headers.get("cache-control"),
            expires=response.headers.get("expires"),
            retry_after=retry_after,
        )

    def _transport_error(self, exc: httpx.HTTPError, url: httpx.URL) -> FetchError:
        where = url.netloc.decode("ascii")
        if isinstance(exc, httpx.ConnectTimeout):
            return FetchTimeoutError(
                f"fetch: timed out after {self._settings.connect_timeout:g}s connecting to {where}"
            )
        if isinstance(exc, httpx.TimeoutException):
            return FetchTimeoutError(f"fetch: timed out after {self._settings.read_timeout:g}s")
        reason = _root_reason(exc)
        if isinstance(exc, httpx.ConnectError):
            return FetchError(f"fetch: cannot connect to {where} ({reason})")
        return FetchError(f"fetch: connection to {where} failed ({reason})")


def _root_reason(exc: BaseException) -> str:
    """Return the underlying OS error's text: "Connection refused", not "All attempts failed"."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno:
            return os.strerror(cause.errno)
        cause = cause.__cause__ or cause.__context__
    return str(exc) or type(exc).__name__


def _status_error(status: int, retry_after: float | None) -> HTTPStatusError:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown Status"
    message = f"fetch: HTTP {status} {phrase}"
    if status in RETRYABLE and retry_after is not None:
        message += f" (retry after {retry_after:.0f}s)"
    return HTTPStatusError(message, status, retry_after if status in RETRYABLE else None)


def _validator(value: str | None) -> str | None:
    """Return an ETag or Last-Modified worth sending back: HTTP headers must be ASCII."""
    return value if value and value.isascii() else None

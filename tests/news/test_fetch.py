"""news.fetch against a real HTTP server on 127.0.0.1: what a feed poll meets in the wild."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from harness.feedserver import FeedServer, Reply
from harness.http import http_date
from news.errors import (
    BlockedURLError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
)
from news.fetch import FEED_ACCEPT, HTML_ACCEPT, Fetcher, check_url, is_public_address
from news.settings import Settings

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


@pytest.fixture
async def fetcher(settings: Settings) -> AsyncIterator[Fetcher]:
    async with Fetcher(settings) as f:
        yield f


def guarded(**changes: object) -> Settings:
    """Production-like settings: private networks refused."""
    return Settings(_env_file=None, allow_private_networks=False, **changes)  # type: ignore[arg-type]


async def test_200_returns_body_and_caching_headers(fetcher, feed_server, settings):
    url = feed_server.add(
        "/feed.xml",
        RSS,
        content_type="application/rss+xml",
        etag='"v1"',
        last_modified="Mon, 01 Jan 2024 00:00:00 GMT",
        headers={"Cache-Control": "max-age=600", "Expires": "Mon, 01 Jan 2024 01:00:00 GMT"},
    )

    result = await fetcher.fetch(url)

    assert result.status == 200
    assert result.body == RSS
    assert result.url == url
    assert result.content_type == "application/rss+xml"
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert result.cache_control == "max-age=600"
    assert result.expires == "Mon, 01 Jan 2024 01:00:00 GMT"
    assert result.retry_after is None
    sent = feed_server.last("/feed.xml").headers
    assert sent["user-agent"] == settings.user_agent
    assert sent["accept"] == FEED_ACCEPT
    assert "gzip" in sent["accept-encoding"]
    assert "if-none-match" not in sent


async def test_html_accept_is_sent_for_pages(fetcher, feed_server):
    url = feed_server.add("/page.html", b"<p>hi</p>", content_type="text/html")
    await fetcher.fetch(url, accept=HTML_ACCEPT)
    assert feed_server.last("/page.html").headers["accept"] == HTML_ACCEPT


async def test_seeds_directory_is_served_with_validators(fetcher, feed_server, tmp_path):
    feed_server.directory = tmp_path
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "a.xml").write_bytes(RSS)

    first = await fetcher.fetch(feed_server.url("/feeds/a.xml"))
    again = await fetcher.fetch(feed_server.url("/feeds/a.xml"), etag=first.etag)

    assert (first.status, first.body, first.content_type) == (200, RSS, "application/xml")
    assert (again.status, again.body) == (304, b"")


async def test_304_when_etag_matches(fetcher, feed_server):
    url = feed_server.add("/feed.xml", RSS, etag='"v1"')

    first = await fetcher.fetch(url)
    second = await fetcher.fetch(url, etag=first.etag)

    assert second.status == 304
    assert second.not_modified
    assert second.body == b""
    assert feed_server.last("/feed.xml").headers["if-none-match"] == '"v1"'


async def test_200_when_etag_changed(fetcher, feed_server):
    url = feed_server.add("/feed.xml", RSS, etag='"v2"')
    result = await fetcher.fetch(url, etag='"v1"')
    assert (result.status, result.body, result.etag) == (200, RSS, '"v2"')


async def test_304_when_not_modified_since(fetcher, feed_server):
    stamp = "Mon, 01 Jan 2024 00:00:00 GMT"
    url = feed_server.add("/feed.xml", RSS, last_modified=stamp)

    result = await fetcher.fetch(url, last_modified=stamp)

    assert (result.status, result.body) == (304, b"")
    assert feed_server.last("/feed.xml").headers["if-modified-since"] == stamp


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "fetch: HTTP 404 Not Found"),
        (500, "fetch: HTTP 500 Internal Server Error"),
        (410, "fetch: HTTP 410 Gone"),
        (599, "fetch: HTTP 599 Unknown Status"),
    ],
    ids=["404", "500", "410", "unknown"],
)
async def test_error_status_raises_with_clear_message(fetcher, feed_server, status, message):
    url = feed_server.add("/x", b"oops", status=status, headers={"Retry-After": "60"})

    with pytest.raises(HTTPStatusError) as caught:
        await fetcher.fetch(url)

    assert str(caught.value) == message
    assert caught.value.status == status
    assert caught.value.retry_after is None  # only 429/503 ask us to come back later


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_seconds(fetcher, feed_server, status):
    url = feed_server.add("/busy", status=status, headers={"Retry-After": "120"})

    with pytest.raises(HTTPStatusError) as caught:
        await fetcher.fetch(url)

    assert caught.value.status == status
    assert caught.value.retry_after == 120
    assert str(caught.value).startswith(f"fetch: HTTP {status} ")
    assert str(caught.value).endswith("(retry after 120s)")


async def test_retry_after_http_date(fetcher, feed_server):
    later = datetime.now(UTC) + timedelta(minutes=10)
    url = feed_server.add("/busy", status=429, headers={"Retry-After": http_date(later)})

    with pytest.raises(HTTPStatusError) as caught:
        await fetcher.fetch(url)

    assert caught.value.retry_after is not None
    assert 500 < caught.value.retry_after <= 600


async def test_503_without_retry_after(fetcher, feed_server):
    url = feed_server.add("/down", status=503)
    with pytest.raises(HTTPStatusError, match=r"^fetch: HTTP 503 Service Unavailable$") as caught:
        await fetcher.fetch(url)
    assert caught.value.retry_after is None


async def test_slow_server_times_out(settings, feed_server):
    url = feed_server.add("/slow", RSS, delay=5)
    async with Fetcher(settings.model_copy(update={"read_timeout": 0.5})) as fetcher:
        with pytest.raises(FetchTimeoutError, match=r"^fetch: timed out after 0\.5s$"):
            await fetcher.fetch(url)


async def test_trickling_server_is_cut_by_the_deadline(settings, feed_server):
    # A byte every 0.1 s never trips the 0.5 s read timeout; the overall deadline ends it.
    url = feed_server.trickle("/drip", interval=0.1)
    quick = settings.model_copy(update={"read_timeout": 0.5, "connect_timeout": 0.5})
    async with Fetcher(quick) as fetcher:
        with pytest.raises(FetchTimeoutError, match=r"^fetch: timed out after 1\.5s$"):
            await fetcher.fetch(url)


async def test_connection_refused(fetcher):
    with FeedServer() as gone:
        url = gone.url("/feed.xml")
    with pytest.raises(
        FetchError, match=r"^fetch: cannot connect to 127\.0\.0\.1:\d+ \(Connection refused\)$"
    ):
        await fetcher.fetch(url)


async def test_redirects_are_followed(fetcher, feed_server):
    feed_server.add("/new.xml", RSS, etag='"n"')
    feed_server.redirect("/old.xml", "/moved.xml", status=301)
    feed_server.redirect("/moved.xml", feed_server.url("/new.xml"), status=308)

    result = await fetcher.fetch(feed_server.url("/old.xml"), etag='"n"')

    assert result.status == 304
    assert result.url == feed_server.url("/new.xml")
    assert feed_server.count("/new.xml") == 1


def chain(server: FeedServer, length: int) -> str:
    """Register /r0 -> /r1 -> ... -> /r{length} (a feed); return the first URL."""
    server.add(f"/r{length}", RSS)
    for hop in range(length):
        server.redirect(f"/r{hop}", f"/r{hop + 1}")
    return server.url("/r0")


async def test_five_redirects_are_allowed(fetcher, feed_server):
    result = await fetcher.fetch(chain(feed_server, 5))
    assert (result.status, result.body, result.url) == (200, RSS, feed_server.url("/r5"))


async def test_six_redirects_are_too_many(fetcher, feed_server):
    with pytest.raises(TooManyRedirectsError, match=r"^fetch: more than 5 redirects"):
        await fetcher.fetch(chain(feed_server, 6))
    assert feed_server.count("/r6") == 0


async def test_redirect_loop(fetcher, feed_server):
    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", "/a")
    with pytest.raises(TooManyRedirectsError, match=r"^fetch: redirect loop at http://127"):
        await fetcher.fetch(feed_server.url("/a"))
    assert feed_server.count("/a") == 1


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "javascript:alert(1)", "ftp://127.0.0.1/feed"]
)
async def test_redirect_to_other_schemes_is_refused(fetcher, feed_server, location):
    url = feed_server.redirect("/evil", location)
    with pytest.raises(BlockedURLError):
        await fetcher.fetch(url, allow_file=True)


async def test_redirect_without_location(fetcher, feed_server):
    url = feed_server.add("/r", status=302)
    with pytest.raises(HTTPStatusError, match=r"^fetch: HTTP 302 redirect without Location$"):
        await fetcher.fetch(url)


async def test_every_redirect_hop_is_checked_against_the_guard():
    # A server can't be both public and local here; a tiny transport plays the public host.
    def public_host(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://127.0.0.1/admin"})

    transport = httpx.MockTransport(public_host)
    async with Fetcher(guarded(), transport=transport) as fetcher:
        with pytest.raises(
            BlockedURLError, match=r"^fetch: refusing private address 127\.0\.0\.1 "
        ):
            await fetcher.fetch("http://93.184.216.34/feed.xml")


async def test_gzip_body_is_decoded(fetcher, feed_server):
    body = RSS * 200
    url = feed_server.add("/feed.xml", body, gzip=True)

    result = await fetcher.fetch(url)

    assert result.body == body
    assert feed_server.last("/feed.xml").headers["accept-encoding"] == "gzip, deflate"


def raw_deflate(data: bytes) -> bytes:
    squeeze = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return squeeze.compress(data) + squeeze.flush()


@pytest.mark.parametrize("compress", [zlib.compress, raw_deflate], ids=["zlib", "raw"])
async def test_deflate_body_is_decoded(fetcher, feed_server, compress):
    url = feed_server.add("/feed.xml", compress(RSS), headers={"Content-Encoding": "deflate"})
    assert (await fetcher.fetch(url)).body == RSS


async def test_unknown_content_encoding_is_a_clear_error(fetcher, feed_server):
    url = feed_server.add("/feed.xml", b"\x00\x01", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchError, match=r"^fetch: unsupported Content-Encoding 'br'$"):
        await fetcher.fetch(url)


async def test_body_exactly_at_the_cap_is_accepted(settings, feed_server):
    url = feed_server.huge("/big", 64 * 1024, announce=False)
    async with Fetcher(settings.model_copy(update={"max_body_bytes": 64 * 1024})) as fetcher:
        assert len((await fetcher.fetch(url)).body) == 64 * 1024


def serve_oversize(server: FeedServer, kind: str) -> str:
    eleven_mib = 11 * 1024 * 1024
    if kind == "content-length":
        return server.huge("/big", eleven_mib, announce=True)
    if kind == "chunked":
        return server.huge("/big", eleven_mib, announce=False)
    if kind == "until-close":
        blocks = (b"a" * 65536 for _ in range(eleven_mib // 65536))
        return server.handle("/big", lambda _request: Reply(body=blocks))
    bomb = gzip.compress(b"\0" * 20 * 1024 * 1024)  # ~20 KiB on the wire
    return server.add("/big", bomb, headers={"Content-Encoding": "gzip"})


@pytest.mark.parametrize("kind", ["content-length", "chunked", "until-close", "gzip-bomb"])
async def test_oversize_body_is_refused(fetcher, feed_server, kind):
    url = serve_oversize(feed_server, kind)
    with pytest.raises(TooLargeError, match=r"^fetch: body larger than 10 MiB$"):
        await fetcher.fetch(url)


async def test_wrong_charset_bytes_pass_through_untouched(fetcher, feed_server):
    body = '<?xml version="1.0"?><rss><channel><title>Новости</title></channel></rss>'
    raw = body.encode("cp1251")  # the header below lies: these bytes are not UTF-8
    url = feed_server.add("/ru.xml", raw, content_type="text/xml; charset=utf-8")

    result = await fetcher.fetch(url)

    assert result.body == raw
    assert result.content_type == "text/xml; charset=utf-8"


async def test_per_host_concurrency_is_capped(fetcher, feed_server, settings):
    url = feed_server.add("/slow", RSS, delay=0.3)

    results = await asyncio.gather(*(fetcher.fetch(url) for _ in range(6)))

    assert [r.status for r in results] == [200] * 6
    assert feed_server.max_in_flight("/slow") == settings.per_host_concurrency == 2


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "2130706433", "0.0.0.0"],
    ids=["ipv4-loopback", "localhost", "ipv6-loopback", "ipv4-mapped", "decimal", "unspecified"],
)
async def test_private_addresses_are_refused(feed_server, host):
    url = f"http://{host}:{feed_server.port}/feed.xml"
    async with Fetcher(guarded()) as fetcher:
        with pytest.raises(
            BlockedURLError, match=r"^fetch: refusing private address \S+ for host "
        ):
            await fetcher.fetch(url)
    assert feed_server.requests == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),
        ("64:ff9b::7f00:1", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


async def test_file_url_and_path_allowed_from_the_command_line(fetcher, tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)

    by_path = await fetcher.fetch(str(path), allow_file=True)
    by_url = await fetcher.fetch(path.as_uri(), allow_file=True)
    again = await fetcher.fetch(str(path), allow_file=True, last_modified=by_path.last_modified)

    assert (by_path.status, by_path.body, by_path.url) == (200, RSS, path.as_uri())
    assert by_path.content_type == "application/xml"
    assert by_url == by_path
    assert (again.status, again.body) == (304, b"")


async def test_missing_and_oversize_files(settings, tmp_path):
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 2048)
    async with Fetcher(settings.model_copy(update={"max_body_bytes": 1024})) as fetcher:
        with pytest.raises(FetchError, match=r"^fetch: cannot read .*nope\.xml \(No such file"):
            await fetcher.fetch(str(tmp_path / "nope.xml"), allow_file=True)
        with pytest.raises(TooLargeError, match=r"^fetch: body larger than 1 KiB$"):
            await fetcher.fetch(str(big), allow_file=True)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/etc/passwd", "seeds/feeds/rss2.xml", "~/feed.xml"]
)
async def test_files_refused_unless_allowed(fetcher, url):
    with pytest.raises(BlockedURLError, match=r"^fetch: local files are not allowed here"):
        await fetcher.fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/feed.xml",
        "javascript:alert(1)",
        "data:text/xml,<rss/>",
        "gopher://example.com/",
        "file://otherhost/etc/passwd",
        "http:///feed.xml",
        "http://[::1/feed",
        "   ",
    ],
)
async def test_bad_urls_are_refused(fetcher, url):
    with pytest.raises(BlockedURLError, match=r"^fetch: "):
        await fetcher.fetch(url, allow_file=True)


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        (" HTTP://Example.COM/feed.xml#top ", "http://example.com/feed.xml"),
        ("https://example.com", "https://example.com/"),
        ("http://пример.рф/rss", "http://xn--e1afmkfd.xn--p1ai/rss"),
    ],
)
def test_check_url_normalizes(url, normalized):
    assert check_url(url) == normalized


def test_check_url_turns_paths_into_file_uris(tmp_path: Path) -> None:
    assert check_url(str(tmp_path / "a b.xml"), allow_file=True) == (tmp_path / "a b.xml").as_uri()

"""The Mini App's pages: each reads its chat from the session, never from the URL alone.

Every chat page's URL names the chat (/app/c/ID/...), and prepare() refuses it unless the
signed session cookie was opened for that very chat and its user is still a member; articles
and saved searches are then looked up within that chat. Pages are server-rendered templates
(auto-escaped); feed links are shown only when they are http(s).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from tornado.web import HTTPError, RequestHandler

from bot.web.auth import AuthError, Opener, check_init_data, check_link
from news import archive
from news.alerts import add_alert
from news.digest_times import FREQUENCIES
from news.errors import QueryError
from news.models import SearchHit
from news.render import format_when
from news.search import MARK_END, MARK_START, PER_PAGE, search_page
from news.source_actions import ACTIONS, change_source
from news.storage.sources import list_sources
from news.subscriptions import MAX_ARTICLES, update_subscription

if TYPE_CHECKING:
    from bot.web.server import WebApp

log = logging.getLogger(__name__)

SESSION_COOKIE = "newsbot_session"
SESSION_SECONDS = 12 * 3600
MAX_QUERY_CHARS = 500
MAX_PAGE = 200


def safe_href(url: str | None) -> str | None:
    """Return `url` if it is an http(s) address, else None: javascript: and data: stay text."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def marked(snippet: str) -> list[tuple[str, bool]]:
    """Return a snippet's pieces, each with whether it is a match (news.snippets' marks)."""
    pieces: list[tuple[str, bool]] = []
    for index, part in enumerate(snippet.split(MARK_START)):
        if index == 0:
            pieces.append((part, False))
            continue
        hit, _, rest = part.partition(MARK_END)
        pieces += [(hit, True), (rest, False)]
    return [(text, hl) for text, hl in pieces if text]


class Base(RequestHandler):
    """Security headers on every answer, errors as a short page."""

    web: WebApp

    def initialize(self, web: WebApp) -> None:
        self.web = web

    def set_default_headers(self) -> None:
        telegram = self._telegram_script()
        from bot.web.server import content_security_policy

        self.set_header(
            "Content-Security-Policy", content_security_policy(telegram_script=telegram)
        )
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    def _telegram_script(self) -> bool:
        # telegram-web-app.js only where Telegram can serve it: the public HTTPS address.
        web: WebApp = self.application.settings["newsbot_web"]  # set before initialize()
        return web.secure

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(
            href=safe_href,
            marked=marked,
            telegram_script=self._telegram_script(),
            chat_id=getattr(self, "chat_id", None),
            section="",
            page_title="newsbot",
        )
        return namespace

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = {
            401: "Open this app from the bot in Telegram, or send /web to the bot for a link.",
            403: "This page is not yours to see.",
            404: "Nothing here.",
            429: "Too many searches at once: wait a minute and try again.",
        }.get(status_code, "Something went wrong. Please try again.")
        self.render("error.html", status=status_code, reason=reason, page_title="newsbot")

    def now(self) -> datetime:
        """Return the current time, UTC-aware."""
        return datetime.now(UTC)


class NotFound(Base):
    def prepare(self) -> None:
        raise HTTPError(404)


class Entry(Base):
    """The page Telegram opens: its script trades the URL fragment's initData for a session."""

    def get(self) -> None:
        # Opened again in a browser that has a session: its script goes back to that chat,
        # unless Telegram hands it new initData (another chat, perhaps).
        session = read_session(self)
        resume = f"/app/c/{int(session['c'])}/digest" if session else ""
        self.render(
            "entry.html", xsrf=self.xsrf_token.decode(), resume=resume, page_title="newsbot"
        )


class Session(Base):
    """POST initData (checked, once only) -> a session cookie and where to go."""

    async def post(self) -> None:
        init_data = self.get_body_argument("init_data", "")
        try:
            opener = check_init_data(
                init_data,
                self.web.token,
                max_age=self.web.settings.web_init_max_age,
                now=time.time(),
            )
        except AuthError as exc:
            log.info("web session refused reason=%s", exc)
            self._refuse(HTTPStatus.FORBIDDEN, "This link from Telegram is not valid any more.")
            return
        if not await self.web.first_use(opener):
            log.info("web session refused reason=replayed")
            self._refuse(HTTPStatus.FORBIDDEN, "This link from Telegram was used already.")
            return
        if not (await self.web.members.standing(opener.chat_id, opener.user_id)).member:
            self._refuse(HTTPStatus.FORBIDDEN, "Only members of that chat can open its news.")
            return
        start_session(self, opener)
        self.write({"next": f"/app/c/{opener.chat_id}/digest"})

    def _refuse(self, status: int, text: str) -> None:
        self.set_status(status)
        self.write({"error": text})


class Link(Base):
    """GET a signed /web link -> a session cookie, then today's digest."""

    async def get(self, token: str) -> None:
        try:
            opener = check_link(token, self.web.token, now=time.time())
        except AuthError as exc:
            log.info("web link refused reason=%s", exc)
            raise HTTPError(403) from None
        if not (await self.web.members.standing(opener.chat_id, opener.user_id)).member:
            raise HTTPError(403)
        start_session(self, opener)
        self.redirect(f"/app/c/{opener.chat_id}/digest")


def start_session(handler: RequestHandler, opener: Opener) -> None:
    """Set the signed session cookie for the opener's chat."""
    web: WebApp = handler.web  # type: ignore[attr-defined]
    value = json.dumps(
        {"u": opener.user_id, "c": opener.chat_id, "v": opener.via, "e": time.time()}
    )
    handler.set_signed_cookie(
        SESSION_COOKIE,
        value,
        expires_days=None,
        httponly=True,
        secure=web.secure,
        samesite="None" if web.secure else "Lax",
        path="/app",
    )


def read_session(handler: RequestHandler) -> dict[str, Any] | None:
    """Return the signed session cookie's fields, or None when there is no fresh one."""
    raw = handler.get_signed_cookie(SESSION_COOKIE, max_age_days=SESSION_SECONDS / 86400)
    try:
        session = json.loads(raw) if raw else None
        if not isinstance(session, dict) or time.time() - float(session["e"]) >= SESSION_SECONDS:
            return None
        int(session["c"]), int(session["u"])
    except (ValueError, KeyError, TypeError):
        return None
    return session


class ChatPage(Base):
    """A page of one chat: the session must be for that chat, its user still a member."""

    chat_id: int
    user_id: int
    via: str
    view: archive.ChatView
    FRESH = False  # True: read what the chat reads afresh, not from the last moment's memory

    async def prepare(self) -> None:
        session = read_session(self)
        if session is None:
            raise HTTPError(401)
        wanted = int(self.path_args[0])
        if int(session["c"]) != wanted:
            log.info("web page refused: another chat's id in the URL")
            raise HTTPError(403)
        self.chat_id, self.user_id, self.via = wanted, int(session["u"]), str(session["v"])
        standing = await self.web.members.standing(self.chat_id, self.user_id)
        if not standing.member:
            raise HTTPError(403)
        self.admin = standing.admin
        self.view = await self.web.view(self.chat_id, fresh=self.FRESH)

    def may_change(self) -> bool:
        """Return whether this session may change the chat's settings and sources.

        In a group only its admins, and only from Telegram itself: a /web link posted in a
        group could be opened by anyone there.
        """
        if self.chat_id == self.user_id:
            return True
        return self.admin and self.via == "telegram"

    def when(self, at: datetime | None) -> str:
        return format_when(at, tz=self.view.timezone, now=self.now())

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        if hasattr(self, "view"):  # not on an error page of a refused request
            part = [*self.request.path.split("/"), "", "", "", ""][4] or "digest"
            section = {"day": "archive", "alert": "search"}.get(part, part)
            namespace.update(when=self.when, base=f"/app/c/{self.chat_id}", section=section)
        else:
            namespace["chat_id"] = None
        return namespace


class Today(ChatPage):
    async def get(self, _chat: str) -> None:
        today = archive.local_day(self.now(), self.view.timezone)
        await self._day(today, title="Today")

    async def _day(self, day: date, *, title: str) -> None:
        digest = await self.web.days.get(self.view, day, now=self.now())
        self.render("digest.html", digest=digest, day=day, heading=title, page_title=title)


class Day(Today):
    async def get(self, _chat: str, day_text: str) -> None:  # type: ignore[override]
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise HTTPError(404) from None
        if day > archive.local_day(self.now(), self.view.timezone):
            raise HTTPError(404)
        await self._day(day, title=f"{day:%A, %d %B %Y}")


class Archive(ChatPage):
    async def get(self, _chat: str) -> None:
        days = archive.archive_days(self.view, now=self.now())
        self.render("archive.html", days=days, page_title="Archive")


class ArticlePage(ChatPage):
    async def get(self, _chat: str, article_id: str) -> None:
        article = await archive.chat_article(self.web.store, self.view, int(article_id))
        if article is None:
            raise HTTPError(404)
        self.render("article.html", article=article, page_title=article.title[:80])


class Search(ChatPage):
    """GET ?q=WORDS&page=N: a page of results within the chat's feeds; every page counts
    against the chat's searches per minute."""

    async def get(self, _chat: str) -> None:
        store, at = self.web.store, self.now()
        query = self.get_query_argument("q", "").strip()[:MAX_QUERY_CHARS]
        page = min(max(_int(self.get_query_argument("page", "1")) or 1, 1), MAX_PAGE)
        hits: list[SearchHit] = []
        has_more, problem = False, None
        if query:
            if not self.web.search_allowed(self.chat_id):
                raise HTTPError(429)
            try:
                found = await search_page(
                    store, query, page=page, per_page=PER_PAGE, feed_ids=self.view.feed_ids, now=at
                )
                hits, has_more = found.hits, found.has_more
            except QueryError as exc:
                problem = str(exc)
        more = urlencode({"q": query, "page": page + 1}) if has_more else None
        less = urlencode({"q": query, "page": page - 1}) if page > 1 else None
        self.render(
            "search.html",
            query=query,
            hits=hits,
            page=page,
            more=more,
            less=less,
            problem=problem,
            alerted=self.get_query_argument("alerted", "") == "1",
            page_title="Search",
        )


class AlertMe(ChatPage):
    async def post(self, _chat: str) -> None:
        if not self.may_change():
            raise HTTPError(403)
        query = self.get_body_argument("q", "").strip()[:MAX_QUERY_CHARS]
        try:
            await add_alert(self.web.store, self.chat_id, query, now=self.now())
        except QueryError as exc:
            self.render(
                "message.html", heading="Alert not saved", text=str(exc), page_title="Alert"
            )
            return
        self.redirect(f"/app/c/{self.chat_id}/search?" + urlencode({"q": query, "alerted": 1}))


class Sources(ChatPage):
    FRESH = True

    async def get(self, _chat: str) -> None:
        found = await list_sources(
            self.web.store, self.chat_id, week_since=self.now() - timedelta(days=7)
        )
        self.render(
            "sources.html",
            sources=found,
            at=self.now(),
            may_change=self.may_change(),
            page_title="Sources",
        )

    async def post(self, _chat: str) -> None:
        if not self.may_change():
            raise HTTPError(403)
        action = self.get_body_argument("action", "")
        feed_id = _int(self.get_body_argument("feed_id", ""))
        if action not in ACTIONS or not feed_id:
            raise HTTPError(400)
        await change_source(self.web.store, self.chat_id, feed_id, action, now=self.now())
        self.web.forget(self.chat_id)
        self.redirect(f"/app/c/{self.chat_id}/sources")


class SettingsPage(ChatPage):
    FRESH = True

    async def get(self, _chat: str) -> None:
        self._show(error=None, saved=self.get_query_argument("saved", "") == "1")

    def _show(self, *, error: str | None, saved: bool) -> None:
        self.render(
            "settings.html",
            sub=self.view.subscription,
            frequencies=FREQUENCIES,
            max_articles=MAX_ARTICLES,
            may_change=self.may_change(),
            error=error,
            saved=saved,
            page_title="Settings",
        )

    async def post(self, _chat: str) -> None:
        if not self.may_change():
            raise HTTPError(403)
        arg = self.get_body_argument
        times = [t.strip() for t in (arg("time1", ""), arg("time2", "")) if t.strip()]
        try:
            await update_subscription(
                self.web.store,
                self.chat_id,
                now=self.now(),
                digest_times=times,  # type: ignore[arg-type] # clean_times parses "HH:MM"
                timezone=arg("timezone", "").strip() or None,
                frequency=arg("frequency", "") or None,
                max_articles=_int(arg("max_articles", "")) or None,
                link_previews=arg("link_previews", "") == "on",
            )
        except ValueError as exc:
            self.set_status(400)
            self._show(error=str(exc), saved=False)
            return
        self.web.forget(self.chat_id)
        self.redirect(f"/app/c/{self.chat_id}/settings?saved=1")


def _int(text: str) -> int:
    return int(text) if text.isdigit() and len(text) <= 12 else 0

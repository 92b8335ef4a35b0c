"""The Mini App's web server: Tornado (as /healthz and PTB's webhook), in the caller's loop.

Safety lives here, once for every page: templates auto-escape, every answer carries a strict
Content-Security-Policy (scripts only from this origin, and Telegram's own script in
production), every POST needs the XSRF token (Tornado's xsrf_cookies), and the session cookie
is signed with a key derived from the bot token (every replica derives the same).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram import Bot
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.web import handlers
from bot.web.auth import CLOCK_SKEW, Opener, derived_key
from bot.web.members import Members
from news import archive
from news.settings import Settings
from news.storage import web_opened
from news.storage.db import Store

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PREFIX = "/app"
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024  # forms and initData only
IDLE_SECONDS = 30.0
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
# What a chat reads (sources, time zone, filters) is kept this long between its pages; the
# settings and sources pages always read it afresh, and a change made here forgets it.
VIEW_SECONDS = 10.0
VIEWS_KEPT = 10_000


@dataclass
class WebApp:
    """What the pages need: settings, store, the member cache, the bot token, and what it
    remembers between pages."""

    settings: Settings
    store: Store
    members: Members
    token: str
    days: archive.DayDigests = field(init=False)
    _views: dict[int, tuple[float, archive.ChatView]] = field(init=False, default_factory=dict)
    _searches: dict[int, deque[float]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.days = archive.DayDigests(self.store)

    async def view(self, chat_id: int, *, fresh: bool = False) -> archive.ChatView:
        """Return what the chat reads, from memory when it was read a moment ago."""
        now = time.monotonic()
        found = self._views.get(chat_id)
        if not fresh and found is not None and now - found[0] < VIEW_SECONDS:
            return found[1]
        view = await archive.chat_view(
            self.store, chat_id, default_timezone=self.settings.timezone
        )
        if len(self._views) >= VIEWS_KEPT:
            self._views.clear()
        self._views[chat_id] = (now, view)
        return view

    async def first_use(self, opener: Opener) -> bool:
        """Return whether this initData opens its first session (a replay is refused)."""
        now = datetime.now(UTC)
        lasts = self.settings.web_init_max_age + 2 * CLOCK_SKEW
        expires = datetime.fromtimestamp(opener.signed_at, UTC) + timedelta(seconds=lasts)
        return await web_opened.first_use(self.store, opener.proof, now=now, expires_at=expires)

    def forget(self, chat_id: int) -> None:
        """Forget what the chat reads: it changed it here."""
        self._views.pop(chat_id, None)

    def search_allowed(self, chat_id: int) -> bool:
        """Return whether the chat may search again: NEWSBOT_SEARCH_PER_MINUTE, every page.

        Counted in this process (the chat's /search counts in the database): a search here
        then writes nothing.
        """
        now = time.monotonic()
        recent = self._searches.setdefault(chat_id, deque())
        while recent and now - recent[0] >= 60:
            recent.popleft()
        if len(recent) >= self.settings.search_per_minute:
            return False
        recent.append(now)
        if len(self._searches) > VIEWS_KEPT:
            self._searches = {chat_id: recent}
        return True

    @property
    def secure(self) -> bool:
        """Return whether the app is served over HTTPS (cookies then say Secure)."""
        return (self.settings.web_base_url or "").startswith("https://")


def content_security_policy(*, telegram_script: bool) -> str:
    """Return the CSP of every answer: nothing inline, nothing from elsewhere but Telegram's."""
    scripts = "'self' https://telegram.org" if telegram_script else "'self'"
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
        )
    )


def make_application(app: WebApp) -> Application:
    """Return the Tornado Application of the Mini App."""
    chat = PREFIX + r"/c/(-?\d{1,16})"
    args = {"web": app}
    cookie_samesite = "None" if app.secure else "Lax"
    return Application(
        [
            (PREFIX + "/?", handlers.Entry, args),
            (PREFIX + "/session", handlers.Session, args),
            (PREFIX + r"/link/([0-9a-f.\-]{1,120})", handlers.Link, args),
            (chat + "/?", handlers.Today, args),
            (chat + "/digest", handlers.Today, args),
            (chat + "/archive", handlers.Archive, args),
            (chat + r"/day/(\d{4}-\d{2}-\d{2})", handlers.Day, args),
            (chat + r"/article/(\d{1,12})", handlers.ArticlePage, args),
            (chat + "/search", handlers.Search, args),
            (chat + "/alert", handlers.AlertMe, args),
            (chat + "/sources", handlers.Sources, args),
            (chat + "/settings", handlers.SettingsPage, args),
        ],
        template_path=str(HERE / "templates"),
        static_path=str(HERE / "static"),
        static_url_prefix=PREFIX + "/static/",
        cookie_secret=derived_key(app.token, "cookie").hex(),
        xsrf_cookies=True,
        xsrf_cookie_kwargs={
            "httponly": True,
            "secure": app.secure,
            "samesite": cookie_samesite,
            "path": PREFIX,
        },
        default_handler_class=handlers.NotFound,
        default_handler_args=args,
        log_function=_quiet,
        autoescape="xhtml_escape",
        compress_response=True,
        newsbot_web=app,
    )


def _quiet(handler: RequestHandler) -> None:
    # Paths hold chat ids and search words: debug only.
    log.debug("web %s %s", handler.request.method, handler.get_status())


def web_bot(settings: Settings) -> Bot:
    """Return the PTB Bot the app asks getChatMember with."""
    if settings.telegram_token is None:
        raise ValueError("NEWSBOT_TELEGRAM_TOKEN is not set")
    return Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_base_url)


@contextlib.asynccontextmanager
async def serving_web(
    store: Store, settings: Settings, *, host: str | None = None, port: int | None = None
) -> AsyncIterator[int]:
    """Serve the Mini App (host/port default to NEWSBOT_WEB_LISTEN/PORT; 0: any free port)."""
    bot = web_bot(settings)
    members = Members(bot)
    app = WebApp(settings, store, members, bot.token)
    server = HTTPServer(
        make_application(app),
        max_header_size=MAX_HEADER_BYTES,
        max_body_size=MAX_BODY_BYTES,
        idle_connection_timeout=IDLE_SECONDS,
        xheaders=True,  # behind the reverse proxy: X-Forwarded-For / -Proto
    )
    sockets = bind_sockets(
        settings.web_port if port is None else port, host or settings.web_listen
    )
    server.add_sockets(sockets)
    bound = int(sockets[0].getsockname()[1])
    log.info("web app listening port=%s", bound)
    try:
        yield bound
    finally:
        server.stop()
        await server.close_all_connections()
        await members.aclose()

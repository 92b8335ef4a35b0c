"""Every setting of newsbot: an environment variable with prefix NEWSBOT_ (or a line in .env)."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///data/newsbot.db"
TELEGRAM_BASE_URL = "https://api.telegram.org/bot"


def async_database_url(url: str) -> str:
    """Return `url` with an async driver: sqlite -> aiosqlite, postgresql -> asyncpg."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url.removeprefix("sqlite:")
    for prefix in ("postgresql:", "postgres:", "postgresql+psycopg2:", "postgresql+psycopg:"):
        if url.startswith(prefix):
            return "postgresql+asyncpg:" + url.removeprefix(prefix)
    return url


class Settings(BaseSettings):
    """newsbot's configuration; built once at start and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_",
        env_file=".env",
        extra="ignore",
        secrets_dir=None,
        validate_default=True,
    )

    # Storage
    database_url: str = Field(
        DEFAULT_SQLITE_URL,
        description="Database URL: SQLite file (default) or postgresql+asyncpg://user@host/db",
    )
    database_pool_size: int = Field(
        10,
        ge=1,
        le=1000,
        description="PostgreSQL connections a process keeps open (as many more at peaks)",
    )

    # Fetching
    allow_private_networks: bool = Field(
        False, description="Allow feeds and pages on loopback/private addresses (off: SSRF guard)"
    )
    user_agent: str = Field(
        "newsbot/0.1 (+https://github.com/newsbot/newsbot)",
        description="User-Agent sent with every request",
    )
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to wait for a connection")
    # news/fetch: each silence is bounded by this, a whole request by connect + 2 x read.
    read_timeout: float = Field(
        20.0,
        gt=0,
        description=(
            "Seconds a server may stay silent; a whole request may take the connect timeout "
            "plus twice this (50 s by default)"
        ),
    )
    max_body_bytes: int = Field(
        10 * 1024 * 1024, gt=0, description="Largest feed or page body downloaded, in bytes"
    )
    max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed at most")
    per_host_concurrency: int = Field(2, ge=1, description="Requests at once to one host")
    poll_concurrency: int = Field(16, ge=1, description="Feeds refreshed at once by one worker")

    # Polling schedule (seconds)
    poll_tick: float = Field(
        60.0,
        gt=0,
        description="Seconds between polling ticks (each tick polls only the due feeds)",
    )
    min_check_interval: int = Field(
        15 * 60, ge=1, description="Shortest time between two polls of one feed, seconds"
    )
    max_check_interval: int = Field(
        24 * 3600, ge=1, description="Longest time between two polls of one feed, seconds"
    )
    max_backoff: int = Field(
        24 * 3600, ge=1, description="Longest wait before retrying a failing feed, seconds"
    )
    lease_seconds: int = Field(
        300,
        ge=10,
        description="How long a worker holds a claimed feed or article before another may take it",
    )

    # Extraction and summaries
    teaser_words: int = Field(
        80,
        ge=0,
        description="Feed texts shorter than this many words are completed from the article page",
    )
    pages_per_round: int = Field(
        50,
        ge=1,
        description="Article pages fetched per feed and round at most (the rest: next rounds)",
    )
    summary_sentences: int = Field(3, ge=1, le=10, description="Sentences per summary")
    summary_max_chars: int = Field(600, ge=100, description="Longest summary, in characters")
    summarize_processes: int = Field(
        1,
        ge=0,
        le=32,
        description=(
            "Processes that summarize beside a worker or `newsbot poll`, plus one that parses "
            "their feeds (0: all in its threads)"
        ),
    )
    summarize_batch: int = Field(50, ge=1, description="Articles claimed per summarizing round")

    # Telegram
    telegram_token: SecretStr | None = Field(
        None,
        description="Bot token from @BotFather (required for run, bot and sender; never logged)",
    )
    telegram_base_url: str = Field(
        TELEGRAM_BASE_URL,
        description="Bot API base URL (point it at a local Bot API server if you run one)",
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        [], description="Comma-separated Telegram user ids allowed to run admin commands"
    )
    digest_times: Annotated[list[time], NoDecode] = Field(
        [time(8, 0)],
        description="One or two comma-separated HH:MM digest times for new subscriptions",
    )
    timezone: str = Field(
        "UTC", description="IANA time zone for new subscriptions, e.g. Europe/Berlin"
    )
    digest_articles: int = Field(
        10, ge=1, le=50, description="Stories per digest for new subscriptions"
    )
    send_rate: float = Field(30.0, gt=0, description="Messages per second at most, over all chats")
    chat_interval: float = Field(
        1.0, ge=0, description="Seconds between two messages to one chat, at least"
    )
    group_per_minute: int = Field(
        20, ge=1, description="Messages per minute to one group or channel, at most"
    )
    outbox_lease_seconds: int = Field(
        60,
        ge=5,
        description="Seconds the sender holds a message it took (a restart waits that long)",
    )
    search_per_minute: int = Field(10, ge=1, description="Searches per minute one chat may run")
    alerts_per_hour: int = Field(
        10, ge=1, description="Alert messages per chat and hour; the rest fold into one"
    )
    feeds_per_chat: int = Field(100, ge=1, description="Sources one chat may have at most")
    adds_per_hour: int = Field(30, ge=1, description="Sources one chat may add per hour")
    max_feeds: int = Field(
        10000, ge=1, description="Feeds at most in all; chats then add only feeds already known"
    )
    webhook_url: str | None = Field(
        None, description="Public HTTPS URL for webhook mode (unset: long polling)"
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram sends with webhook calls"
    )
    webhook_listen: str = Field("0.0.0.0", description="Address the webhook server listens on")  # noqa: S104 - a webhook must be reachable by its proxy
    webhook_port: int = Field(
        8443, ge=1, le=65535, description="Port the webhook server listens on"
    )

    # Operations
    http_port: int = Field(0, ge=0, le=65535, description="Port of /healthz and /metrics (0: off)")
    # The Mini App (bot/web): its own port, so /metrics never sits behind the public proxy.
    web_base_url: str | None = Field(
        None,
        description=(
            "Public HTTPS address of the Mini App behind the reverse proxy, e.g. "
            "https://news.example.com (unset: `newsbot run` serves no web app)"
        ),
    )
    web_listen: str = Field("0.0.0.0", description="Address the Mini App listens on")  # noqa: S104 - its proxy must reach it
    web_port: int = Field(8088, ge=1, le=65535, description="Port the Mini App listens on")
    web_link_minutes: int = Field(
        60, ge=1, le=7 * 24 * 60, description="Minutes a link from /web stays valid"
    )
    web_init_max_age: int = Field(
        3600,
        ge=60,
        le=86400,
        description="Seconds the Mini App's initData is accepted after Telegram signed it",
    )
    log_level: str = Field("INFO", description="Log level: DEBUG, INFO, WARNING or ERROR")
    data_dir: Path = Field(Path("data"), description="Folder for local state (the demo database)")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("web_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value.strip()):
            raise ValueError(f"{value!r} is not an address like https://news.example.com")
        return value.strip().rstrip("/")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("digest_times", mode="before")
    @classmethod
    def _split_times(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            for part in parts:
                if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", part):
                    raise ValueError(f"{part!r} is not a time of day like 08:00")
            if not 1 <= len(parts) <= 2:
                raise ValueError("give one or two times of day, like 08:00 or 08:00,18:00")
            return parts
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone like Europe/Berlin") from exc
        return value

    @property
    def is_sqlite(self) -> bool:
        """Return whether the database is SQLite."""
        return self.database_url.startswith("sqlite")


def _default_text(name: str) -> str:
    value = Settings.model_fields[name].default
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(v.strftime("%H:%M") if isinstance(v, time) else str(v) for v in value)
    return str(value)


def reference() -> list[tuple[str, str, str]]:
    """Return (variable, default, description) for every setting, in declaration order."""
    return [
        (f"NEWSBOT_{name.upper()}", _default_text(name), field.description or "")
        for name, field in Settings.model_fields.items()
    ]


def env_example() -> str:
    """Return the text of deploy/.env.example: every setting with its default and a comment."""
    lines = ["# newsbot settings: every variable with its default. Uncomment to change one.", ""]
    for variable, default, description in reference():
        lines += [f"# {description}", f"# {variable}={default}", ""]
    return "\n".join(lines)


def markdown_table() -> str:
    """Return the README's settings table."""
    rows = ["| Variable | Default | What it does |", "|---|---|---|"]
    rows += [
        f"| `{v}` | `{d}` | {text} |" if d else f"| `{v}` | | {text} |"
        for v, d, text in reference()
    ]
    return "\n".join(rows)

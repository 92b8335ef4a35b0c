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
    database_url: str = DEFAULT_SQLITE_URL

    # Fetching
    allow_private_networks: bool = False
    user_agent: str = "newsbot/0.1 (+https://github.com/newsbot/newsbot)"
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    per_host_concurrency: int = Field(2, ge=1)
    poll_concurrency: int = Field(16, ge=1)

    # Polling schedule (seconds)
    poll_tick: float = Field(60.0, gt=0)
    min_check_interval: int = Field(15 * 60, ge=1)
    max_check_interval: int = Field(24 * 3600, ge=1)
    max_backoff: int = Field(24 * 3600, ge=1)
    lease_seconds: int = Field(300, ge=10)
    poll_batch: int = Field(100, ge=1)

    # Extraction and summaries
    teaser_words: int = Field(80, ge=0)
    summary_sentences: int = Field(3, ge=1, le=10)
    summary_max_chars: int = Field(600, ge=100)
    summarize_batch: int = Field(50, ge=1)

    # Telegram
    telegram_token: SecretStr | None = None
    telegram_base_url: str = TELEGRAM_BASE_URL
    admin_ids: Annotated[list[int], NoDecode] = []
    digest_times: Annotated[list[time], NoDecode] = [time(8, 0)]
    timezone: str = "UTC"
    digest_articles: int = Field(10, ge=1, le=50)
    send_rate: float = Field(30.0, gt=0)
    chat_interval: float = Field(1.0, ge=0)
    group_per_minute: int = Field(20, ge=1)
    search_per_minute: int = Field(10, ge=1)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"  # noqa: S104 - a webhook must be reachable by its proxy
    webhook_port: int = Field(8443, ge=1, le=65535)

    # Operations
    http_port: int = Field(0, ge=0, le=65535)
    log_level: str = "INFO"
    data_dir: Path = Path("data")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

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

"""When to check a feed next: from its TTL, HTTP caching headers, Retry-After and how often it
publishes, clamped between the configured minimum and maximum (the miniflux way)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def max_age_seconds(cache_control: str | None) -> int | None:
    """Return the max-age of a Cache-Control header, or None."""
    if not cache_control:
        return None
    if re.search(r"no-store|no-cache", cache_control, re.IGNORECASE):
        return None
    match = _MAX_AGE.search(cache_control)
    return int(match.group(1)) if match else None


def expires_in(expires: str | None, now: datetime) -> float | None:
    """Return the seconds until an Expires header's date, or None when absent or invalid."""
    if not expires:
        return None
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return (when - now).total_seconds()


def publish_interval(dates: Sequence[datetime | None]) -> float | None:
    """Return the average seconds between a feed's entries, or None with fewer than two dates."""
    known = sorted(d for d in dates if d is not None)
    if len(known) < 2:
        return None
    span = (known[-1] - known[0]).total_seconds()
    return span / (len(known) - 1) if span > 0 else None


def next_check(
    now: datetime,
    *,
    min_interval: int,
    max_interval: int,
    ttl_minutes: int | None = None,
    cache_control: str | None = None,
    expires: str | None = None,
    retry_after: float | None = None,
    entry_dates: Sequence[datetime | None] = (),
) -> datetime:
    """Return when a successfully polled feed is due again.

    A feed that publishes every few days need not be checked every 15 minutes: half its average
    publishing interval is soon enough to notice a new item. The server's own hints (TTL,
    max-age, Expires, Retry-After) are lower bounds: checking earlier only wastes its bandwidth.
    """
    interval = float(min_interval)
    cadence = publish_interval(entry_dates)
    if cadence is not None:
        interval = max(interval, cadence / 2)
    hints = [
        ttl_minutes * 60 if ttl_minutes else None,
        max_age_seconds(cache_control),
        expires_in(expires, now),
    ]
    interval = max([interval, *(h for h in hints if h is not None)])
    if retry_after is not None:
        interval = max(interval, retry_after)
    # Retry-After counts too, but a server cannot send us away for longer than the maximum.
    interval = min(interval, float(max_interval))
    return now + timedelta(seconds=max(interval, float(min_interval)))


def backoff(
    now: datetime,
    *,
    error_count: int,
    min_interval: int,
    max_backoff: int,
    retry_after: float | None = None,
) -> datetime:
    """Return when a failing feed is tried again: doubling from the minimum, capped."""
    exponent = min(max(error_count - 1, 0), 16)
    delay = min(float(min_interval) * (2**exponent), float(max_backoff))
    if retry_after is not None:
        delay = max(delay, min(retry_after, float(max_backoff)))
    return now + timedelta(seconds=delay)

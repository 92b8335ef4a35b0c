"""Digest times: when a subscription's next digest is due, in UTC. Pure, no I/O.

Times are local wall-clock times in the subscription's IANA zone (zoneinfo, DST-correct):
- a local time that does not exist (spring forward) moves forward by the gap, e.g. 02:30 in
  Europe/Berlin on the last Sunday of March becomes 03:30 CEST (PEP 495 fold=0, as cron and
  java.time do);
- a local time that happens twice (fall back) is used once, at its first occurrence.
`hourly` counts real hours instead: every hour at the configured local minute, so it neither
skips nor doubles around a DST change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from news import words

FREQUENCIES = ("daily", "twice", "hourly", "off")

_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def parse_time(value: str | time) -> time:
    """Return the time of day of "HH:MM" (or a time), without seconds; ValueError if malformed."""
    if isinstance(value, time):
        return time(value.hour, value.minute)
    match = _HHMM.fullmatch(value.strip())
    if match is None:
        raise ValueError(words.not_a_time(value.strip()[:20]))
    return time(int(match[1]), int(match[2]))


def format_time(value: time) -> str:
    """Return `value` as "HH:MM"."""
    return f"{value.hour:02d}:{value.minute:02d}"


def zone(name: str) -> ZoneInfo:
    """Return the ZoneInfo of an IANA name; ValueError with a user-facing message if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "Europe" is a folder
        raise ValueError(words.not_a_zone(name[:60])) from exc


def _times_of_day(digest_times: Sequence[str | time], frequency: str) -> list[time]:
    times = [parse_time(value) for value in digest_times]
    if not times:
        raise ValueError("at least one digest time is needed")
    if frequency == "daily":
        return times[:1]
    if len(times) >= 2:
        return times[:2]
    first = times[0]
    return [first, time((first.hour + 12) % 24, first.minute)]


def _next_daily(after: datetime, times: list[time], tz: ZoneInfo) -> datetime:
    local_day = after.astimezone(tz).date()
    candidates = []
    # Yesterday..two days ahead covers every offset (-12h..+14h) and a skipped day at a DST change.
    for delta in (-1, 0, 1, 2):
        day = local_day + timedelta(days=delta)
        for at in times:
            candidates.append(_local_to_utc(day, at, tz))
    return min(c for c in candidates if c > after)


def _local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    # fold=0: a skipped time takes the offset before the gap (moves forward); a repeated time
    # is its first occurrence.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _next_hourly(after: datetime, minute: int, tz: ZoneInfo) -> datetime:
    candidates = []
    for hours in (0, 1, 2):
        # Stepping in real time and keeping the local fold repeats the doubled hour at fall back
        # and skips nothing at spring forward; the local minute survives half-hour offsets.
        local = (after + timedelta(hours=hours)).astimezone(tz)
        candidates.append(local.replace(minute=minute, second=0, microsecond=0).astimezone(UTC))
    return min(c for c in candidates if c > after)


def next_digest_at(
    *, after: datetime, digest_times: Sequence[str | time], timezone: str, frequency: str
) -> datetime | None:
    """Return the first digest time strictly after `after` as UTC, or None when frequency is off.

    daily: the first configured time; twice: the two configured times, or the first one and
    12 hours later; hourly: every hour at the first configured time's minute.
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    if frequency == "off":
        return None
    tz = zone(timezone)
    after = after.astimezone(UTC)
    times = _times_of_day(digest_times, frequency)
    if frequency == "hourly":
        return _next_hourly(after, times[0].minute, tz)
    return _next_daily(after, times, tz)


def slot_key(due_at: datetime) -> str:
    """Return the stable key of a scheduled digest slot, e.g. "digest:2026-11-25T08:00Z"."""
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    return "digest:" + due_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")

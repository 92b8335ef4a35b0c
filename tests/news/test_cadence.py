from datetime import UTC, datetime, timedelta

from news.cadence import backoff, max_age_seconds, next_check, publish_interval

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
LIMITS = {"min_interval": 900, "max_interval": 86400}


def test_defaults_to_the_minimum_interval() -> None:
    assert next_check(NOW, **LIMITS) == NOW + timedelta(seconds=900)


def test_server_hints_are_lower_bounds() -> None:
    assert next_check(NOW, ttl_minutes=60, **LIMITS) == NOW + timedelta(hours=1)
    assert next_check(NOW, cache_control="public, max-age=7200", **LIMITS) == NOW + timedelta(
        hours=2
    )
    expires = "Wed, 25 Nov 2026 11:00:00 GMT"
    assert next_check(NOW, expires=expires, **LIMITS) == NOW + timedelta(hours=3)
    # Hints shorter than our minimum do not make us poll more often.
    assert next_check(NOW, cache_control="max-age=10", **LIMITS) == NOW + timedelta(seconds=900)


def test_clamped_to_the_maximum_retry_after_included() -> None:
    assert next_check(NOW, ttl_minutes=60 * 48, **LIMITS) == NOW + timedelta(days=1)
    assert next_check(NOW, retry_after=7200, **LIMITS) == NOW + timedelta(hours=2)
    # A server cannot send a feed away for years (or overflow the date).
    assert next_check(NOW, retry_after=2 * 86400, **LIMITS) == NOW + timedelta(days=1)
    assert next_check(NOW, retry_after=9_999_999_999_999, **LIMITS) == NOW + timedelta(days=1)


def test_slow_feeds_are_checked_less_often() -> None:
    dates = [NOW - timedelta(days=d) for d in (0, 2, 4, 6)]
    assert publish_interval(dates) == 2 * 86400
    assert next_check(NOW, entry_dates=dates, **LIMITS) == NOW + timedelta(days=1)
    busy = [NOW - timedelta(minutes=m) for m in (0, 5, 10)]
    assert next_check(NOW, entry_dates=busy, **LIMITS) == NOW + timedelta(seconds=900)


def test_bad_headers_are_ignored() -> None:
    assert max_age_seconds("no-cache, max-age=600") is None
    assert max_age_seconds("private") is None
    assert next_check(NOW, expires="not a date", **LIMITS) == NOW + timedelta(seconds=900)
    assert publish_interval([None, NOW]) is None


def test_failing_feeds_back_off_exponentially_and_honour_retry_after() -> None:
    delays = [
        (backoff(NOW, error_count=n, min_interval=900, max_backoff=86400) - NOW).total_seconds()
        for n in (1, 2, 3, 10)
    ]
    assert delays == [900, 1800, 3600, 86400]
    later = backoff(NOW, error_count=1, min_interval=900, max_backoff=86400, retry_after=7200)
    assert later == NOW + timedelta(hours=2)

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from news.digest_times import next_digest_at, parse_time, slot_key, zone

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"
KIRITIMATI = "Pacific/Kiritimati"  # UTC+14
PAGO_PAGO = "Pacific/Pago_Pago"  # UTC-11


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0,
          *, fold: int = 0) -> datetime:  # fmt: skip
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold).astimezone(
        UTC
    )


def run(
    after: datetime, times: list[str], zone: str, frequency: str, count: int
) -> list[datetime]:
    """The next `count` digest times, each strictly after the previous one."""
    result = []
    for _ in range(count):
        after_next = next_digest_at(
            after=after, digest_times=times, timezone=zone, frequency=frequency
        )
        assert after_next is not None
        assert after_next > after
        result.append(after_next)
        after = after_next
    return result


@pytest.mark.parametrize(
    ("after", "zone", "expected"),
    [
        (utc(2026, 1, 10, 6, 0), "UTC", utc(2026, 1, 10, 8, 0)),
        (utc(2026, 1, 10, 8, 0), "UTC", utc(2026, 1, 11, 8, 0)),
        (utc(2026, 1, 10, 8, 0, 1), "UTC", utc(2026, 1, 11, 8, 0)),
        (utc(2026, 1, 10, 6, 0), BERLIN, local(BERLIN, 2026, 1, 10, 8, 0)),
        (utc(2026, 7, 10, 6, 0), BERLIN, local(BERLIN, 2026, 7, 11, 8, 0)),
        (utc(2026, 1, 10, 2, 0), KOLKATA, local(KOLKATA, 2026, 1, 10, 8, 0)),
        (utc(2026, 1, 10, 23, 0), KIRITIMATI, local(KIRITIMATI, 2026, 1, 12, 8)),
        (utc(2026, 1, 10, 23, 0), PAGO_PAGO, local(PAGO_PAGO, 2026, 1, 11, 8)),
    ],
    ids=["utc-today", "utc-exactly-at-is-not-after", "utc-second-late", "berlin-winter",
         "berlin-summer-passed", "kolkata-half-hour", "plus-14h", "minus-11h"],
)  # fmt: skip
def test_daily_is_the_next_local_time_strictly_after(
    after: datetime, zone: str, expected: datetime
) -> None:
    got = next_digest_at(after=after, digest_times=["08:00"], timezone=zone, frequency="daily")
    assert got == expected
    assert got.tzinfo == UTC


def test_daily_uses_only_the_first_time_and_accepts_time_objects() -> None:
    got = run(utc(2026, 1, 10, 0, 0), ["08:00", "20:00"], "UTC", "daily", 2)
    assert got == [utc(2026, 1, 10, 8), utc(2026, 1, 11, 8)]
    at = next_digest_at(
        after=utc(2026, 1, 10), digest_times=[time(9, 15)], timezone="UTC", frequency="daily"
    )
    assert at == utc(2026, 1, 10, 9, 15)


def test_twice_uses_the_two_configured_times() -> None:
    got = run(utc(2026, 1, 10, 0, 0), ["20:00", "07:30"], BERLIN, "twice", 4)
    assert got == [
        local(BERLIN, 2026, 1, 10, 7, 30),
        local(BERLIN, 2026, 1, 10, 20, 0),
        local(BERLIN, 2026, 1, 11, 7, 30),
        local(BERLIN, 2026, 1, 11, 20, 0),
    ]


def test_twice_with_one_time_adds_twelve_hours() -> None:
    got = run(utc(2026, 1, 10, 0, 0), ["09:45"], KOLKATA, "twice", 3)
    assert got == [
        local(KOLKATA, 2026, 1, 10, 9, 45),
        local(KOLKATA, 2026, 1, 10, 21, 45),
        local(KOLKATA, 2026, 1, 11, 9, 45),
    ]


def test_hourly_is_every_hour_at_the_minute_of_the_first_time() -> None:
    got = run(utc(2026, 1, 10, 10, 20), ["08:15"], "UTC", "hourly", 3)
    assert got == [utc(2026, 1, 10, 11, 15), utc(2026, 1, 10, 12, 15), utc(2026, 1, 10, 13, 15)]


def test_hourly_keeps_the_local_minute_in_a_half_hour_zone() -> None:
    # Kolkata is UTC+05:30: local :00 is UTC :30.
    got = run(utc(2026, 1, 10, 10, 0), ["08:00"], KOLKATA, "hourly", 2)
    assert got == [utc(2026, 1, 10, 10, 30), utc(2026, 1, 10, 11, 30)]
    assert {g.astimezone(ZoneInfo(KOLKATA)).minute for g in got} == {0}


def test_off_has_no_next_digest() -> None:
    got = next_digest_at(after=utc(2026, 1, 1), digest_times=["08:00"], timezone=BERLIN,
                         frequency="off")  # fmt: skip
    assert got is None


def test_daily_across_spring_forward_keeps_local_time() -> None:
    # Berlin moves from UTC+1 to UTC+2 on 2026-03-29; 08:00 local stays 08:00 local.
    got = run(utc(2026, 3, 28, 0, 0), ["08:00"], BERLIN, "daily", 2)
    assert got == [utc(2026, 3, 28, 7, 0), utc(2026, 3, 29, 6, 0)]


def test_new_york_across_fall_back_keeps_local_time() -> None:
    # New York moves from UTC-4 to UTC-5 on 2026-11-01.
    got = run(utc(2026, 10, 31, 0, 0), ["07:00", "19:00"], NEW_YORK, "twice", 4)
    assert got == [
        utc(2026, 10, 31, 11),
        utc(2026, 10, 31, 23),
        utc(2026, 11, 1, 12),
        utc(2026, 11, 2, 0),
    ]


def test_nonexistent_local_time_moves_forward() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29 (02:00 -> 03:00): the digest comes at 03:30.
    got = run(utc(2026, 3, 28, 12, 0), ["02:30"], BERLIN, "daily", 2)
    assert [g.astimezone(ZoneInfo(BERLIN)).strftime("%d %H:%M") for g in got] == [
        "29 03:30",
        "30 02:30",
    ]


def test_ambiguous_local_time_happens_once() -> None:
    # 01:30 happens twice in New York on 2026-11-01; one digest, at the first one (EDT).
    got = run(utc(2026, 10, 31, 12, 0), ["01:30"], NEW_YORK, "daily", 2)
    assert got == [
        local(NEW_YORK, 2026, 11, 1, 1, 30, fold=0),
        local(NEW_YORK, 2026, 11, 2, 1, 30),
    ]
    assert got[0] == utc(2026, 11, 1, 5, 30)


def test_hourly_counts_real_hours_across_dst() -> None:
    # Fall back in Berlin (2026-10-25 03:00 CEST -> 02:00 CET): the repeated hour gets its digest.
    autumn = run(utc(2026, 10, 24, 23, 0), ["00:30"], BERLIN, "hourly", 4)
    assert autumn == [utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 30),
                      utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2, 30)]  # fmt: skip
    # Spring forward: 02:30 local does not exist, nothing is skipped in real time.
    spring = run(utc(2026, 3, 29, 0, 0), ["00:30"], BERLIN, "hourly", 3)
    assert spring == [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 30)]
    assert [s.astimezone(ZoneInfo(BERLIN)).hour for s in spring] == [1, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"digest_times": ["8am"]}, "is not a time of day"),
        ({"digest_times": ["24:00"]}, "is not a time of day"),
        ({"digest_times": []}, "at least one digest time"),
        ({"timezone": "Mars/Olympus"}, "is not a time zone"),
        ({"frequency": "weekly"}, "frequency must be one of"),
    ],
    ids=["words", "hour-24", "no-times", "zone", "frequency"],
)
def test_bad_settings_are_value_errors(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"digest_times": ["08:00"], "timezone": "UTC", "frequency": "daily"}
    with pytest.raises(ValueError, match=message):
        next_digest_at(after=utc(2026, 1, 1), **(args | kwargs))  # type: ignore[arg-type]


def test_parse_time_accepts_short_hours() -> None:
    assert parse_time(" 7:05 ") == time(7, 5)
    assert parse_time(time(7, 5, 30)) == time(7, 5)


def test_slot_key_is_stable_utc_minute() -> None:
    assert slot_key(utc(2026, 11, 25, 8, 0)) == "digest:2026-11-25T08:00Z"
    assert slot_key(local(BERLIN, 2026, 11, 25, 9, 0)) == "digest:2026-11-25T08:00Z"
    assert slot_key(local(KOLKATA, 2026, 11, 25, 8, 0)) == "digest:2026-11-25T02:30Z"


@pytest.mark.parametrize("name", ["Europe", "America", "x" * 300, "../etc/passwd", "Mars/Base"])
def test_a_folder_or_nonsense_is_not_a_time_zone(name: str) -> None:
    with pytest.raises(ValueError, match="is not a time zone"):
        zone(name)

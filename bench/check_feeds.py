"""Run parse_feed over every file of a feed corpus and report counts (a check, not a test).

    .venv/bin/python -m bench.check_feeds ../shared/feeds

Exit status 1 when any file raises something other than ParseError or breaks an invariant.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from collections import Counter
from datetime import UTC
from pathlib import Path

from news.errors import ParseError
from news.models import ParsedFeed
from news.parse import parse_feed

# feedparser's test files carry the HTTP headers they are meant to be served with.
HEADER = re.compile(rb"^\s*Header:\s*Content-type:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def content_type_of(body: bytes) -> str | None:
    match = HEADER.search(body[:2048])
    return match.group(1).decode("latin-1") if match else None


def problems(feed: ParsedFeed) -> list[str]:
    found = []
    for entry in feed.entries:
        if not entry.entry_hash or not entry.title:
            found.append("empty hash or title")
        if entry.published_at is not None and entry.published_at.tzinfo is not UTC:
            found.append("date not UTC")
        for value in (entry.title, entry.text, entry.url or "", entry.guid or ""):
            if "\x00" in value:
                found.append("NUL character")
    return found


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    args = ap.parse_args()
    files = sorted(p for p in args.root.rglob("*") if p.is_file() and "LICENSES" not in p.parts)
    counts: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    bad = 0
    started = time.perf_counter()
    slowest: list[tuple[float, str]] = []
    for path in files:
        body = path.read_bytes()
        t0 = time.perf_counter()
        try:
            feed = parse_feed(
                body, url=path.resolve().as_uri(), content_type=content_type_of(body)
            )
        except ParseError as exc:
            counts["ParseError"] += 1
            errors[re.sub(r"\(.*", "(...)", str(exc))] += 1
            continue
        except Exception:  # this script exists to find these
            bad += 1
            print(f"EXCEPTION {path}\n{traceback.format_exc()}")
            continue
        finally:
            slowest.append((time.perf_counter() - t0, str(path)))
        counts["with entries" if feed.entries else "feed without entries"] += 1
        counts["entries"] += len(feed.entries)
        for problem in problems(feed):
            bad += 1
            print(f"INVARIANT {path}: {problem}")
    elapsed = time.perf_counter() - started
    print(f"files={len(files)} seconds={elapsed:.1f} unexpected={bad}")
    for key, value in counts.most_common():
        print(f"  {key}: {value}")
    for key, value in errors.most_common():
        print(f"  {value:5d}  {key}")
    for seconds, path in sorted(slowest, reverse=True)[:3]:
        print(f"  slowest {seconds * 1000:.0f} ms {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

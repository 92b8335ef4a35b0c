"""Run `newsbot ARGS` with tracemalloc on and write a snapshot every few seconds.

    python -m bench.tracemem OUTDIR SECONDS ARGS...

Used by `python -m bench.soak --trace` to find what keeps a role's memory growing; compare two
snapshots with `python -m bench.tracemem --diff FIRST LAST`.
"""

from __future__ import annotations

import sys
import threading
import time
import tracemalloc
from pathlib import Path

FRAMES = 12


def _dump_forever(out: Path, every: float) -> None:
    count = 0
    while True:
        time.sleep(every)
        count += 1
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        snapshot.dump(str(out / f"{count:04d}.snap"))


def diff(first: Path, last: Path, top: int = 25) -> str:
    """Return the lines whose allocations grew most from FIRST to LAST, grouped by traceback."""
    old = tracemalloc.Snapshot.load(str(first))
    new = tracemalloc.Snapshot.load(str(last))
    lines = []
    for stat in new.compare_to(old, "traceback")[:top]:
        lines.append(f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks")
        lines.extend(f"      {frame}" for frame in stat.traceback.format()[-FRAMES * 2 :])
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1] == "--diff":
        print(diff(Path(sys.argv[2]), Path(sys.argv[3])))
        return
    out, every, args = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    out.mkdir(parents=True, exist_ok=True)
    tracemalloc.start(FRAMES)
    threading.Thread(target=_dump_forever, args=(out, every), daemon=True).start()
    sys.argv = ["newsbot", *args]
    import bot.__main__  # noqa: F401  (sets PTB_TIMEDELTA before telegram is imported)
    from bot.cli.main import main as newsbot

    raise SystemExit(newsbot())


if __name__ == "__main__":
    main()

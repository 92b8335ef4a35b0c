"""The `newsbot` command: the composition root that wires settings, storage, jobs and the bot."""

from __future__ import annotations

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

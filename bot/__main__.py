"""The `newsbot` command: the composition root that wires settings, storage, jobs and the bot."""

from __future__ import annotations

import os

# python-telegram-bot 22: durations as timedeltas (the coming default) instead of a warning.
# Set before bot.cli imports telegram, which reads it at import time.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())

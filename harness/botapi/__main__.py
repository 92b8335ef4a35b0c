"""Run the fake Bot API on its own: `python -m harness.botapi --port 8081 --rate 30`.

It prints its base URL on the first line of stdout, then serves until killed. Drive it with
harness.botapi.RemoteBotAPI (POST /_fake/<action>).
"""

from __future__ import annotations

import argparse
import signal
import threading

from harness.botapi import DEFAULT_TOKEN, FakeBotAPI, Limits


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.botapi", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--rate", type=float, default=30.0, help="global messages/s cap")
    parser.add_argument("--no-limits", action="store_true", help="switch every rate cap off")
    args = parser.parse_args()
    limits = Limits(enabled=not args.no_limits, global_rate=args.rate)
    api = FakeBotAPI(args.token, limits=limits, port=args.port).start()
    print(api.base_url, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    api.stop()


if __name__ == "__main__":
    main()

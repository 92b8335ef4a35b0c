"""The test and benchmark harness: local servers, real newsbot processes, databases, waits.

Both `tests/` and `bench/` import it; it imports neither (it is a top-level package so that a
benchmark run as `python -m bench.X` does not import the test tree). Everything here listens on
or connects to 127.0.0.1 only.

    feedserver  FeedServer: an in-process HTTP server with routes a test registers (edge cases)
    farm        many feeds on many loopback hosts in a process of its own, with faults
    botapi      FakeBotAPI: a fake Telegram Bot API the real PTB Bot reaches through base_url
    procs       newsbot roles and the servers above as child processes: start, kill, read RSS
    pg          fresh PostgreSQL databases (empty, or copied from a migrated template)
    wait        wait_until(): wait on a condition, never a fixed sleep
"""

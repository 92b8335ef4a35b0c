"""Shared fixtures: settings, fresh SQLite or PostgreSQL databases, the local servers, guards.

The servers and process launchers themselves live in the top-level `harness` package, which
the benchmarks share; this module only turns them into fixtures.
"""

from __future__ import annotations

import os

# PTB 22 warns on every RetryAfter unless durations are timedeltas; warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "true")
import asyncio
import inspect
import ipaddress
import shutil
import socket
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from harness.botapi import FakeBotAPI
from harness.feedserver import FeedServer
from harness.pg import admin_execute, create_database, database_url, drop_database
from news.settings import Settings
from news.storage.db import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"

# -- two speeds: `make test-fast` runs `-m "not slow"` ------------------------------------------

FAULTS = Path(__file__).resolve().parent / "faults"  # every test there runs real processes
# Fixtures that start child processes or PostgreSQL clusters.
SLOW_FIXTURES = {"spawn", "cluster", "summarizer"}
# A test whose own code starts a child process: a `newsbot ROLE`, a server, a docker command,
# the worker (whose summarizer runs in a process of its own by default), or `newsbot poll` run
# in-process (it summarizes in processes of its own while it polls).
SLOW_CALLS = (
    "subprocess.",
    "sys.executable",
    "start_newsbot(",
    "start_role",
    "start_bot_api",
    "FeedServerProcess(",
    "run_worker",
    'capsys, "poll"',
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test under tests/faults and every test that starts a process."""
    for item in items:
        if _starts_processes(item):
            item.add_marker(pytest.mark.slow)


def _starts_processes(item: pytest.Item) -> bool:
    if item.path.is_relative_to(FAULTS) or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    function = getattr(item, "function", None)
    if function is None:
        return False
    source = inspect.getsource(function)
    return any(call in source for call in SLOW_CALLS)


# -- guards -----------------------------------------------------------------------------------


class OffLoopbackError(ConnectionRefusedError):
    """A test tried to connect to an address that is not this machine."""


class OffLoopbackLookupError(socket.gaierror):
    """A test tried to look up a name other than localhost (a DNS query would leave)."""


def _loopback(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths (and abstract names)
        return True
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None) or ip
    return mapped.is_loopback or mapped.is_unspecified


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Refuse every connection and name lookup off 127.0.0.1; fail a test that connected.

    A lookup of a name (say a seed feed's example.com article link) fails as it would on a
    machine without network, so nothing is sent and the code's offline path runs; an attempt
    to connect to another address fails the test at the end, whatever the code made of it.
    """
    connects: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: object) -> None:
        if not _loopback(address):
            connects.append(address)
            raise OffLoopbackError(f"no_network: tests stay on 127.0.0.1, not {address!r}")

    def connect(sock: socket.socket, address: object) -> None:
        check(address)
        return real_connect(sock, address)  # type: ignore[arg-type]

    def connect_ex(sock: socket.socket, address: object) -> int:
        check(address)
        return real_connect_ex(sock, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        # An address needs no lookup (the fetch guard checks public ones); a name must be ours.
        if host not in (None, "localhost") and not _numeric(host):
            raise OffLoopbackLookupError(socket.EAI_NONAME, f"no_network: not looking up {host}")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    def _numeric(host: object) -> bool:
        try:
            real_getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)  # type: ignore[arg-type]
        except (socket.gaierror, UnicodeError):
            return False
        return True

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield connects
    if connects:
        pytest.fail(f"the test tried to connect off 127.0.0.1: {connects}")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NEWSBOT_ variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_"):
            monkeypatch.delenv(name)


# -- settings and databases -------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for tests: a SQLite file in tmp_path, private networks (127.0.0.1) allowed."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'newsbot.db'}",
        allow_private_networks=True,
        data_dir=tmp_path,
        read_timeout=3.0,
        connect_timeout=3.0,
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once for this pytest session (closed: no WAL beside it)."""
    path = tmp_path_factory.mktemp("template") / "newsbot.db"

    async def migrate() -> None:
        await (await open_store(f"sqlite:///{path}")).close()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def store(settings: Settings, sqlite_template: Path) -> AsyncIterator[Store]:
    """A fresh SQLite database with the migrations applied (a copy of the session's template)."""
    url = make_url(settings.database_url)
    assert url.database is not None
    shutil.copyfile(sqlite_template, url.database)
    s = await open_store(settings.database_url)
    yield s
    await s.close()


async def _migrated_template() -> str:
    name = f"newsbot_tpl_{uuid.uuid4().hex[:12]}"
    await admin_execute(f'CREATE DATABASE "{name}"')
    store = await open_store(database_url(name))
    await store.close()  # CREATE DATABASE ... TEMPLATE needs the template without sessions
    return name


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated once for this pytest session.

    The name is unique per session, so pytest runs side by side never share (or drop) one.
    """
    name = asyncio.run(_migrated_template())
    yield name
    asyncio.run(admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class _Databases:
    """Fresh PostgreSQL databases for the tests: copies of the template made ahead, dropped after.

    One thread copies the template while the tests run (a copy is mostly the server's disk
    writes), so a test that needs a migrated database rarely waits for CREATE DATABASE; another
    drops what the tests are done with. Both are joined at the end of the session.
    """

    AHEAD = 2

    def __init__(self, template: str) -> None:
        self._template = template
        self._creator = ThreadPoolExecutor(1, thread_name_prefix="pg-create")
        self._dropper = ThreadPoolExecutor(1, thread_name_prefix="pg-drop")
        self._ready: deque[Future[str]] = deque(self._copy() for _ in range(self.AHEAD))

    def _copy(self) -> Future[str]:
        return self._creator.submit(
            asyncio.run, create_database("newsbot_t", template=self._template)
        )

    def migrated(self) -> str:
        """Return the URL of a database holding the migrated schema and no rows."""
        self._ready.append(self._copy())
        return self._ready.popleft().result()

    def drop(self, url: str) -> None:
        self._dropper.submit(asyncio.run, drop_database(url))

    def close(self) -> None:
        self._creator.shutdown(wait=True)
        for left in self._ready:
            self.drop(left.result())
        self._dropper.shutdown(wait=True)


@pytest.fixture(scope="session")
def pg_databases(pg_template: str) -> Iterator[_Databases]:
    """The session's source of fresh PostgreSQL databases (see _Databases)."""
    databases = _Databases(pg_template)
    yield databases
    databases.close()


@pytest.fixture
async def pg_url(request: pytest.FixtureRequest, pg_databases: _Databases) -> AsyncIterator[str]:
    """The URL of a fresh PostgreSQL database, dropped after the test.

    Empty (as a migration test or a `db copy` target needs it), unless the test also uses
    `pg_store`: then it is that store's database, a copy of the session's migrated template.
    """
    # any_store asks for pg_store only while it runs, so it is named here too.
    migrated = {"pg_store", "any_store"} & set(request.fixturenames)
    url = pg_databases.migrated() if migrated else await create_database("newsbot_t")
    try:
        yield url
    finally:
        pg_databases.drop(url)


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[Store]:
    """A fresh PostgreSQL database with the migrations applied (copied from the template)."""
    s = await open_store(pg_url)
    yield s
    await s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> Store:
    """The same test on a fresh SQLite and a fresh PostgreSQL database."""
    name = "store" if request.param == "sqlite" else "pg_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


# -- local servers ----------------------------------------------------------------------------


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer on 127.0.0.1 serving seeds/ plus the routes a test adds."""
    with FeedServer(directory=SEEDS) as server:
        yield server


@pytest.fixture
def bot_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotAPI]:
    """A fake Bot API serving on 127.0.0.1 for one test.

    PTB_TIMEDELTA opts into PTB 22's timedelta durations: without it, every RetryAfter the
    fake provokes raises a PTBDeprecationWarning, which this suite turns into an error.
    """
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api = FakeBotAPI().start()
    try:
        yield api
    finally:
        api.stop()

"""The guards every test runs under: nothing leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from harness.feedserver import FeedServer
from tests.conftest import OffLoopbackError


def test_a_connection_off_loopback_is_refused_and_recorded(no_network: list[object]) -> None:
    with socket.socket() as sock, pytest.raises(OffLoopbackError, match=r"192\.0\.2\.1"):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never this machine
    assert no_network == [("192.0.2.1", 80)]
    no_network.clear()  # seen; the fixture would fail this test otherwise


async def test_an_asyncio_connection_off_loopback_is_refused(no_network: list[object]) -> None:
    with pytest.raises(OffLoopbackError):
        await asyncio.open_connection("2001:db8::1", 443)
    assert no_network
    no_network.clear()


async def test_a_name_other_than_localhost_is_not_looked_up() -> None:
    with pytest.raises(socket.gaierror, match="no_network"):
        await asyncio.get_running_loop().getaddrinfo("example.com", 80)


async def test_loopback_and_unix_sockets_still_work(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.get(feed_server.url("/feeds/rss2.xml"))
    assert answer.status_code == 200
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        path = str(tmp_path / "guard.sock")
        server.bind(path)
        server.listen()
        client.connect(path)
    assert socket.getaddrinfo("localhost", 80)

"""Fixtures: a running simulator and a real spnkr client wired to it over HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver
from spnkr import HaloInfiniteClient

from levelup_pipeline.simulator.server import RunningSimulator, run_simulator
from levelup_pipeline.simulator.synthetic import build_synthetic_world
from levelup_pipeline.simulator.world import World

DEV_TOKEN = "sim-dev-tests"


class LoopbackResolver(AbstractResolver):
    """Sends every host name to the simulator's port (test-only copy of the halo layer's)."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self.port,
                "family": family,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


@asynccontextmanager
async def sim_session(
    port: int, token: str | None = DEV_TOKEN
) -> AsyncIterator[tuple[aiohttp.ClientSession, HaloInfiniteClient]]:
    """An aiohttp session + spnkr client whose every request lands on the simulator."""
    connector = aiohttp.TCPConnector(resolver=LoopbackResolver(port), ssl=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = HaloInfiniteClient(session, token or "", "clearance", requests_per_second=1000)
        yield session, client


@pytest.fixture(scope="session")
def sim_world() -> World:
    """The default synthetic world, built once (small but covering every mode)."""
    return build_synthetic_world(seed=42, players=4, matches=40)


@pytest.fixture(scope="session")
def sim(sim_world: World) -> Iterator[RunningSimulator]:
    """A simulator serving `sim_world` for the whole session."""
    with run_simulator(sim_world) as running:
        yield running


@pytest.fixture()
def run_client(
    sim: RunningSimulator,
) -> Callable[[Callable[[HaloInfiniteClient], Awaitable[Any]]], Any]:
    """Run `fn(client)` in a fresh event loop against the session simulator."""

    def _run(fn: Callable[[HaloInfiniteClient], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            async with sim_session(sim.port) as (_, client):
                return await fn(client)

        return asyncio.run(main())

    return _run

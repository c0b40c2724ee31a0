"""HaloApi over real HTTPS against a local fake: routing, rate limit, retries, typed errors."""

from __future__ import annotations

import asyncio
import email.utils
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from spnkr import HaloInfiniteClient

from levelup_pipeline.halo.client import HaloApi
from levelup_pipeline.halo.endpoint import create_session, parse_endpoint
from levelup_pipeline.halo.errors import (
    FilmUnavailable,
    HaloApiUnavailable,
    MalformedResponse,
    MatchNotFound,
    PlayerNotFound,
    RateLimitExhausted,
    ResourceNotFound,
)
from levelup_pipeline.halo.ratelimit import DEFAULT_BURST
from levelup_pipeline.halo.retry import RetryPolicy
from levelup_pipeline_tests.halo.fake_halo import FakeHalo, json_body
from levelup_pipeline_tests.halo.helpers import with_api

FILM_DIR = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "halo-api" / "film"


def test_spnkr_client_reaches_fake_through_endpoint_resolver() -> None:
    """A stock spnkr client on our session calls https://halostats... and lands on the fake."""
    fake = FakeHalo()

    async def main() -> dict:
        runner = await fake.start()
        try:
            async with create_session(fake.endpoint) as session:
                fake.valid_spartans["sim-dev-token"] = 0
                client = HaloInfiniteClient(session, "sim-dev-token", "clr", 1000)
                resp = await client.stats.get_match_stats("abc")
                return await resp.json()
        finally:
            await runner.cleanup()

    assert asyncio.run(main())["MatchId"] == "abc"
    assert fake.hits[-1].host == "halostats.svc.halowaypoint.com"
    assert fake.hits[-1].path == "/hi/matches/abc/stats"


def test_endpoint_must_be_loopback() -> None:
    assert parse_endpoint("127.0.0.1:8443") == ("127.0.0.1", 8443)
    assert parse_endpoint("localhost:1") == ("127.0.0.1", 1)
    for bad in ("10.0.0.5:443", "example.com:443", "127.0.0.1", "127.0.0.1:x"):
        with pytest.raises(ValueError):
            parse_endpoint(bad)


def test_without_endpoint_certificates_are_checked() -> None:
    """No endpoint: the default connector verifies the fake's self-signed certificate."""
    fake = FakeHalo()

    async def main() -> None:
        runner = await fake.start()
        try:
            async with create_session(None) as session:
                with pytest.raises(aiohttp.ClientConnectorCertificateError):
                    await session.get(f"https://127.0.0.1:{fake.port}/")
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_concurrent_calls_never_exceed_the_rate() -> None:
    rate, burst, n = 20.0, DEFAULT_BURST, 60
    fake = FakeHalo()

    async def run(api: HaloApi) -> list[dict]:
        return await asyncio.gather(*(api.match_stats(f"m{i}") for i in range(n)))

    results = asyncio.run(with_api(fake, run, rps=rate))
    assert len(results) == n
    times = sorted(h.t for h in fake.hits if "halostats" in h.host)
    assert len(times) == n
    # Arrival times, taken by a server on the client's own loop: under load a request can be
    # handled up to ~0.1 s after the limiter let it go, bunching arrivals; so the window is
    # 0.9 s (an unlimited client still sends all 60 in it).
    for i, start in enumerate(times):
        in_window = sum(1 for t in times[i:] if t < start + 0.9)
        assert in_window <= rate + burst, f"{in_window} requests in 0.9 s"


def test_429_storm_honours_retry_after_and_fetches_each_item_once() -> None:
    n = 30
    counter = {"n": 0}
    throttled_at: list[float] = []

    def script(request: web.Request) -> web.StreamResponse | None:
        counter["n"] += 1
        if counter["n"] in (5, 6, 18):
            throttled_at.append(time.monotonic())
            return web.Response(status=429, headers={"Retry-After": "1"})
        return None

    fake = FakeHalo(script=script)

    async def run(api: HaloApi) -> list[dict]:
        return await asyncio.gather(*(api.match_stats(f"m{i}") for i in range(n)))

    results = asyncio.run(with_api(fake, run, rps=50.0, max_in_flight=8))
    assert sorted(r["MatchId"] for r in results) == sorted(f"m{i}" for i in range(n))
    ok = [h.path for h in fake.hits if h.status == 200 and "halostats" in h.host]
    assert len(ok) == len(set(ok)) == n  # every item exactly once
    # After each 429 nothing is sent until Retry-After elapsed (0.1 s slack for requests
    # that were already on the wire when the 429 arrived).
    for t429 in throttled_at:
        early = [h for h in fake.hits if t429 + 0.1 < h.t < t429 + 0.95]
        assert not early, f"{len(early)} request(s) sent during Retry-After"


def test_retry_after_as_http_date_is_waited_for() -> None:
    state = {"first": True}

    def script(request: web.Request) -> web.StreamResponse | None:
        if state["first"]:
            state["first"] = False
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            return web.Response(status=429, headers={"Retry-After": when})
        return None

    fake = FakeHalo(script=script)
    asyncio.run(with_api(fake, lambda api: api.match_stats("m1")))
    stats = [h for h in fake.hits if "halostats" in h.host]
    assert [h.status for h in stats] == [429, 200]
    assert stats[1].t - stats[0].t >= 0.95  # a 2 s date has 1 s resolution


def test_5xx_burst_is_retried() -> None:
    statuses = iter([503, 502, 500])

    def script(request: web.Request) -> web.StreamResponse | None:
        status = next(statuses, None)
        return web.Response(status=status) if status else None

    fake = FakeHalo(script=script)

    async def run(api: HaloApi) -> tuple[dict, int]:
        data = await api.match_stats("m1")
        return data, api.metrics.retries

    data, retries = asyncio.run(with_api(fake, run))
    assert data["MatchId"] == "m1"
    assert retries == 3


def test_permanent_500_ends_in_halo_api_unavailable_after_bounded_attempts() -> None:
    fake = FakeHalo(script=lambda request: web.Response(status=500))

    with pytest.raises(HaloApiUnavailable) as err:
        asyncio.run(with_api(fake, lambda api: api.match_stats("m1")))
    message = str(err.value)
    assert "\n" not in message
    assert "unavailable" in message and "4 attempt" in message and "HTTP 500" in message
    assert fake.count("halostats") == 4


def test_total_wait_budget_bounds_a_long_retry_after() -> None:
    fake = FakeHalo(
        script=lambda request: web.Response(status=429, headers={"Retry-After": "3600"})
    )
    started = time.monotonic()
    with pytest.raises(RateLimitExhausted) as err:
        asyncio.run(
            with_api(
                fake,
                lambda api: api.match_stats("m1"),
                retry=RetryPolicy(max_attempts=5, max_total_wait_seconds=1, base_delay=0.01),
            )
        )
    assert time.monotonic() - started < 5
    assert "429" in str(err.value) and "LEVELUP_HALO_RPS" in str(err.value)


@pytest.mark.parametrize("status", [404, 410])
def test_missing_match_is_typed_and_not_retried(status: int) -> None:
    fake = FakeHalo(script=lambda request: web.Response(status=status))
    with pytest.raises(MatchNotFound) as err:
        asyncio.run(with_api(fake, lambda api: api.match_stats("gone")))
    assert str(err.value) == "Match gone is no longer available on the Halo servers."
    assert fake.count("halostats") == 1


def test_400_is_not_retried() -> None:
    fake = FakeHalo(script=lambda request: web.Response(status=400))
    with pytest.raises(Exception) as err:
        asyncio.run(with_api(fake, lambda api: api.match_history("Sim Player", 0)))
    assert "HTTP 400" in str(err.value)
    assert fake.count("halostats") == 1


def test_malformed_json_is_typed() -> None:
    fake = FakeHalo(
        script=lambda request: web.Response(body=b"{not json", content_type="application/json")
    )
    with pytest.raises(MalformedResponse):
        asyncio.run(with_api(fake, lambda api: api.match_stats("m1")))


def test_connection_errors_are_retried_then_unavailable() -> None:
    fake = FakeHalo()

    async def main() -> None:
        runner = await fake.start()
        await runner.cleanup()  # nothing listens any more

    asyncio.run(main())
    with pytest.raises(HaloApiUnavailable) as err:
        asyncio.run(with_api_on_dead_port(fake.port))
    assert "cannot connect" in str(err.value) or "attempt" in str(err.value)


async def with_api_on_dead_port(port: int) -> None:
    from levelup_pipeline.halo.auth import Credentials
    from levelup_pipeline.halo.client import HaloApiSettings, open_halo_api
    from levelup_pipeline_tests.halo.helpers import FAST_RETRY

    settings = HaloApiSettings(
        endpoint=f"127.0.0.1:{port}",
        retry=FAST_RETRY,
        credentials=Credentials(spartan_token="sim-dev-x", clearance_token="c"),
    )
    async with open_halo_api(settings) as api:
        await api.match_stats("m1")


def test_resolve_player_users_history_skill_ugc_medals() -> None:
    def script(request: web.Request) -> web.StreamResponse | None:
        if "/skill" in request.path:
            if "missing" in request.path:
                return web.Response(status=404)
            players = [] if "empty" in request.path else request.query.getall("players")
            value = [{"Id": p, "ResultCode": 0, "Result": {"TeamId": 0}} for p in players]
            return json_body({"Value": value})
        return None

    fake = FakeHalo(script=script)
    xuids = [str(2533274800000000 + i) for i in range(250)]

    async def run(api: HaloApi) -> dict:
        out = {
            "gt": await api.resolve_player("Sim Player#1234"),
            "xuid": await api.resolve_player("xuid(2533274800000007)"),
            "users": await api.users(xuids),
            "history": await api.match_history("Sim Player", 25, 25),
            "skill": await api.match_skill("m1", ["2533274800000001"]),
            "ugc": await api.ugc_asset("maps", "a1", "v1"),
            "medals": await api.medal_metadata(),
        }
        with pytest.raises(PlayerNotFound):
            await api.resolve_player("Nobody")
        with pytest.raises(ResourceNotFound):
            await api.match_skill("missing", ["2533274800000001"])
        with pytest.raises(MalformedResponse, match="no result for the player"):
            await api.match_skill("empty", ["2533274800000001"])  # a gap, not the skill
        with pytest.raises(ValueError):
            await api.ugc_asset("films", "a", "b")
        return out

    out = asyncio.run(with_api(fake, run))
    assert out["gt"].gamertag == "Sim Player#1234" and out["gt"].xuid == "2533274800000001"
    assert out["xuid"].xuid == "2533274800000007"
    assert len(out["users"]) == 250 and fake.count("profile", "/users") >= 3
    assert out["history"]["Start"] == 25
    assert [v["Id"] for v in out["skill"]["Value"]] == ["xuid(2533274800000001)"]
    assert out["ugc"]["path"] == "/hi/maps/a1/versions/v1"
    assert out["medals"]["host"] == "gamecms-hacs.svc.halowaypoint.com"
    history_hit = next(h for h in fake.hits if h.path.endswith("/matches"))
    assert history_hit.path == "/hi/players/Sim Player/matches"


def _film_metadata(chunks: list[dict]) -> dict:
    return {
        "FilmStatusBond": 1,
        "CustomData": {
            "FilmLength": 1000,
            "Chunks": chunks,
            "HasGameEnded": True,
            "ManifestRefreshSeconds": 0,
            "MatchId": "m1",
            "FilmMajorVersion": 34,
        },
        "BlobStoragePathPrefix": "https://blobs-infiniteugc.svc.halowaypoint.com/film/m1/",
        "AssetId": "a",
    }


def _chunk(index: int, kind: int) -> dict:
    return {
        "Index": index,
        "ChunkStartTimeOffsetMilliseconds": 0,
        "DurationMilliseconds": 1,
        "ChunkSize": 1,
        "FileRelativePath": f"/filmChunk{index}",
        "ChunkType": kind,
    }


def test_highlight_events_downloads_the_chunk_through_the_limiter() -> None:
    chunk_file = FILM_DIR / "highlight_events.gzip"
    if not chunk_file.exists():
        pytest.skip("film capture not available")
    data = chunk_file.read_bytes()

    def script(request: web.Request) -> web.StreamResponse | None:
        if request.path.endswith("/spectate"):
            return json_body(_film_metadata([_chunk(0, 1), _chunk(1, 2), _chunk(2, 3)]))
        if request.path == "/film/m1/filmChunk2":
            return web.Response(body=data)
        return None

    fake = FakeHalo(script=script)

    async def run(api: HaloApi) -> tuple[list[dict], int]:
        return await api.highlight_events("m1"), api.metrics.requests

    events, requests = asyncio.run(with_api(fake, run))
    assert events and {"xuid", "gamertag", "event_type", "time_ms"} <= set(events[0])
    assert requests == 2  # the film metadata, then the chunk
    assert fake.count("blobs-infiniteugc", "/film/m1/filmChunk2") == 1


@pytest.mark.parametrize("case", ["no_film", "no_highlight_chunk", "unreadable", "chunk_404"])
def test_highlight_events_failures_are_film_unavailable(case: str) -> None:
    def script(request: web.Request) -> web.StreamResponse | None:
        if request.path.endswith("/spectate"):
            if case == "no_film":
                return web.Response(status=404)
            kinds = [1, 2] if case == "no_highlight_chunk" else [1, 3]
            return json_body(_film_metadata([_chunk(i, k) for i, k in enumerate(kinds)]))
        if "filmChunk" in request.path:
            return web.Response(status=404) if case == "chunk_404" else web.Response(body=b"junk")
        return None

    fake = FakeHalo(script=script)
    with pytest.raises(FilmUnavailable):
        asyncio.run(with_api(fake, lambda api: api.highlight_events("m1")))


def test_time_waiting_in_the_queue_does_not_spend_the_retry_budget() -> None:
    """A request that waited behind others longer than max_total_wait_seconds still gets its
    retries after a 429: the budget counts from when it was first sent."""
    seen = {"n": 0}

    def script(request: web.Request) -> web.StreamResponse | None:
        if "halostats" in request.host:
            seen["n"] += 1
            if seen["n"] == 6:  # the last request, sent after ~1 s in the queue
                return web.Response(status=429, headers={"Retry-After": "0.1"})
        return None

    fake = FakeHalo(script=script)
    policy = RetryPolicy(
        max_attempts=4, max_total_wait_seconds=0.5, base_delay=0.01, max_delay=0.05
    )

    async def run(api: HaloApi) -> list[dict]:
        return await asyncio.gather(*(api.match_stats(f"m{i}") for i in range(6)))

    results = asyncio.run(with_api(fake, run, rps=5.0, retry=policy))
    assert sorted(r["MatchId"] for r in results) == [f"m{i}" for i in range(6)]

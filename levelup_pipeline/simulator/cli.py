"""`simulator` CLI group: serve the fake Halo API, or add matches to a running one."""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import urllib.request
from pathlib import Path

import click

from levelup_pipeline.simulator.knobs import Knobs, parse_rate_limits
from levelup_pipeline.simulator.server import SimulatorServer
from levelup_pipeline.simulator.world import World


@click.group(name="simulator")
def simulator_cli() -> None:
    """Local Halo Infinite API simulator (real hosts, paths and JSON shapes)."""


@simulator_cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, type=int, show_default=True, help="0 picks a free port.")
@click.option("--seed", default=42, type=int, show_default=True)
@click.option("--players", default=4, type=int, show_default=True)
@click.option("--matches", default=120, type=int, show_default=True, help="Matches per player.")
@click.option(
    "--from-dir",
    "from_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Replay captured match stats from DIR/matches/*.json instead.",
)
@click.option("--latency-ms", default=0.0, type=float)
@click.option("--jitter-ms", default=0.0, type=float)
@click.option(
    "--rate-limit",
    default=None,
    help="Requests/s per service, 429 + Retry-After over it: one number for every service, "
    "or per service, e.g. 'halostats=5,skill=3' ('*=2' for the others).",
)
@click.option("--retry-after", default=1, type=int, help="Retry-After seconds on 429.")
@click.option("--error-rate", default=0.0, type=float, help="Share of data requests answering 500.")
@click.option("--token-ttl-requests", default=None, type=int)
@click.option("--token-ttl-seconds", default=None, type=float)
@click.option("--strict-tokens", is_flag=True, help="Refuse `sim-dev-` tokens.")
def serve(
    host: str,
    port: int,
    seed: int,
    players: int,
    matches: int,
    from_dir: Path | None,
    latency_ms: float,
    jitter_ms: float,
    rate_limit: str | None,
    retry_after: int,
    error_rate: float,
    token_ttl_requests: int | None,
    token_ttl_seconds: float | None,
    strict_tokens: bool,
) -> None:
    """Serve until SIGINT/SIGTERM; prints `LevelUp Halo simulator listening on HOST:PORT`."""
    try:
        limits = parse_rate_limits(rate_limit)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rate-limit") from None
    world: World
    if from_dir is not None:
        from levelup_pipeline.simulator.replay import load_replay_world

        world = load_replay_world(from_dir)
    else:
        from levelup_pipeline.simulator.synthetic import build_synthetic_world

        world = build_synthetic_world(seed=seed, players=players, matches=matches)
    knobs = Knobs(
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        rate_limit_rps=limits,
        retry_after_seconds=retry_after,
        error_rate_5xx=error_rate,
        token_ttl_requests=token_ttl_requests,
        token_ttl_seconds=token_ttl_seconds,
        strict_tokens=strict_tokens,
    )
    asyncio.run(_serve(world, knobs, host, port))


async def _serve(world: World, knobs: Knobs, host: str, port: int) -> None:
    """Start, announce, then wait for a stop signal."""
    server = SimulatorServer(world, knobs)
    bound = await server.start(host, port)
    click.echo(f"LevelUp Halo simulator listening on {host}:{bound}")
    for player in world.players:
        click.echo(
            f"  {player.gamertag}\txuid({player.xuid})\t"
            f"{len(world.match_ids_of(player.xuid))} matches"
        )
    click.get_text_stream("stdout").flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()


@simulator_cli.command("add-matches")
@click.option("--endpoint", required=True, help="HOST:PORT of a running simulator.")
@click.option("--player", default=None, help="Gamertag (default: a random named player).")
@click.option("--count", default=1, type=int, show_default=True)
def add_matches(endpoint: str, player: str | None, count: int) -> None:
    """Ask a running simulator to play new matches (so a delta sync finds them)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our own self-signed simulator
    payload = json.dumps({"count": count, "gamertag": player}).encode()
    request = urllib.request.Request(
        f"https://{endpoint}/_sim/add-matches",
        data=payload,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            added = json.loads(response.read())["added"]
    except urllib.error.HTTPError as exc:
        raise click.ClickException(exc.read().decode() or str(exc)) from exc
    for match_id in added:
        click.echo(match_id)


if __name__ == "__main__":
    simulator_cli()

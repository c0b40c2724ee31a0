"""`make demo`: the whole pipeline against the embedded Halo API simulator (TLS, loopback)."""

from __future__ import annotations

import os

import click

from levelup_pipeline.cli.instance import get_instance
from levelup_pipeline.cli.players_cmd import add_player
from levelup_pipeline.cli.runner import RunOutcome, run_job
from levelup_pipeline.cli.stats_cmd import print_stats
from levelup_pipeline.cli.sync_cmd import sync_summary
from levelup_pipeline.config import data_dir
from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline.store.settings import save_settings

DEMO_SEED = 2026
DEMO_PLAYERS = 3
DEMO_MATCHES = 100
DEMO_SYNCED_PLAYERS = 2
DEMO_NEW_MATCHES = 5
#: A smaller history for quick tries and the UI tests; `make dev` must see the same value.
DEMO_MATCHES_ENV = "LEVELUP_DEMO_MATCHES"
# The simulator has no rate limit of its own; the real API's default stays in the README.
DEMO_RPS = "60"


def _step(text: str) -> None:
    click.secho(f"\n== {text}", bold=True)


def _succeeded(instance, job: str, gamertag: str) -> RunOutcome:
    """The run's outcome; one sentence and exit 1 if it failed."""
    outcome = run_job(instance, job, gamertag, tags={"levelup/trigger": "demo"})
    if not outcome.success:
        raise click.ClickException(f"{job} for {gamertag} failed: {outcome.error}")
    return outcome


def _run(instance, job: str, gamertag: str) -> dict:
    outcome = _succeeded(instance, job, gamertag)
    click.echo(f"   {sync_summary(outcome)}")
    return outcome.metadata.get("raw_match_json", {})


def demo_simulator():
    """The demo's simulator (a context manager): the world `make demo` starts from."""
    matches = int(os.environ.get(DEMO_MATCHES_ENV) or DEMO_MATCHES)
    return run_simulator(seed=DEMO_SEED, players=DEMO_PLAYERS, matches=matches)


def demo_players(sim) -> list[str]:
    """The players the demo registers and syncs."""
    return [p.gamertag for p in sim.world.players][:DEMO_SYNCED_PLAYERS]


def play_demo_matches(sim) -> None:
    """The demo's "new matches" step (the same ones on the same seed: `make dev` replays it)."""
    for gamertag in demo_players(sim):
        sim.add_matches(DEMO_NEW_MATCHES, gamertag=gamertag)


@click.command()
def main() -> None:
    """Run the demo; exits non-zero with one sentence if anything fails."""
    if os.environ.get("LEVELUP_HALO_ENDPOINT"):
        click.echo("LEVELUP_HALO_ENDPOINT is set: the demo uses its own simulator instead.")
    with demo_simulator() as sim:
        os.environ["LEVELUP_HALO_ENDPOINT"] = sim.endpoint
        os.environ.setdefault("LEVELUP_HALO_RPS", DEMO_RPS)
        _step(f"Halo API simulator listening on {sim.endpoint} (seed {DEMO_SEED})")
        players = demo_players(sim)
        instance = get_instance()
        _step("levelup players add " + " / ".join(players) + " --match-type all")
        for gamertag in players:
            xuid = add_player(gamertag).xuid
            save_settings(gamertag, match_type="all")  # the jobs' default config for them
            click.echo(f"   {gamertag} -> xuid {xuid}")
        _step("levelup sync --full --match-type all  (dagster job full_sync, one run per player)")
        for gamertag in players:
            _run(instance, "full_sync", gamertag)
        _step(f"The players play {DEMO_NEW_MATCHES} new matches each (simulator add-matches)")
        play_demo_matches(sim)
        _step("levelup sync --delta --match-type all  (dagster job delta_sync)")
        for gamertag in players:
            raw = _run(instance, "delta_sync", gamertag)
            if raw.get("history_seen", 0) > 25:
                click.echo("   (the delta stopped at the first stored match)")
        _step("levelup report  (job refresh_report; under make dev it follows by automation)")
        for gamertag in players:
            report = _succeeded(instance, "refresh_report", gamertag)
            click.echo(f"   {gamertag}: {report.metadata['player_report'].get('report_file')}")
        _step("What landed where (levelup stats --player ...)")
        for gamertag in players:
            print_stats(gamertag)
        stats = sim.stats()["requests"]
        click.echo(f"\nSimulator served: {stats}")
    click.echo(
        f"\nDatabases are under {data_dir() / 'players'}; runs and assets are in the Dagster UI "
        f"(make dev, then http://127.0.0.1:3000)."
    )


if __name__ == "__main__":
    main()

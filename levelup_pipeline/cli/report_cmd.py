"""`levelup report`: redraw a player's report (job `refresh_report`, no API call)."""

from __future__ import annotations

import click

from levelup_pipeline.cli.errors import NO_PLAYER, UserError, friendly
from levelup_pipeline.store.gamertag import find_gamertag
from levelup_pipeline.store.paths import validate_gamertag


def _registered_spelling(value: str, registered: list[str]) -> str:
    found = find_gamertag(validate_gamertag(value), registered)
    if not found:
        raise UserError(
            f"{value} is not a registered player: run 'levelup players add {value}' and "
            "'levelup sync' first."
        )
    return found


@click.command("report")
@click.option(
    "--player",
    "players",
    multiple=True,
    help="Gamertag to report on (repeatable). Default: every registered player.",
)
@friendly
def report_command(players: tuple[str, ...]) -> None:
    """Redraw the report of one player (--player) or of every registered player."""
    from levelup_pipeline.cli.instance import get_instance
    from levelup_pipeline.cli.runner import run_job
    from levelup_pipeline.defs.partitions import registered_players

    instance = get_instance()
    registered = registered_players(instance)
    targets = [_registered_spelling(p, registered) for p in players] or registered
    if not targets:
        raise UserError(NO_PLAYER)
    for gamertag in targets:
        outcome = run_job(instance, "refresh_report", gamertag, tags={"levelup/trigger": "cli"})
        if not outcome.success:
            raise UserError(f"{gamertag}: {outcome.error}")
        meta = outcome.metadata.get("player_report", {})
        click.echo(
            f"{gamertag}: {meta.get('status', 'report written')} -> {meta.get('report_file')}"
        )

"""`levelup`: the command line front door to the same Dagster jobs the UI runs."""

from __future__ import annotations

import warnings

import click

from levelup_pipeline.cli.auth_cmd import auth_command
from levelup_pipeline.cli.players_cmd import players_group
from levelup_pipeline.cli.stats_cmd import stats_command
from levelup_pipeline.cli.sync_cmd import sync_command
from levelup_pipeline.simulator.cli import simulator_cli

# Partitioned asset checks are a Dagster "preview" feature; the warning is noise for users.
warnings.filterwarnings("ignore", message=r".*(is currently in preview|is currently in beta).*")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """LevelUp: every Halo Infinite match of a player, in a local DuckDB file."""


cli.add_command(sync_command)
cli.add_command(players_group)
cli.add_command(stats_command)
cli.add_command(auth_command)
cli.add_command(simulator_cli, "simulator")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="levelup")


if __name__ == "__main__":
    main()

"""`levelup`: the command line front door to the same Dagster jobs the UI runs."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings

import click

# Subcommands are imported on first use: `levelup sync` does not pay for the others' imports.
LAZY_COMMANDS = {
    "sync": "levelup_pipeline.cli.sync_cmd:sync_command",
    "players": "levelup_pipeline.cli.players_cmd:players_group",
    "stats": "levelup_pipeline.cli.stats_cmd:stats_command",
    "report": "levelup_pipeline.cli.stats_cmd:report_command",
    "auth": "levelup_pipeline.cli.auth_cmd:auth_command",
    "simulator": "levelup_pipeline.simulator.cli:simulator_cli",
    "db": "levelup_pipeline.cli.maintenance_cmd:db_group",
    "archive": "levelup_pipeline.cli.maintenance_cmd:archive_command",
    "backup": "levelup_pipeline.cli.maintenance_cmd:backup_command",
    "restore": "levelup_pipeline.cli.maintenance_cmd:restore_command",
    "migrate": "levelup_pipeline.cli.migrate_cmd:migrate_command",
}


class LazyGroup(click.Group):
    """A click group whose LAZY_COMMANDS are imported when invoked (or listed by --help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


# Partitioned asset checks are a Dagster "preview" feature; the warning is noise for users.
warnings.filterwarnings("ignore", message=r".*(is currently in preview|is currently in beta).*")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """LevelUp: every Halo Infinite match of a player, in a local DuckDB file."""


def main() -> None:
    """Entry point; skips the interpreter's teardown (0.4-2.9 s after a Dagster run)."""
    try:
        cli(prog_name="levelup")
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code or 0)


if __name__ == "__main__":
    main()

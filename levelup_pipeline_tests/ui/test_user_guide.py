"""The French user guide stays in step with the code: every command, option, job and table
it must document is named in it, and the guide's wrong KDA formula is corrected."""

from __future__ import annotations

import click
import pytest

from levelup_pipeline.cli.main import cli
from levelup_pipeline.config import PROJECT_ROOT
from levelup_pipeline.defs.jobs import JOBS
from levelup_pipeline.defs.table_schemas import COLUMNS

GUIDE = PROJECT_ROOT / "docs" / "GUIDE_SYNCHRONISATION.fr.md"
ORIGINAL_GUIDE_COMMANDS = (
    "scripts/sync.py --delta",
    "--with-backfill",
    "--backfill-performance-scores",
    "--rebuild-cache",
    "--apply-indexes",
    "--stats",
    "--with-assets",
    "migrate_all_to_duckdb.py",
    "archive_season.py",
    "backup_player.py",
    "openspartan_launcher.py run+refresh",
    "spnkr_get_refresh_token.py",
)


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "levelup"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


def test_every_command_and_option_is_documented(guide):
    missing = []
    for path, command in _commands(cli):
        if path not in guide:
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option):
                flags = [f for f in param.opts if f.startswith("--") and f != "--help"]
                if flags and not any(f in guide for f in flags):
                    missing.append(f"{path} {flags[0]}")
    assert not missing, f"not in {GUIDE.name}: {missing}"


def test_jobs_tables_and_the_original_commands_are_mapped(guide):
    assert [job.name for job in JOBS if f"`{job.name}`" not in guide] == []
    assert [table for table in COLUMNS if f"`{table}`" not in guide] == []
    assert [c for c in ORIGINAL_GUIDE_COMMANDS if c not in guide] == []


def test_kda_is_the_api_formula(guide):
    assert "kills + assists/3 − morts" in guide
    assert "(kills + assists/3) / morts" in guide  # quoted as the old, wrong definition
    assert "**C'est faux**" in guide

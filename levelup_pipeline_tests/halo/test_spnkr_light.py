"""halo/spnkr_light.py and the film reader's medal table stay spnkr's, and a sync's first
request no longer waits for `import spnkr` (its __init__ builds every pydantic model)."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing

import pytest
from spnkr import xuid as spnkr_xuid
from spnkr.errors import InvalidXuidError
from spnkr.film.medals import MEDALS
from spnkr.models.refdata import MedalNameId
from spnkr.services import discovery_ugc, gamecms_hacs, profile, skill, stats

from levelup_pipeline.halo import spnkr_light
from levelup_pipeline.transform import match_stats
from levelup_pipeline.transform.film_events import medal_names

PLAYERS = [
    "xuid(2535405290989773)",
    " XUID(2535405290989773) ",
    "2535405290989773",
    2535405290989773,
    "253540529098977",
    "25354052909897731",
    123,
    "xuid(12)",
    "Some Gamertag",
    "  padded tag  ",
    "",
    "   ",
    "gt(2535405290989773)",
]


def _outcome(function, value):
    try:
        return ("ok", function(value))
    except (InvalidXuidError, spnkr_light.InvalidXuid):
        return ("invalid", None)


def test_hosts_are_spnkrs() -> None:
    assert spnkr_light.STATS_HOST == stats._HOST
    assert spnkr_light.SKILL_HOST == skill._HOST
    assert spnkr_light.PROFILE_HOST == profile._HOST
    assert spnkr_light.DISCOVERY_HOST == discovery_ugc._HOST
    assert spnkr_light.GAMECMS_HOST == gamecms_hacs._HOST


def test_match_types_are_spnkrs() -> None:
    match_type = inspect.signature(stats.StatsService.get_match_history).parameters["match_type"]
    assert spnkr_light.MATCH_TYPES == typing.get_args(match_type.annotation)


@pytest.mark.parametrize("value", PLAYERS)
def test_xuid_rules_are_spnkrs(value) -> None:
    assert _outcome(spnkr_light.unwrap_xuid, value) == _outcome(spnkr_xuid.unwrap_xuid, value)
    assert _outcome(spnkr_light.wrap_xuid_or_gamertag, value) == _outcome(
        spnkr_xuid.wrap_xuid_or_gamertag, value
    )


def test_medal_tables_are_spnkrs() -> None:
    assert medal_names() == MEDALS
    for medal in MedalNameId:
        assert match_stats._medal_display_name(int(medal)) == medal.display_name


def test_the_sync_path_does_not_import_spnkr() -> None:
    code = (
        "import sys\n"
        "import levelup_pipeline.cli.delta_check, levelup_pipeline.ingest.prefetch\n"
        "from levelup_pipeline.transform.film_events import medal_names\n"
        "from levelup_pipeline.transform.match_stats import _medal_display_name\n"
        "medal_names(), _medal_display_name(1)\n"
        "print(sorted(m for m in sys.modules if m == 'spnkr' or m.startswith('spnkr.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""`levelup db check`: finish what a killed restore left, read every block, decode every
stored body, and isolate the damaged ones for a refetch (store/raw_damage.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from levelup_pipeline.store import raw_damage
from levelup_pipeline.store.maintenance import _require, exclusive, verify
from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.restore import RestoreReport, finish_interrupted_restore


@dataclass
class CheckReport:
    """What `levelup db check` found, and did."""

    counts: dict[str, int]
    restore_finished: RestoreReport | None = None
    found: raw_damage.DamagedRaw = field(default_factory=raw_damage.DamagedRaw)
    awaiting: raw_damage.DamagedRaw = field(default_factory=raw_damage.DamagedRaw)


def check_database(store: PlayerStore) -> CheckReport:
    """The checks of the module docstring; raises CorruptDatabase for a damaged file."""
    finished = None
    if store.path.parent.is_dir():
        with exclusive(store):  # finishes (or drops) a restore killed half-way
            finished = finish_interrupted_restore(store)
    _require(store)
    counts = verify(store)
    report = CheckReport(counts, finished)
    with store.writer() as writer:
        con = writer.connection
        report.found = raw_damage.scan(con)
        if report.found:
            with writer._transaction() as tx:  # noqa: SLF001 - the writer's own transaction
                raw_damage.isolate(tx, report.found)
        report.awaiting = raw_damage.awaiting_refetch(con)
    return report


__all__ = ["CheckReport", "check_database"]

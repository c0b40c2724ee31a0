"""The API's match bodies stored verbatim (the source of truth), and what the API refused."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from levelup_pipeline.store import imported as imported_rows
from levelup_pipeline.store import raw_damage
from levelup_pipeline.store.raw_codec import dump_json as _dump
from levelup_pipeline.store.raw_codec import encode_column, film_columns
from levelup_pipeline.store.views import registered
from levelup_pipeline.store.writer_core import WriterCore, now
from levelup_pipeline.transform import match_stats as t_match

# Written matches are transformed again; archived ones take their mark along (archive.py).
UNMARK_TRANSFORMED = (
    "DELETE FROM transformed_matches WHERE match_id IN (SELECT match_id FROM {source})"
)


@dataclass
class RawMatch:
    match_id: str
    stats: dict[str, Any]
    skill: dict[str, Any] | None = None
    highlights: list[dict[str, Any]] | None = None
    skill_status: str | None = None
    film_status: str | None = None
    fetched_at: datetime = field(default_factory=now)


@dataclass
class RawParts:
    """A gap filling of a stored match: only the non-None fields are changed."""

    match_id: str
    skill: dict[str, Any] | None = None
    highlights: list[dict[str, Any]] | None = None
    skill_status: str | None = None
    film_status: str | None = None


class RawWrites(WriterCore):
    def stored_match_ids(self) -> set[str]:
        """Ids stored or archived: no sync refetches them."""
        rows = self._con.execute(
            "SELECT match_id FROM raw_match_json UNION SELECT match_id FROM archived_matches"
        ).fetchall()
        return {r[0] for r in rows}

    def write_raw_matches(self, rows: Sequence[RawMatch]) -> int:
        """Upsert raw matches; a re-fetch's NULL skill or film keeps the stored one."""
        rows = list({r.match_id: r for r in rows if r.match_id}.values())
        if not rows:
            return 0
        table = self._parts_table(rows)
        table = table.append_column("stats_json_zst", encode_column(r.stats for r in rows))
        fetched = pa.array([r.fetched_at for r in rows], pa.timestamp("us", tz="UTC"))
        table = table.append_column("fetched_at", fetched)
        with self._transaction() as con, registered(con, "_raw_in", table):
            con.execute(
                """
                INSERT INTO raw_match_json AS r
                    (match_id, stats_json_zst, skill_json_zst, highlights_json_zst,
                     film_plain, skill_status, film_status, fetched_at)
                SELECT match_id, stats_json_zst, skill_json_zst, highlights_json_zst,
                       film_plain, skill_status, film_status, fetched_at
                FROM _raw_in
                ON CONFLICT (match_id) DO UPDATE SET
                    stats_json_zst = excluded.stats_json_zst,
                    skill_json_zst = coalesce(excluded.skill_json_zst, r.skill_json_zst),
                    highlights_json_zst = coalesce(excluded.highlights_json_zst,
                                                   r.highlights_json_zst),
                    film_plain = CASE WHEN excluded.highlights_json_zst IS NULL
                                      THEN r.film_plain ELSE excluded.film_plain END,
                    skill_status = CASE WHEN excluded.skill_json_zst IS NULL
                                         AND r.skill_json_zst IS NOT NULL
                                        THEN r.skill_status ELSE excluded.skill_status END,
                    film_status = CASE WHEN excluded.highlights_json_zst IS NULL
                                        AND r.highlights_json_zst IS NOT NULL
                                       THEN r.film_status ELSE excluded.film_status END,
                    fetched_at = excluded.fetched_at
                """
            )
            con.execute(UNMARK_TRANSFORMED.format(source="_raw_in"))
        return table.num_rows

    def update_raw_parts(self, parts: Sequence[RawParts]) -> int:
        """Fill skill/film/statuses of stored matches; returns matches updated."""
        parts = list({p.match_id: p for p in parts if p.match_id}.values())
        if not parts:
            return 0
        table = self._parts_table(parts)
        with self._transaction() as con, registered(con, "_parts_in", table):
            rows = con.execute(
                """
                UPDATE raw_match_json SET
                    skill_json_zst = coalesce(p.skill_json_zst, raw_match_json.skill_json_zst),
                    highlights_json_zst = coalesce(p.highlights_json_zst,
                                                   raw_match_json.highlights_json_zst),
                    film_plain = CASE WHEN p.highlights_json_zst IS NULL
                                      THEN raw_match_json.film_plain ELSE p.film_plain END,
                    skill_status = coalesce(p.skill_status, raw_match_json.skill_status),
                    film_status = coalesce(p.film_status, raw_match_json.film_status)
                FROM _parts_in p
                WHERE p.match_id = raw_match_json.match_id
                """
            ).fetchall()
            con.execute(UNMARK_TRANSFORMED.format(source="_parts_in"))
        return int(rows[0][0]) if rows else 0

    def _parts_table(self, rows: Sequence[RawMatch | RawParts]) -> pa.Table:
        ids = [r.match_id for r in rows]
        return pa.table(
            {
                "match_id": pa.array(ids, pa.string()),
                "skill_json_zst": encode_column(r.skill for r in rows),
                **film_columns(self._con, ids, [_dump(r.highlights) for r in rows]),
                "skill_status": pa.array([r.skill_status for r in rows], pa.string()),
                "film_status": pa.array([r.film_status for r in rows], pa.string()),
            }
        )

    def record_unavailable(self, match_id: str, reason: str) -> None:
        """Remember a match the API refuses so syncs stop retrying it."""
        with self._transaction() as con:
            con.execute(
                """
                INSERT INTO unavailable_matches AS u (match_id, reason, first_seen, last_seen)
                VALUES (?, ?, current_timestamp, current_timestamp)
                ON CONFLICT (match_id) DO UPDATE SET
                    reason = excluded.reason, last_seen = excluded.last_seen
                """,
                [match_id, reason],
            )

    def imported_only_match_ids(self) -> set[str]:
        return set(imported_rows.imported_only_match_ids(self._con))

    def unavailable_match_ids(self) -> set[str]:
        rows = self._con.execute("SELECT match_id FROM unavailable_matches").fetchall()
        return {r[0] for r in rows}

    def pending_stats(self) -> Iterator[dict[str, Any]]:
        """Stats bodies not transformed yet: an interrupted sync's names are still to fetch."""
        rows = self._con.execute(
            "SELECT stats_json_zst FROM raw_match_json"
            " WHERE match_id IN (SELECT match_id FROM pending_matches)"
        ).fetchall()
        for (frame,) in rows:
            text, _damaged = raw_damage.decode_or_none(frame)  # the transform isolates it
            stats = t_match.parse_json(text)
            if isinstance(stats, dict):
                yield stats

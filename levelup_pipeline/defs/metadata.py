"""Small helpers that turn store results into Dagster metadata (counts, markdown previews)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster import MetadataValue


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-style markdown table (pandas' to_markdown needs an extra dependency)."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join(" --- " for _ in columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def preview(conn: Any, table: str, order_by: str | None = None, limit: int = 10) -> MetadataValue:
    """Markdown preview of the first rows of a store table (table names are ours, not input)."""
    order = f" ORDER BY {order_by}" if order_by else ""
    cur = conn.execute(f"SELECT * FROM {table}{order} LIMIT {int(limit)}")
    columns = [d[0] for d in cur.description]
    return MetadataValue.md(markdown_table(columns, cur.fetchall()))

"""Lineage reads like documentation: groups, descriptions, owners, kinds and column schemas
that match the real database."""

from __future__ import annotations

from levelup_pipeline.definitions import defs
from levelup_pipeline.defs.table_schemas import COLUMNS, column_schema_metadata
from levelup_pipeline.store.player_store import PlayerStore

STORY_GROUPS = ("ingest", "model", "aggregates", "report")


def _specs():
    graph = defs.resolve_asset_graph()
    return {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}


def test_column_schemas_match_a_migrated_database(tmp_path):
    store = PlayerStore("Schema Check", data_dir=tmp_path)
    with store.writer() as writer:
        writer.refresh_aggregates()  # mv_* are recreated by the aggregate SQL
    with store.reader() as conn:
        for table, columns in COLUMNS.items():
            actual = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            assert actual == [(name, kind) for name, kind, _ in columns], table
            assert all(text.strip() for _, _, text in columns), table


def test_every_asset_is_documented_and_tagged():
    specs = _specs()
    groups = {node.group_name for node in specs.values()}
    assert set(STORY_GROUPS) <= groups
    for name, node in specs.items():
        assert node.description and len(node.description) > 20, name
        assert node.owners, name
        kinds = {k for k in node.tags if k.startswith("dagster/kind/")}
        assert kinds, f"{name} has no kind"


def test_every_table_asset_carries_its_column_schema():
    specs = _specs()
    tables = [name for name in specs if name in COLUMNS]
    assert set(tables) == set(COLUMNS), "a table schema has no asset, or the reverse"
    for name in tables:
        expected = column_schema_metadata(name)["dagster/column_schema"]
        assert specs[name].metadata["dagster/column_schema"] == expected, name


def test_story_groups_flow_ingest_model_aggregates_report():
    specs = _specs()
    group_of = {name: node.group_name for name, node in specs.items()}
    for downstream, upstream in zip(STORY_GROUPS[1:], STORY_GROUPS, strict=False):
        assert any(
            group_of[p.to_user_string()] == upstream
            for name, node in specs.items()
            if node.group_name == downstream
            for p in node.parent_keys
        ), f"no {upstream} -> {downstream} edge"
    report_parents = {p.to_user_string() for p in specs["player_report"].parent_keys}
    assert {n for n, g in group_of.items() if g == "aggregates"} <= report_parents

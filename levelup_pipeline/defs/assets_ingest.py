"""Ingest: `raw_match_json`, the verbatim API responses, source of truth of every other table."""

import asyncio

from dagster import (
    AssetExecutionContext,
    Backoff,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.defs.table_schemas import column_schema_metadata
from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.halo.metrics import ProgressReporter
from levelup_pipeline.halo.resource import HaloApiResource
from levelup_pipeline.ingest.engine import SyncEngine, SyncReport
from levelup_pipeline.ingest.options import InvalidSyncOption, SyncOptions, options_from
from levelup_pipeline.ingest.player import resolve_identity
from levelup_pipeline.store.errors import StoreError

FULL_JOBS = ("full_sync",)


class SyncConfig(Config):
    """Run config of a sync; every field can also be set by a `levelup/<field>` run tag."""

    mode: str | None = None
    max_matches: int | None = None
    match_type: str | None = None
    with_assets: bool | None = None
    verbose: bool | None = None


def sync_options(context: AssetExecutionContext, config: SyncConfig) -> SyncOptions:
    """Options of this run: job defaults, then run config, then run tags."""
    mode = config.mode or ("full" if context.run.job_name in FULL_JOBS else "delta")
    values = config.model_dump(exclude={"mode"})
    return options_from(mode, values, context.run.tags)


def report_metadata(report: SyncReport, requests: int) -> dict:
    """Run metadata a player reads in the UI: what was fetched, skipped, left for backfill."""
    per_match = requests / report.fetched if report.fetched else 0.0
    return {
        "mode": report.mode,
        "new_matches": report.fetched,
        "history_seen": report.history_seen,
        "already_stored": report.already_stored,
        "unavailable_matches": MetadataValue.json(report.unavailable),
        "skill_gaps": report.skill_gaps,
        "film_gaps": report.film_gaps,
        "capped_by_max_matches": report.capped,
        "resume_cursor": report.cursor or "",
        "api_requests": requests,
        "requests_per_match": round(per_match, 2),
        "seconds": round(report.seconds, 2),
    }


@asset(
    partitions_def=players_partitions,
    group_name="ingest",
    kinds={"halo", "duckdb"},
    owners=["team:levelup"],
    pool="halo_api",
    metadata=column_schema_metadata("raw_match_json"),
    retry_policy=RetryPolicy(max_retries=1, delay=10, backoff=Backoff.EXPONENTIAL),
    description=(
        "Verbatim Halo API responses per match (stats, skill, film highlight events): the "
        "source of truth. Delta pages the history newest-first and stops at the first stored "
        "match; full walks back to max_matches. Every derived table is rebuilt from here."
    ),
)
def raw_match_json(
    context: AssetExecutionContext,
    config: SyncConfig,
    halo: HaloApiResource,
    store: PlayerStoreResource,
) -> MaterializeResult:
    """Fetch what the player's database lacks and store it raw, in transactional batches."""
    gamertag = context.partition_key
    try:
        options = sync_options(context, config)
        player_store = store.for_player(gamertag)
        report, requests = asyncio.run(_sync(context, halo, player_store, gamertag, options))
        with player_store.reader() as conn:
            total = conn.execute("SELECT count(*) FROM raw_match_json").fetchone()[0]
    except (HaloApiError, StoreError, InvalidSyncOption) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    context.log.info(
        f"{gamertag}: {report.fetched} new match(es) stored, {total} in total "
        f"({requests} API requests, {report.seconds:.1f}s)"
    )
    meta = report_metadata(report, requests)
    meta["dagster/row_count"] = total
    return MaterializeResult(metadata=meta)


async def _sync(context, halo, player_store, gamertag: str, options: SyncOptions):
    async with halo.open(logger=context.log, verbose=options.verbose) as api:
        # A new partition (UI, roster) is resolved before its file exists: a mistyped
        # gamertag fails with PlayerNotFound and leaves no empty database behind.
        resolved = None if player_store.exists() else await api.resolve_player(gamertag)
        with player_store.writer() as writer:
            identity = await resolve_identity(api, writer, gamertag, resolved)
            engine = SyncEngine(
                api,
                writer,
                identity.gamertag,
                identity.xuid,
                options,
                progress=ProgressReporter(
                    logger=context.log, metrics=api.metrics, description=gamertag
                ),
                on_log=context.log.info,
            )
            report = await engine.run()
        return report, api.metrics.requests

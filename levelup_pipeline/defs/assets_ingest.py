"""The assets that call the Halo API: `raw_match_json` (verbatim responses) and `game_assets`."""

import asyncio
from contextlib import nullcontext
from dataclasses import asdict

from dagster import (
    AssetExecutionContext,
    Backoff,
    Failure,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from levelup_pipeline.defs.config import GapPart, MatchType, SyncConfig, player_settings
from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource, failing_on, never_synced
from levelup_pipeline.defs.table_schemas import column_schema_metadata
from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.halo.metrics import ProgressReporter
from levelup_pipeline.halo.resource import HaloApiResource
from levelup_pipeline.ingest import prefetch
from levelup_pipeline.ingest.backfill import Backfiller, PartResult, plan_backfill
from levelup_pipeline.ingest.engine import SyncEngine, SyncReport
from levelup_pipeline.ingest.options import InvalidSyncOption, SyncOptions, options_from
from levelup_pipeline.ingest.player import check_gamertag, lookup_gamertag, resolve_identity
from levelup_pipeline.ingest.reference import (
    ReferenceReport,
    cached_images,
    fetch_reference,
    plan_reference,
)
from levelup_pipeline.store.errors import StoreError
from levelup_pipeline.store.player_store import PlayerStore


def synced_store(store: PlayerStoreResource, gamertag: str) -> PlayerStore:
    """The player's store, or a Failure saying to sync first when it has never been synced."""
    player_store = store.for_player(gamertag)
    if not player_store.exists():
        raise never_synced(gamertag)
    return player_store


def sync_options(config: SyncConfig, gamertag: str) -> SyncOptions:
    """The validated delta/full options; match_type left out (asset page): the player's."""
    values = config.model_dump(exclude={"mode", "gap_parts", "match_type"})
    chosen = config.match_type and MatchType(config.match_type).value
    values["match_type"] = chosen or player_settings(gamertag).match_type
    return options_from(config.mode, values)


def report_metadata(report: SyncReport, requests: int) -> dict:
    """Run metadata a player reads in the UI: what was fetched, skipped, left for gap fill."""
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
    description="Verbatim Halo API responses per match (stats, skill, film highlight events): "
    "the source of truth. Config mode: delta pages the history newest-first and stops at the "
    "first stored match; full walks back to max_matches; fill_gaps fetches only what stored "
    "matches lack. Every derived table is rebuilt from here.",
)
def raw_match_json(
    context: AssetExecutionContext,
    config: SyncConfig,
    halo: HaloApiResource,
    store: PlayerStoreResource,
) -> MaterializeResult:
    """Fetch what the player's database lacks and store it raw, in transactional batches."""
    gamertag = context.partition_key
    with failing_on(HaloApiError, StoreError, InvalidSyncOption):
        if config.mode == "fill_gaps":
            player_store = synced_store(store, gamertag)
            results, requests = asyncio.run(_fill(context, halo, player_store, config))
            meta = fill_metadata(context, results, requests)
        else:
            options = sync_options(config, gamertag)
            player_store = store.for_player(gamertag)
            report, requests, prefetched = _run_sync(context, halo, player_store, gamertag, options)
            context.log.info(
                f"{gamertag}: {report.fetched} new match(es) stored "
                f"({requests} API requests, {report.seconds:.1f}s)"
            )
            meta = report_metadata(report, requests)
            meta["match_type"] = options.match_type
            meta["prefetched_requests"] = prefetched
        with player_store.reader() as conn:
            total = conn.execute("SELECT count(*) FROM raw_match_json").fetchone()[0]
    meta["dagster/row_count"] = total
    return MaterializeResult(metadata=meta)


def fill_metadata(
    context: AssetExecutionContext, results: dict[str, PartResult], requests: int
) -> dict:
    """Metadata of a gap fill: per part, what was missing, asked, absent, failed, stored."""
    summary = ", ".join(f"{part} {r.stored}/{r.missing}" for part, r in results.items())
    context.log.info(
        f"{context.partition_key}: gaps filled (stored/missing): {summary} "
        f"({requests} API requests)"
    )
    return {
        "mode": "fill_gaps",
        "gap_fill": MetadataValue.json({p: asdict(r) for p, r in results.items()}),
        "gaps_missing": sum(r.missing for r in results.values()),
        "gaps_stored": sum(r.stored for r in results.values()),
        "api_requests": requests,
    }


async def _fill(
    context: AssetExecutionContext,
    halo: HaloApiResource,
    player_store: PlayerStore,
    config: SyncConfig,
) -> tuple[dict[str, PartResult], int]:
    """Plan first (no API session opens when nothing is missing), then fetch and store."""
    with player_store.writer() as writer:
        xuid = writer.get_meta("player_xuid")
        if not xuid:
            raise Failure(
                description=f"Player {context.partition_key} has no XUID yet: sync it first.",
                allow_retries=False,
            )
        todo = plan_backfill(writer, [GapPart(p).value for p in config.gap_parts])
        session = halo.open(logger=context.log, verbose=config.verbose)
        async with session if any(todo.values()) else nullcontext() as api:
            results = await Backfiller(writer, xuid, todo, api=api, on_log=context.log.info).run()
            return results, api.metrics.requests if api else 0


def _run_sync(context, halo, player_store, gamertag: str, options: SyncOptions):
    """The sync, on the CLI prefetch's loop and session if any: (report, requests, prefetched)."""
    prefetched = prefetch.claim(gamertag, options)
    if prefetched is None:
        return *asyncio.run(_sync(context, halo, player_store, gamertag, options)), 0
    report, requests = prefetched.run(
        lambda api: _sync(context, halo, player_store, gamertag, options, api),
        logger=context.log,
    )
    return report, requests, prefetched.served


async def _sync(context, halo, player_store, gamertag: str, options: SyncOptions, api=None):
    session = halo.open(logger=context.log, verbose=options.verbose) if api is None else None
    async with session or nullcontext(api) as api:
        # A mistyped new gamertag fails here, before an empty database is created.
        resolved = None if player_store.exists() else await api.resolve_player(gamertag)
        with player_store.writer() as writer:
            identity = await resolve_identity(api, writer, gamertag, resolved)
            # The stored XUID's gamertag check runs alongside the fetch; its writes follow.
            lookup = (
                None
                if identity.just_resolved
                else asyncio.ensure_future(lookup_gamertag(api, identity.xuid, gamertag))
            )
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
            try:
                report = await engine.run()
            except BaseException:
                if lookup is not None:
                    lookup.cancel()
                    await asyncio.gather(lookup, return_exceptions=True)
                raise
            if lookup is not None:
                check_gamertag(api, writer, identity.xuid, gamertag, await lookup)
        return report, api.metrics.requests


@asset(
    deps=["raw_match_json"],
    partitions_def=players_partitions,
    group_name="reference",
    kinds={"halo", "duckdb", "file"},
    owners=["team:levelup"],
    pool="halo_api",
    description="The guide's --with-assets: map, mode, playlist and medal metadata (names, "
    "image URLs) missing from the player's database, and their images cached under "
    "<data>/assets/ (shared by every player).",
)
def game_assets(
    context: AssetExecutionContext, halo: HaloApiResource, store: PlayerStoreResource
) -> MaterializeResult:
    """Fetch missing metadata and images; zero requests when everything is already here."""
    player_store = synced_store(store, context.partition_key)
    assets_root = store.root() / "assets"
    with failing_on(HaloApiError, StoreError):
        report, requests = asyncio.run(_reference(context, halo, player_store, assets_root))
    context.log.info(
        f"{context.partition_key}: {report.images_downloaded} image(s) downloaded, "
        f"{report.images_cached} cached under {assets_root} ({requests} API requests)"
    )
    return MaterializeResult(
        metadata={**asdict(report), "api_requests": requests, "path": str(assets_root)}
    )


async def _reference(context, halo, player_store: PlayerStore, assets_root) -> tuple:
    with player_store.writer() as writer:
        plan = plan_reference(writer, assets_root)
        if not plan.needs_api():
            return ReferenceReport(images_cached=cached_images(writer, assets_root)), 0
        async with halo.open(logger=context.log) as api:
            report = await fetch_reference(api, writer, plan, assets_root)
            return report, api.metrics.requests

"""Backfill and reference assets: fill what stored matches lack, download game metadata/images.

`backfill_*` (one multi-asset, subsettable) sits between `raw_match_json` and the model tables:
it fetches only what is missing, writes it into the raw layer and re-runs the transform, and
reports in its metadata how many rows it filled. `game_assets` is the guide's
`--with-assets`: map, mode, playlist and medal metadata with their images cached on disk.
"""

import asyncio
from collections.abc import Iterator, Mapping

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    asset,
    map_asset_specs,
    multi_asset,
)

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource
from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.halo.resource import HaloApiResource
from levelup_pipeline.ingest.backfill import Backfiller, PartResult, plan_backfill
from levelup_pipeline.ingest.reference import (
    ReferenceReport,
    cached_images,
    fetch_reference,
    plan_reference,
)
from levelup_pipeline.store.errors import StoreError
from levelup_pipeline.store.player_store import PlayerStore

RAW = AssetKey("raw_match_json")
#: asset key -> (backfill part, description)
BACKFILL_PARTS: dict[str, tuple[str, str]] = {
    "backfill_imported_matches": (
        "matches",
        "Matches known only from an import of the original LevelUp's files, fetched whole "
        "(stats, skill, film): modelled from the API's JSON from then on.",
    ),
    "backfill_skill": (
        "skill",
        "Skill (CSR/MMR) of stored matchmade matches whose skill was missing or failed; "
        "fills player_match_stats.",
    ),
    "backfill_highlight_events": (
        "highlights",
        "Film highlight events of stored matches whose film was missing or failed.",
    ),
    "backfill_aliases": (
        "aliases",
        "Gamertags (profile API) of the players met whose XUID has no alias yet.",
    ),
    "backfill_names": (
        "names",
        "Map, mode, playlist and map-mode pair names (UGC assets) not fetched yet.",
    ),
    "backfill_medal_names": (
        "medals",
        "Medal names: the medal metadata when earned medals are not described yet.",
    ),
    "backfill_performance_scores": (
        "performance_scores",
        "Performance scores left NULL where 10 earlier matches exist. SQL only: no API call.",
    ),
}
BACKFILL_KEYS = [AssetKey(k) for k in BACKFILL_PARTS]
PERFORMANCE_KEY = AssetKey("backfill_performance_scores")


def _player_store(store: PlayerStoreResource, gamertag: str) -> PlayerStore:
    player_store = store.for_player(gamertag)
    if not player_store.exists():
        raise Failure(
            description=(
                f"Player {gamertag} has never been synced: run delta_sync or full_sync first."
            ),
            allow_retries=False,
        )
    return player_store


@multi_asset(
    name="backfill_missing",
    specs=[
        AssetSpec(
            key,
            deps=[RAW],
            description=description,
            group_name="backfill",
            kinds={"halo", "duckdb"},
            owners=["team:levelup"],
            skippable=True,
        )
        for key, (_part, description) in BACKFILL_PARTS.items()
    ],
    partitions_def=players_partitions,
    can_subset=True,
    pool="halo_api",
)
def backfill_missing(
    context: AssetExecutionContext, halo: HaloApiResource, store: PlayerStoreResource
) -> Iterator[MaterializeResult]:
    """Fill the selected parts for one player; no API session opens when nothing is missing."""
    keys = [k for k in BACKFILL_KEYS if k in context.selected_asset_keys]
    parts = [BACKFILL_PARTS[k.to_user_string()][0] for k in keys]
    player_store = _player_store(store, context.partition_key)
    fill = fills_gaps(context.run.job_name, context.run.tags)
    try:
        if fill:
            results, requests = asyncio.run(_backfill(context, halo, player_store, parts))
        else:
            results, requests = _audit(context, player_store, parts), 0
    except (HaloApiError, StoreError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    if fill:
        summary = ", ".join(f"{p} {results[p].filled}" for p in parts)
        context.log.info(f"{context.partition_key}: filled {summary} ({requests} API requests)")
    else:
        summary = ", ".join(f"{p} {results[p].missing}" for p in parts if results[p].missing)
        context.log.info(
            f"{context.partition_key}: gaps left for the backfill: {summary or 'none'} "
            "(run with --with-backfill, or the backfill job, to fill them)"
        )
    for key, part in zip(keys, parts, strict=True):
        yield MaterializeResult(
            asset_key=key, metadata={**results[part].as_metadata(), "api_requests": requests}
        )


#: Sync jobs only take stock of the gaps (no API call) unless asked to fill them.
SYNC_JOBS = ("delta_sync", "full_sync")
WITH_BACKFILL_TAG = "levelup/with_backfill"


def fills_gaps(job_name: str, tags: Mapping[str, str]) -> bool:
    """True when this run fills gaps: the backfill jobs, a direct materialization, or a sync
    tagged `levelup/with_backfill=true`. Plain syncs only count them (zero API calls), which
    keeps the lineage raw -> backfill -> model true for every run without slowing a delta."""
    if job_name not in SYNC_JOBS:
        return True
    return tags.get(WITH_BACKFILL_TAG, "").strip().lower() in ("1", "true", "yes")


def _audit(
    context: AssetExecutionContext, player_store: PlayerStore, parts: list[str]
) -> dict[str, PartResult]:
    """Count what is missing per part; performance scores (SQL only) are filled anyway."""
    with player_store.writer() as writer:
        plan = plan_backfill(writer, parts)
        results = {
            "matches": PartResult(missing=len(plan.matches)),
            "skill": PartResult(missing=len(plan.skill)),
            "highlights": PartResult(missing=len(plan.highlights)),
            "aliases": PartResult(missing=len(plan.xuids)),
            "names": PartResult(missing=len(plan.ugc)),
            "medals": PartResult(missing=int(plan.medals)),
        }
        if "performance_scores" in parts:
            xuid = writer.get_meta("player_xuid") or ""
            scores_only = plan_backfill(writer, ["performance_scores"])
            backfiller = Backfiller(writer, xuid, scores_only, on_log=context.log.info)
            results.update(asyncio.run(backfiller.run()))
    return {part: results[part] for part in parts}


async def _backfill(
    context: AssetExecutionContext,
    halo: HaloApiResource,
    player_store: PlayerStore,
    parts: list[str],
) -> tuple[dict[str, PartResult], int]:
    with player_store.writer() as writer:
        xuid = writer.get_meta("player_xuid")
        if not xuid:
            raise Failure(
                description=f"Player {context.partition_key} has no XUID yet: sync it first.",
                allow_retries=False,
            )
        plan = plan_backfill(writer, parts)
        if not plan.needs_api():
            return await Backfiller(writer, xuid, plan, on_log=context.log.info).run(), 0
        async with halo.open(logger=context.log) as api:
            backfiller = Backfiller(writer, xuid, plan, api=api, on_log=context.log.info)
            return await backfiller.run(), api.metrics.requests


@asset(
    deps=[RAW],
    partitions_def=players_partitions,
    group_name="reference",
    kinds={"halo", "duckdb", "file"},
    owners=["team:levelup"],
    pool="halo_api",
    description=(
        "The guide's --with-assets: map, mode, playlist and medal metadata (names, image URLs) "
        "missing from the player's database, and their images cached under <data>/assets/."
    ),
)
def game_assets(
    context: AssetExecutionContext, halo: HaloApiResource, store: PlayerStoreResource
) -> MaterializeResult:
    """Fetch missing metadata and images; zero requests when everything is already here."""
    player_store = _player_store(store, context.partition_key)
    assets_root = store.root() / "assets"
    try:
        report, requests = asyncio.run(_reference(context, halo, player_store, assets_root))
    except (HaloApiError, StoreError) as exc:
        raise Failure(description=str(exc), allow_retries=False) from None
    context.log.info(
        f"{context.partition_key}: {report.images_downloaded} image(s) downloaded, "
        f"{report.images_cached} cached under {assets_root} ({requests} API requests)"
    )
    return MaterializeResult(
        metadata={**report.as_metadata(), "api_requests": requests, "path": str(assets_root)}
    )


async def _reference(context, halo, player_store: PlayerStore, assets_root) -> tuple:
    with player_store.writer() as writer:
        plan = plan_reference(writer, assets_root)
        if not plan.needs_api():
            return ReferenceReport(images_cached=cached_images(writer, assets_root)), 0
        async with halo.open(logger=context.log) as api:
            report = await fetch_reference(api, writer, plan, assets_root)
            return report, api.metrics.requests


def fed_by_backfill(model_assets: AssetsDefinition) -> AssetsDefinition:
    """The model tables with the backfill assets as extra upstream deps: the lineage the UI
    shows (raw -> backfill -> model) and the step order of the `backfill` job."""

    def add_deps(spec: AssetSpec) -> AssetSpec:
        return spec.replace_attributes(deps=[*spec.deps, *BACKFILL_KEYS])

    return map_asset_specs(add_deps, [model_assets])[0]


BACKFILL_ASSETS = [backfill_missing, game_assets]

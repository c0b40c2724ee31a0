"""Reference data: `game_assets`, the guide's --with-assets (game metadata and images)."""

import asyncio

from dagster import AssetExecutionContext, Failure, MaterializeResult, asset

from levelup_pipeline.defs.partitions import players_partitions
from levelup_pipeline.defs.resources import PlayerStoreResource, never_synced
from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.halo.resource import HaloApiResource
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

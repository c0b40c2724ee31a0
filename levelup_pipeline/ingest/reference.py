"""`--with-assets`: map, mode, playlist and medal metadata, their images cached on disk once
for every player; images the API does not have are remembered and not asked again."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from levelup_pipeline.atomic_file import write_atomic
from levelup_pipeline.halo.client import UntrustedImageUrl, download_image, medal_sprite_url
from levelup_pipeline.halo.errors import ResourceNotFound
from levelup_pipeline.ingest.fetch_core import (
    MEDAL_SPRITES_KEY,
    attempt,
    fetch_medal_metadata,
    fetch_ugc_names,
)
from levelup_pipeline.store import backfill as gaps
from levelup_pipeline.store.writer import StoreWriter

MISSING_IMAGES_KEY = "assets_missing_images"
DOWNLOADERS = 8
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


def image_path(assets_root: Path, url: str) -> Path:
    """Where an image is cached: `<assets_root>/<host>/<url path>`; unsafe paths are refused."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [s for s in urllib.parse.unquote(parts.path).split("/") if s]
    for segment in [host, *segments]:
        if segment in (".", "..") or not _SAFE_SEGMENT.match(segment):
            raise ValueError(f"Image URL {url!r} cannot name a file under {assets_root}.")
    if not segments:
        raise ValueError(f"Image URL {url!r} has no file name.")
    return assets_root.joinpath(host, *segments)


def _images(writer: StoreWriter, assets_root: Path) -> dict[str, Path]:
    """Image URL -> cache path of the stored metadata and sprite sheets (unsafe URLs left out)."""
    sprites = sorted(medal_sprite_url(p) for p in gaps.remembered(writer, MEDAL_SPRITES_KEY))
    out = {}
    for url in gaps.image_urls(writer) + sprites:
        try:
            out[url] = image_path(assets_root, url)
        except ValueError:
            continue
    return out


def missing_images(writer: StoreWriter, assets_root: Path) -> list[str]:
    """Image URLs of stored metadata not cached on disk yet (nor known to be absent)."""
    absent = gaps.remembered(writer, MISSING_IMAGES_KEY)
    images = _images(writer, assets_root)
    return [url for url, path in images.items() if url not in absent and not path.exists()]


@dataclass
class ReferencePlan:
    """What the player's database and the image cache lack, before any request."""

    ugc: list[gaps.UgcRef] = field(default_factory=list)
    medals: bool = False
    images: list[str] = field(default_factory=list)

    def needs_api(self) -> bool:
        """True when something must be fetched."""
        return bool(self.ugc or self.medals or self.images)


def plan_reference(writer: StoreWriter, assets_root: Path) -> ReferencePlan:
    """Missing UGC assets, medal metadata (or its sprite list) and images (read-only)."""
    return ReferencePlan(
        ugc=gaps.missing_ugc_refs(writer),
        medals=not writer.has_medal_metadata() or writer.get_meta(MEDAL_SPRITES_KEY) is None,
        images=missing_images(writer, assets_root),
    )


@dataclass
class ReferenceReport:
    """What the run fetched and cached (asset metadata)."""

    ugc_assets_fetched: int = 0
    medal_metadata_fetched: bool = False
    images_downloaded: int = 0
    images_absent: int = 0
    images_failed: int = 0
    bytes_downloaded: int = 0
    images_cached: int = 0


def _write_image(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


async def fetch_reference(
    api: Any, writer: StoreWriter, plan: ReferencePlan, assets_root: Path
) -> ReferenceReport:
    """Fetch the planned metadata, then every image still missing; returns the report."""
    report = ReferenceReport()
    if plan.ugc:
        answers = await fetch_ugc_names(api, writer, plan.ugc)
        report.ugc_assets_fetched = len(plan.ugc) - len(answers.absent) - answers.failed
    if plan.medals:
        report.medal_metadata_fetched = await fetch_medal_metadata(api, writer)
    urls = missing_images(writer, assets_root)  # metadata just fetched adds URLs
    gate = asyncio.Semaphore(DOWNLOADERS)
    absent: list[str] = []

    async def one(url: str) -> None:
        async with gate:
            data, error = await attempt(download_image(api, url))
        if isinstance(error, ResourceNotFound | UntrustedImageUrl):
            absent.append(url)
        elif error is not None:
            report.images_failed += 1
        else:
            await asyncio.to_thread(_write_image, image_path(assets_root, url), data)
            report.images_downloaded += 1
            report.bytes_downloaded += len(data)

    await asyncio.gather(*(one(u) for u in urls))
    report.images_absent = len(absent)
    gaps.remember(writer, MISSING_IMAGES_KEY, absent)
    report.images_cached = cached_images(writer, assets_root)
    return report


def cached_images(writer: StoreWriter, assets_root: Path) -> int:
    """How many images of the player's metadata are on disk."""
    return sum(1 for path in _images(writer, assets_root).values() if path.exists())

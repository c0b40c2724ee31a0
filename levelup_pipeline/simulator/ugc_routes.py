"""The discovery (UGC), blob and gamecms services: UGC assets, films and their chunks, medal
metadata and images."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from aiohttp import web

from levelup_pipeline.simulator import film
from levelup_pipeline.simulator.routes import (
    BLOBS,
    GAMECMS,
    UGC,
    Route,
    Service,
    json_response,
    not_found,
    route,
)
from levelup_pipeline.simulator.sim_state import FILM_NS

_PNG = base64.b64decode(  # 1x1 pixel: every simulated image
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
CHUNK_MS = 20_000  # film length covered by one type-2 chunk


def _chunk(index: int, offset: int, duration: int, size: int, kind: int) -> dict[str, Any]:
    """One entry of a film's chunk list."""
    return {
        "Index": index,
        "ChunkStartTimeOffsetMilliseconds": offset,
        "DurationMilliseconds": duration,
        "ChunkSize": size,
        "FileRelativePath": f"/filmChunk{index}",
        "ChunkType": kind,
    }


class UgcService(Service):
    """Handlers of discovery-infiniteugc.svc, blobs-infiniteugc.svc and gamecms-hacs.svc."""

    def routes(self) -> list[Route]:
        """Films and UGC assets, film chunks, medal metadata, then images."""
        asset = r"(?P<asset>[^/]+)/(?P<version>[^/]+)"
        ugc_kinds = r"(?P<kind>maps|ugcGameVariants|playlists|mapModePairs)"
        asset_versions = r"(?P<asset>[^/]+)/versions/(?P<version>[^/]+)"
        films = r"/hi/films/matches/(?P<id>[^/]+)/spectate"
        chunks = rf"/ugcstorage/film/{asset}/filmChunk(?P<n>\d+)"
        blob_images = rf"/ugcstorage/[a-z]+/{asset}/(?P<file>images/[^/]+)"
        medal_images = r"/hi/Waypoint/file/(?P<file>medals/images/[^/]+)"
        return [
            route(UGC, films, "film", self.film),
            route(UGC, rf"/hi/{ugc_kinds}/{asset_versions}", "ugc", self.ugc),
            route(BLOBS, chunks, "film_chunk", self.chunk),
            route(GAMECMS, r"/hi/Waypoint/file/medals/metadata\.json", "medals", self.medals),
            route(BLOBS, blob_images, "images", self.image),
            route(GAMECMS, medal_images, "images", self.image),
        ]

    async def ugc(self, request: web.Request, match: re.Match) -> web.Response:
        """A map, game variant, playlist or map-mode pair version."""
        body = self.world.ugc.get((match["kind"], match["asset"].lower(), match["version"].lower()))
        return json_response(body) if body else not_found()

    def _film_length_ms(self, match_id: str) -> int:
        info = self.world.matches[match_id]["MatchInfo"]
        return int(film._seconds(info.get("PlayableDuration") or "PT10M") * 1000)

    async def film(self, request: web.Request, match: re.Match) -> web.Response:
        """Film metadata whose last chunk (type 3) is the highlight events."""
        match_id = match["id"].lower()
        version = self.world.film_versions.get(match_id)
        if version is None or match_id in self.knobs.missing_matches:
            return not_found()
        length = self._film_length_ms(match_id)
        asset = self.state.film_asset(match_id)
        asset_version = str(uuid.uuid5(FILM_NS, asset))
        chunks = [_chunk(0, 0, 10, 64, 1)]
        offset, index = 0, 1
        while offset < length:
            span = min(CHUNK_MS, length - offset)
            chunks.append(_chunk(index, offset, span, 64, 2))
            offset += span
            index += 1
        if match_id not in self.knobs.films_without_highlights:
            size = len(self.state.highlight_chunk(match_id))
            chunks.append(_chunk(index, 0, 0, size, 3))
        return json_response(
            {
                "FilmStatusBond": 1,
                "CustomData": {
                    "FilmLength": length,
                    "Chunks": chunks,
                    "HasGameEnded": True,
                    "ManifestRefreshSeconds": 30,
                    "MatchId": match_id,
                    "FilmMajorVersion": version,
                },
                "BlobStoragePathPrefix": f"https://{BLOBS}/ugcstorage/film/{asset}/{asset_version}/",
                "AssetId": asset,
            }
        )

    async def chunk(self, request: web.Request, match: re.Match) -> web.Response:
        """Film chunk bytes: the real encoded highlight chunk last, small dummies before."""
        match_id = self.state.film_assets.get(match["asset"].lower())
        if match_id is None:
            for candidate in list(self.world.film_versions):
                self.state.film_asset(candidate)
            match_id = self.state.film_assets.get(match["asset"].lower())
        if match_id is None or match_id in self.knobs.missing_matches:
            return not_found()
        last = 1 + -(-self._film_length_ms(match_id) // CHUNK_MS)
        n = int(match["n"])
        if n == last and match_id not in self.knobs.films_without_highlights:
            body = self.state.highlight_chunk(match_id)
        elif n < last:
            body = bytes(64)
        else:
            return not_found()
        return web.Response(body=body, content_type="application/octet-stream")

    async def medals(self, request: web.Request, match: re.Match) -> web.Response:
        """Medal metadata."""
        data = self.world.medal_metadata
        return json_response(data) if data else not_found()

    async def image(self, request: web.Request, match: re.Match) -> web.Response:
        """A UGC asset's image or a medal sprite sheet (a tiny PNG) when the world names it."""
        groups = match.groupdict()
        if "asset" in groups:
            body = next(
                (
                    b
                    for (_k, a, v), b in self.world.ugc.items()
                    if a == groups["asset"].lower() and v == groups["version"].lower()
                ),
                None,
            )
            files = ((body or {}).get("Files") or {}).get("FileRelativePaths") or []
        else:
            sprites = (self.world.medal_metadata or {}).get("sprites") or {}
            files = [s.get("path") for s in sprites.values()]
        if groups["file"] not in files:
            return not_found()
        return web.Response(body=_PNG, content_type="image/png")

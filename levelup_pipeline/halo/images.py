"""Image downloads (map/mode/playlist pictures, medal sprite sheets) through the one client.

Image URLs come from API bodies and every request carries the player's tokens, so only HTTPS
URLs on Halo Waypoint hosts are fetched: tokens never go to a host a body points at.
"""

from __future__ import annotations

import urllib.parse

from spnkr.services.gamecms_hacs import _HOST as GAMECMS_HOST

from levelup_pipeline.halo.client import HaloApi
from levelup_pipeline.halo.errors import HaloApiError, ResourceNotFound

TRUSTED_HOST_SUFFIX = ".halowaypoint.com"


class UntrustedImageUrl(HaloApiError):
    """An image URL outside the Halo services: refused so that tokens never leave them."""


def medal_sprite_url(path: str) -> str:
    """Absolute URL of a sprite sheet named in the medal metadata (`medals/images/...png`)."""
    return urllib.parse.urljoin(f"{GAMECMS_HOST}/hi/Waypoint/file/", path.lstrip("/"))


async def download_image(api: HaloApi, url: str) -> bytes:
    """The bytes of one image (404/410 -> ResourceNotFound, other errors typed as usual)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host.endswith(TRUSTED_HOST_SUFFIX):
        raise UntrustedImageUrl(
            f"Refusing to download {parts.scheme}://{host}{parts.path}: images are only "
            f"fetched from https://*{TRUSTED_HOST_SUFFIX}."
        )
    not_found = ResourceNotFound(f"The image {parts.path} was not found.")
    return await api._request(url, "images", lambda: not_found)  # noqa: SLF001 - same package

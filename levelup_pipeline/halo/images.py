"""Image downloads (map/mode/playlist pictures, medal sprite sheets) through the one client.

Image URLs come from API bodies, and every request of the client carries the player's tokens,
so only HTTPS URLs on Halo Waypoint hosts are ever fetched: a body pointing elsewhere could
otherwise make us hand the tokens to a stranger.
"""

from __future__ import annotations

import urllib.parse

from spnkr.services.gamecms_hacs import _HOST as GAMECMS_HOST

from levelup_pipeline.halo.client import HaloApi
from levelup_pipeline.halo.errors import HaloApiError, ResourceNotFound

TRUSTED_HOST_SUFFIX = ".halowaypoint.com"
#: Medal sprite sheet paths in the medal metadata are relative to this folder.
MEDAL_FILES = f"{GAMECMS_HOST}/hi/Waypoint/file/"


class UntrustedImageUrl(HaloApiError):
    """An image URL outside the Halo services: refused so that tokens never leave them."""


def check_image_url(url: str) -> str:
    """Return `url` when it is an HTTPS URL on a Halo Waypoint host, else raise."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host.endswith(TRUSTED_HOST_SUFFIX):
        raise UntrustedImageUrl(
            f"Refusing to download {parts.scheme}://{host}{parts.path}: images are only "
            f"fetched from https://*{TRUSTED_HOST_SUFFIX}."
        )
    return url


def medal_sprite_url(path: str) -> str:
    """Absolute URL of a sprite sheet named in the medal metadata (`medals/images/...png`)."""
    return urllib.parse.urljoin(MEDAL_FILES, path.lstrip("/"))


async def download_image(api: HaloApi, url: str) -> bytes:
    """The bytes of one image (404/410 -> ResourceNotFound, other errors typed as usual)."""
    check_image_url(url)
    path = urllib.parse.urlsplit(url).path
    return await api._request(  # noqa: SLF001 - same package: limiter, retries and metrics
        "GET",
        url,
        endpoint="images",
        not_found=lambda: ResourceNotFound(f"The image {path} was not found."),
    )

"""Turn every error a user can hit into one clear sentence and a non-zero exit code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.ingest.options import InvalidSyncOption
from levelup_pipeline.store.errors import StoreError


class UserError(click.ClickException):
    """A failure explained in one sentence (printed as `Error: ...`, exit code 1)."""


USER_FACING = (HaloApiError, StoreError, InvalidSyncOption, ValueError, OSError)


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: known errors become a one-line message instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except USER_FACING as exc:
            raise UserError(str(exc) or type(exc).__name__) from None

    return wrapper

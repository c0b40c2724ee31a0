"""Turn every error a user can hit into one clear sentence and a non-zero exit code."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click
import duckdb

from levelup_pipeline.halo.errors import HaloApiError
from levelup_pipeline.ingest.options import InvalidSyncOption
from levelup_pipeline.store.errors import (
    DISK_FULL_ERRNOS,
    NOT_WRITABLE_ERRNOS,
    StoreError,
    environment_error,
)


class UserError(click.ClickException):
    """A failure explained in one sentence (printed as `Error: ...`, exit code 1)."""


USER_FACING = (HaloApiError, StoreError, InvalidSyncOption, ValueError, OSError)
DEBUG_ENV = "LEVELUP_DEBUG"
NO_PLAYER = (
    "No player is registered: run 'levelup players add GAMERTAG' first, or pass --player GAMERTAG."
)


def describe(exc: BaseException) -> str:
    """One sentence for an error: what happened and what to do."""
    if isinstance(exc, OSError) and not isinstance(exc, HaloApiError | StoreError):
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno in DISK_FULL_ERRNOS:
            return (
                f"The disk is full{where}: free some space and run the command again "
                "(what was stored before is kept)."
            )
        if exc.errno in NOT_WRITABLE_ERRNOS:
            return (
                f"LevelUp cannot write{where}: the folder is read-only or not yours; fix its "
                "permissions or point LEVELUP_DATA_DIR / DAGSTER_HOME at a writable folder."
            )
        return f"{exc.strerror or type(exc).__name__}{where}."
    text = " ".join(str(exc).split())
    environment = environment_error(exc, "the player") if isinstance(exc, duckdb.Error) else None
    if environment is not None:  # a full disk is not a damaged file: no restore advice
        return str(environment)
    if isinstance(exc, duckdb.Error) and not isinstance(exc, duckdb.CatalogException):
        return (
            f"A player database could not be read ({text[:200]}): it may be damaged; restore a "
            "backup (levelup restore) or rebuild it with 'levelup sync --full --player GAMERTAG'."
        )
    return text or type(exc).__name__


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: known errors become a one-line message instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except (*USER_FACING, duckdb.Error) as exc:
            raise UserError(describe(exc)) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            raise UserError(
                f"Unexpected error ({type(exc).__name__}: {describe(exc)[:300]}); run again with "
                f"{DEBUG_ENV}=1 for the full traceback."
            ) from None

    return wrapper

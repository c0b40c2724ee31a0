"""No cyclic GC while the definitions import (their modules make no garbage cycles worth a
pass, and each full pass over Dagster's objects costs 50-200 ms); `resume()` restores the
collector as it was. The first run of a process then freezes what start-up loaded
(`executor.freeze_start_up`)."""

from __future__ import annotations

import gc

_was_enabled = gc.isenabled()
gc.disable()


def resume() -> None:
    """The collector as it was before the definitions were imported."""
    if _was_enabled:
        gc.enable()

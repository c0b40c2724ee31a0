"""The definitions import without cyclic GC passes (each full pass over Dagster's objects cost
50-200 ms of `dagster job execute`'s start-up) and leave the collector as they found it."""

from __future__ import annotations

import subprocess
import sys

import pytest

IMPORT_DEFINITIONS = (
    "import gc, dagster\n"
    "{before}\n"
    "passes = []\n"
    "gc.callbacks.append(lambda phase, info: phase == 'start' and passes.append(info))\n"
    "import levelup_pipeline.definitions\n"
    "full = [p for p in passes if p['generation'] == 2]\n"
    "print(len(passes) <= 2, len(full), gc.isenabled())\n"
)


@pytest.mark.parametrize(("before", "enabled"), [("", "True"), ("gc.disable()", "False")])
def test_definitions_import_without_gc_passes(before: str, enabled: str) -> None:
    code = IMPORT_DEFINITIONS.format(before=before)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # at most a young pass or two before the pause starts (it used to be ~250, several full)
    assert out.stdout.split() == ["True", "0", enabled]

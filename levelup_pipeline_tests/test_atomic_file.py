"""write_atomic: whole or nothing, with the token file's permissions from the first byte."""

from __future__ import annotations

import os
import stat

import pytest

from levelup_pipeline import atomic_file
from levelup_pipeline.atomic_file import write_atomic


def test_replaces_whole_and_leaves_no_temporary_file(tmp_path) -> None:
    target = tmp_path / "f.json"
    target.write_bytes(b"old")
    write_atomic(target, b"new", durable=True)
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "f.json"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic_file.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_mode_holds_even_over_a_stale_temporary_file(tmp_path) -> None:
    target = tmp_path / "token.json"
    stale = tmp_path / f".token.json.{os.getpid()}.{__import__('threading').get_ident()}.tmp"
    stale.write_bytes(b"x")
    stale.chmod(0o644)
    write_atomic(target, b"secret", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

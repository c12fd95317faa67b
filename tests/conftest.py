"""Shared fixtures: a fresh migrated database per test, and the ../shared material when present."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Store

# The installed model is off unless a test passes it in (tests/test_semantic.py): embedding the
# shared corpus would take half an hour on this machine.
os.environ.setdefault("REWIND_SEMANTIC", "off")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE = REPO / "bot" / "sample"

needs_shared = pytest.mark.skipif(
    not (SHARED / "corpus").is_dir(), reason="../shared is not beside this checkout (CI has it)"
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "rewind.db")
    yield opened
    await opened.close()


def write(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a test file, creating folders; bytes are written as they are."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path

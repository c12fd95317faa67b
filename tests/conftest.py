"""Shared fixtures: a fresh migrated database per test, and the ../shared material when present."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage import Store
from storage.postgres import PostgresStore
from tests.scratch_database import fresh_database

# The installed model is off unless a test passes it in (tests/test_semantic.py): embedding the
# shared corpus would take half an hour on this machine.
os.environ.setdefault("REWIND_SEMANTIC", "off")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLE = REPO / "bot" / "sample"

needs_shared = pytest.mark.skipif(
    not (SHARED / "corpus").is_dir(), reason="../shared is not beside this checkout (CI has it)"
)
POSTGRES_SERVER = REPO / "tests" / "postgres_server.sh"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "rewind.db")
    yield opened
    await opened.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server's URL: REWIND_TEST_POSTGRES (.ci/run sets it), else a throwaway server
    started here when the machine has PostgreSQL, so every run of the suite checks both stores.
    REWIND_TEST_POSTGRES=off, or no PostgreSQL at all, skips the PostgreSQL tests."""
    given = os.environ.get("REWIND_TEST_POSTGRES", "").strip()
    if given == "off":
        pytest.skip("REWIND_TEST_POSTGRES=off")
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="rewind-pg-"))  # short: a socket path has a length limit
    started = subprocess.run(
        ["bash", str(POSTGRES_SERVER), "start", str(folder)], capture_output=True, text=True, check=False
    )
    try:
        if started.returncode != 0:
            pytest.skip(f"no PostgreSQL server: {started.stderr.strip()} (set REWIND_TEST_POSTGRES to use one)")
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(POSTGRES_SERVER), "stop", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres(postgres_server: str) -> str:
    """The server's URL, once asyncpg is importable (the `postgres` extra, also in `test`)."""
    pytest.importorskip("asyncpg")
    return postgres_server


@pytest.fixture
async def postgres_url(postgres: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test."""
    async with fresh_database(postgres) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store | PostgresStore]:
    """A fresh, migrated store on each backend: the store-contract tests run over both."""
    if request.param == "sqlite":
        opened = await Store.open(tmp_path / "rewind.db")
        yield opened
        await opened.close()
        return
    async with fresh_database(request.getfixturevalue("postgres")) as url:
        pg = await PostgresStore.open(url)
        yield pg
        await pg.close()


def write(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a test file, creating folders; bytes are written as they are."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path

from pathlib import Path

import pytest

from models.errors import StoreError
from storage import Store
from storage.migrations import MIGRATIONS


async def user_version(store: Store) -> int:
    async with store._db.execute("PRAGMA user_version") as cursor:
        return (await cursor.fetchone())[0]


async def test_a_new_database_is_migrated_to_the_latest_schema(store: Store) -> None:
    assert await user_version(store) == len(MIGRATIONS)
    async with store._db.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"
    async with store._db.execute("PRAGMA foreign_keys") as cursor:
        assert (await cursor.fetchone())[0] == 1


async def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    first = await Store.open(tmp_path / "r.db")
    await first.close()
    second = await Store.open(tmp_path / "r.db")
    assert await user_version(second) == len(MIGRATIONS)
    await second.close()


async def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not sqlite" * 500)
    with pytest.raises(StoreError, match=r"damaged or not a Rewind database.*rewind rebuild"):
        await Store.open(path)

"""Open the store a REWIND_DB value names: a file path is SQLite, a `postgresql://` URL PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from storage.postgres import PostgresStore
from storage.store import Store

URL_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: Path | str) -> bool:
    """Whether a REWIND_DB value names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


async def open_store(target: Path | str, **options: bool) -> Store | PostgresStore:
    """Open (and migrate) the store `target` names, with Store.open's options."""
    if is_postgres_url(target):
        return await PostgresStore.open(str(target), **options)
    return await Store.open(target, **options)

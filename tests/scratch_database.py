"""A throwaway PostgreSQL database, for the tests and for bench/postgres_bench.py alike."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit


@contextlib.asynccontextmanager
async def fresh_database(server: str, prefix: str = "rewind_test") -> AsyncIterator[str]:
    """The URL of a new, empty database on `server` (an admin URL), dropped afterwards."""
    import asyncpg  # the optional `postgres` extra: only those who use a server need it

    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlsplit(server)._replace(path=f"/{name}").geturl()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()

"""Rewind's SQLite store: schema, migrations, indexing writes and queries. Nothing Discord."""

from storage.store import Store

__all__ = ["Store"]

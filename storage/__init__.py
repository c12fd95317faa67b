"""Rewind's SQLite store: schema, migrations, indexing writes and queries. Nothing Discord."""

from storage.store import EpisodeRow, SearchHit, SourceRecord, Store, StoreError

__all__ = ["EpisodeRow", "SearchHit", "SourceRecord", "Store", "StoreError"]

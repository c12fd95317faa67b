"""Rewind's SQLite store: schema, migrations, indexing writes and queries. Nothing Discord."""

from storage.store import (
    Candidate,
    EpisodeRecord,
    EpisodeRow,
    QueryTimeout,
    ScheduleRow,
    SegmentFilter,
    SourceRecord,
    Store,
    StoreError,
)

__all__ = [
    "Candidate",
    "EpisodeRecord",
    "EpisodeRow",
    "QueryTimeout",
    "ScheduleRow",
    "SegmentFilter",
    "SourceRecord",
    "Store",
    "StoreError",
]

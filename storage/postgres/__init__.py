"""Rewind's store on PostgreSQL (the `rewind[postgres]` extra), for several processes sharing one index."""

from storage.postgres.store import PostgresStore, shown_url

__all__ = ["PostgresStore", "shown_url"]

"""Index jobs: a reindex asked for by an admin (or the bot at start-up), run by one indexer."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("full", "incremental")  # every file read again / only new and changed ones
OPEN = ("pending", "running")
FINISHED = ("done", "failed")


@dataclass(frozen=True, slots=True)
class IndexJob:
    """One row of `index_jobs`: who asked, where it stands, and how it ended."""

    id: int
    kind: str
    requested_by: str
    created_at: str  # UTC, as `models.clock.now_text` writes it
    status: str = "pending"
    started_at: str | None = None
    finished_at: str | None = None
    done: int = 0  # files done of `total`
    total: int = 0
    rejected: int = 0
    embedded: int | None = None  # during the last phase: episodes embedded of `to_embed`
    to_embed: int | None = None
    runner: str | None = None  # the indexer that claimed it: "pid N on HOST"
    error: str | None = None
    report: str | None = None  # JSON: `IndexReport.as_json()`, its lists cut short

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def as_json(self) -> dict[str, object]:
        """The job as `rewind indexer --json` prints it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "requested_by": self.requested_by,
            "status": self.status,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "done": self.done,
            "total": self.total,
            "rejected": self.rejected,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Embedding:
    """How far the embedding phase is: episodes embedded, episodes to embed, seconds it has taken."""

    done: int
    total: int
    seconds: float

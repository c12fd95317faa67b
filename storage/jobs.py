"""Index jobs: enqueued by any process, claimed and reported on by the one indexer: every query.

Each call is one statement in autocommit mode, never counted as an index write (`writes`): a
job's row changing is no reason for a cache of the index to reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.clock import now_text
from models.jobs import IndexJob

if TYPE_CHECKING:
    from storage.store import Store

JOB_COLUMNS = (
    "id, kind, requested_by, created_at, status, started_at, finished_at, done, total, rejected,"
    " embedded, to_embed, runner, error, report"
)


class JobStore:
    """The index_jobs table, through the store's one connection."""

    def __init__(self, store: Store) -> None:
        self._db = store._db

    async def enqueue(self, kind: str, requested_by: str) -> tuple[IndexJob, bool]:
        """A new pending job, or the one already pending or running (one statement decides, so two
        processes asking at once make one job); True when this call made it."""
        cursor = await self._db.execute(
            "INSERT INTO index_jobs (kind, requested_by, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (kind, requested_by, now_text()),
        )
        made = cursor.rowcount == 1
        rows = await self._rows("WHERE status IN ('pending', 'running')", ())
        if not rows:  # finished between the two statements: ask again
            return await self.enqueue(kind, requested_by)
        return rows[0], made

    async def job(self, job_id: int) -> IndexJob | None:
        """One job, or None."""
        rows = await self._rows("WHERE id = ?", (job_id,))
        return rows[0] if rows else None

    async def recent_jobs(self, limit: int = 5) -> list[IndexJob]:
        """The newest jobs first."""
        return await self._rows("ORDER BY id DESC LIMIT ?", (limit,))

    async def claim_job(self, runner: str) -> IndexJob | None:
        """Mark the pending job running for `runner` and return it; None when none is pending."""
        rows = await self._db.execute_fetchall(
            f"UPDATE index_jobs SET status = 'running', started_at = ?, runner = ?"  # noqa: S608
            f" WHERE status = 'pending' RETURNING {JOB_COLUMNS}",
            (now_text(), runner),
        )
        return _job(rows[0]) if rows else None

    async def record_progress(
        self, job_id: int, done: int, total: int, rejected: int, embedded: int | None, to_embed: int | None
    ) -> None:
        """Where a running job stands."""
        await self._db.execute(
            "UPDATE index_jobs SET done = ?, total = ?, rejected = ?, embedded = ?, to_embed = ?"
            " WHERE id = ? AND status = 'running'",
            (done, total, rejected, embedded, to_embed, job_id),
        )

    async def finish_job(self, job_id: int, error: str | None, report: str | None) -> None:
        """End a running job: done with its report, or failed with `error`."""
        await self._db.execute(
            "UPDATE index_jobs SET status = ?, finished_at = ?, error = ?, report = ?, embedded = NULL,"
            " to_embed = NULL WHERE id = ? AND status = 'running'",
            ("failed" if error else "done", now_text(), error, report, job_id),
        )

    async def fail_jobs(self, job_ids: Sequence[int], reason: str) -> int:
        """Fail these jobs if they are still running (their indexer died); return how many."""
        if not job_ids:
            return 0
        cursor = await self._db.execute(
            f"UPDATE index_jobs SET status = 'failed', finished_at = ?, error = ?, embedded = NULL, to_embed = NULL"  # noqa: S608
            f" WHERE status = 'running' AND id IN ({', '.join('?' * len(job_ids))})",
            (now_text(), reason, *job_ids),
        )
        return cursor.rowcount

    async def _rows(self, tail: str, parameters: tuple[object, ...]) -> list[IndexJob]:
        rows = await self._db.execute_fetchall(f"SELECT {JOB_COLUMNS} FROM index_jobs {tail}", parameters)  # noqa: S608
        return [_job(row) for row in rows]


def _job(row: Sequence[object]) -> IndexJob:
    return IndexJob(*row)  # type: ignore[arg-type]

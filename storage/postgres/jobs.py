"""Index jobs on PostgreSQL: the calls of `storage.jobs.JobStore`, with the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.clock import now_text
from models.jobs import IndexJob
from storage.jobs import JOB_COLUMNS

if TYPE_CHECKING:
    from storage.postgres.store import PostgresStore


class PostgresJobStore:
    """The index_jobs table in the shared database."""

    def __init__(self, store: PostgresStore) -> None:
        self._pool = store._pool

    async def enqueue(self, kind: str, requested_by: str) -> tuple[IndexJob, bool]:
        """A new pending job, or the one already pending or running (the unique index decides, so
        two processes asking at once make one job); True when this call made it."""
        made = await self._pool.fetchval(
            "INSERT INTO index_jobs (kind, requested_by, created_at) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING id",
            kind,
            requested_by,
            now_text(),
        )
        rows = await self._rows("WHERE status IN ('pending', 'running')")
        if not rows:  # finished between the two statements: ask again
            return await self.enqueue(kind, requested_by)
        return rows[0], made is not None

    async def job(self, job_id: int) -> IndexJob | None:
        """One job, or None."""
        rows = await self._rows("WHERE id = $1", job_id)
        return rows[0] if rows else None

    async def recent_jobs(self, limit: int = 5) -> list[IndexJob]:
        """The newest jobs first."""
        return await self._rows("ORDER BY id DESC LIMIT $1", limit)

    async def claim_job(self, runner: str) -> IndexJob | None:
        """Mark the pending job running for `runner` and return it; None when none is pending."""
        rows = await self._pool.fetch(
            f"UPDATE index_jobs SET status = 'running', started_at = $1, runner = $2"  # noqa: S608
            f" WHERE status = 'pending' RETURNING {JOB_COLUMNS}",
            now_text(),
            runner,
        )
        return IndexJob(*rows[0]) if rows else None

    async def record_progress(
        self, job_id: int, done: int, total: int, rejected: int, embedded: int | None, to_embed: int | None
    ) -> None:
        """Where a running job stands."""
        await self._pool.execute(
            "UPDATE index_jobs SET done = $1, total = $2, rejected = $3, embedded = $4, to_embed = $5"
            " WHERE id = $6 AND status = 'running'",
            done,
            total,
            rejected,
            embedded,
            to_embed,
            job_id,
        )

    async def finish_job(self, job_id: int, error: str | None, report: str | None) -> None:
        """End a running job: done with its report, or failed with `error`."""
        await self._pool.execute(
            "UPDATE index_jobs SET status = $1, finished_at = $2, error = $3, report = $4, embedded = NULL,"
            " to_embed = NULL WHERE id = $5 AND status = 'running'",
            "failed" if error else "done",
            now_text(),
            error,
            report,
            job_id,
        )

    async def fail_jobs(self, job_ids: Sequence[int], reason: str) -> int:
        """Fail these jobs if they are still running (their indexer died); return how many."""
        status = await self._pool.execute(
            "UPDATE index_jobs SET status = 'failed', finished_at = $1, error = $2, embedded = NULL, to_embed = NULL"
            " WHERE status = 'running' AND id = ANY($3::bigint[])",
            now_text(),
            reason,
            list(job_ids),
        )
        return int(status.split()[-1])

    async def _rows(self, tail: str, *arguments: object) -> list[IndexJob]:
        rows = await self._pool.fetch(f"SELECT {JOB_COLUMNS} FROM index_jobs {tail}", *arguments)  # noqa: S608
        return [IndexJob(*row) for row in rows]

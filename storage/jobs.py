"""Index jobs: enqueued by any process, claimed and reported on by the one indexer: every query,
written once for both engines (storage.common's `:name` statements).

Each call is one statement in autocommit mode, never counted as an index write (`writes`): a
job's row changing is no reason for a cache of the index to reload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from models.clock import now_text
from models.jobs import IndexJob
from storage.common import Statements, first

JOB_COLUMNS = (
    "id, kind, requested_by, created_at, status, started_at, finished_at, done, total, rejected,"
    " embedded, to_embed, runner, error, report"
)


class JobStore:
    """The index_jobs table, through either engine's store."""

    def __init__(self, store: Statements) -> None:
        self._store = store

    async def enqueue(self, kind: str, requested_by: str) -> tuple[IndexJob, bool]:
        """A new pending job, or the one already pending or running (the unique index decides, so
        two processes asking at once make one job); True when this call made it."""
        made = await self._store._rows(
            "INSERT INTO index_jobs (kind, requested_by, created_at) VALUES (:kind, :by, :at)"
            " ON CONFLICT DO NOTHING RETURNING id",
            {"kind": kind, "by": requested_by, "at": now_text()},
        )
        rows = await self._jobs("WHERE status IN ('pending', 'running')", {})
        if not rows:  # finished between the two statements: ask again
            return await self.enqueue(kind, requested_by)
        return rows[0], bool(made)

    async def job(self, job_id: int) -> IndexJob | None:
        """One job, or None."""
        return first(await self._jobs("WHERE id = :id", {"id": job_id}))

    async def recent_jobs(self, limit: int = 5) -> list[IndexJob]:
        """The newest jobs first."""
        return await self._jobs("ORDER BY id DESC LIMIT :limit", {"limit": limit})

    async def claim_job(self, runner: str) -> IndexJob | None:
        """Mark the pending job running for `runner` and return it; None when none is pending."""
        rows = await self._store._rows(
            f"UPDATE index_jobs SET status = 'running', started_at = :at, runner = :runner"  # noqa: S608
            f" WHERE status = 'pending' RETURNING {JOB_COLUMNS}",
            {"at": now_text(), "runner": runner},
        )
        return IndexJob(*rows[0]) if rows else None

    async def record_progress(
        self, job_id: int, done: int, total: int, rejected: int, embedded: int | None, to_embed: int | None
    ) -> None:
        """Where a running job stands."""
        await self._store._execute(
            "UPDATE index_jobs SET done = :done, total = :total, rejected = :rejected, embedded = :embedded,"
            " to_embed = :to_embed WHERE id = :id AND status = 'running'",
            dict(done=done, total=total, rejected=rejected, embedded=embedded, to_embed=to_embed, id=job_id),
        )

    async def finish_job(self, job_id: int, error: str | None, report: str | None) -> None:
        """End a running job: done with its report, or failed with `error`."""
        await self._store._execute(
            "UPDATE index_jobs SET status = :status, finished_at = :at, error = :error, report = :report,"
            " embedded = NULL, to_embed = NULL WHERE id = :id AND status = 'running'",
            {"status": "failed" if error else "done", "at": now_text(), "error": error, "report": report, "id": job_id},
        )

    async def fail_jobs(self, job_ids: Sequence[int], reason: str) -> int:
        """Fail these jobs if they are still running (their indexer died); return how many."""
        if not job_ids:
            return 0
        ids = {f"id{n}": job_id for n, job_id in enumerate(job_ids)}
        listed = ", ".join(f":{name}" for name in ids)
        failed = await self._store._rows(
            "UPDATE index_jobs SET status = 'failed', finished_at = :at, error = :error, embedded = NULL,"  # noqa: S608
            f" to_embed = NULL WHERE status = 'running' AND id IN ({listed}) RETURNING id",
            {"at": now_text(), "error": reason, **ids},
        )
        return len(failed)

    async def _jobs(self, tail: str, parameters: Mapping[str, object]) -> list[IndexJob]:
        rows = await self._store._rows(f"SELECT {JOB_COLUMNS} FROM index_jobs {tail}", parameters)  # noqa: S608
        return [IndexJob(*row) for row in rows]

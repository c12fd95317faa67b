"""What a finished index job's row says: its report, read back from the JSON the indexer wrote."""

from __future__ import annotations

import dataclasses
import json

from bot.ingest.indexer import IndexReport, Reject
from models.jobs import IndexJob

_FIELDS = {f.name for f in dataclasses.fields(IndexReport)}


def report_of(job: IndexJob) -> IndexReport | None:
    """The report a finished job recorded (`IndexReport.as_json()`), or None."""
    if job.report is None:
        return None
    data = json.loads(job.report)
    rejects = [Reject(r["path"], r["reason"]) for r in data.pop("rejected", [])]
    warnings = [Reject(w["path"], w["reason"]) for w in data.pop("warnings", [])]
    known = {key: value for key, value in data.items() if key in _FIELDS}
    return IndexReport(**known, rejects=rejects, warnings=warnings)

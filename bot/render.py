"""Plain-text pieces of what the bot shows, kept within Discord's limits (no Discord objects here)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from tqdm import tqdm

from bot.ingest.indexer import IndexReport
from bot.jobs import report_of
from bot.limits import CONTENT_LIMIT, EMBED_DESCRIPTION_LIMIT, EMBED_TITLE_LIMIT, FIELD_VALUE_LIMIT, clip
from bot.onthisday import Anniversary, DailyPost
from bot.search.engine import Hit
from bot.summary import Summary
from models.jobs import Embedding, IndexJob
from models.state import FeedRow

_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()-])")
_MENTION = re.compile(r"@(everyone|here|[!&]?\d{15,21})")


def escape(text: str) -> str:
    """Transcript text made inert: no markdown, and no `@everyone` or `<@id>` that could ping."""
    return defuse(_MARKDOWN.sub(r"\\\1", text))


def defuse(text: str) -> str:
    """No `@everyone`, `@here`, `<@id>`, `<@&id>` or `<#id>` left that could ping or link; the
    rest as written (for embed titles, where markdown is harmless)."""
    text = text.replace("<@", "<\u200b@").replace("<#", "<\u200b#")
    return _MENTION.sub("@\u200b\\1", text)


def timestamp(seconds: float | None) -> str:
    """`h:mm:ss` (or `m:ss`) for a number of seconds; empty when unknown."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def quote_description(hit: Hit, limit: int = EMBED_DESCRIPTION_LIMIT) -> str:
    """The quote in bold (matched words underlined) between its neighbouring lines, escaped."""
    speaker = f"**{escape(hit.speaker)}:** " if hit.speaker else ""
    quote = f"{speaker}**{_marked(hit)}**"
    before = f"{escape(clip(hit.context_before, 600))}\n" if hit.context_before else ""
    after = f"\n{escape(clip(hit.context_after, 600))}" if hit.context_after else ""
    text = f"{before}{quote}{after}"
    return text if len(text) <= limit else clip(f"{speaker}**{escape(clip(hit.text, limit - 200))}**", limit)


def _marked(hit: Hit) -> str:
    pieces = []
    position = 0
    for start, end in hit.highlights:
        pieces.append(escape(hit.text[position:start]))
        pieces.append(f"__{escape(hit.text[start:end])}__")
        position = end
    pieces.append(escape(hit.text[position:]))
    return "".join(pieces)


def episode_line(hit: Hit) -> str:
    """`#91 · 2016-11-18 · 0:15` for the embed's episode field."""
    parts = [f"#{hit.number}" if hit.number is not None else None, hit.published, timestamp(hit.start_seconds) or None]
    return " · ".join(p for p in parts if p) or "—"


def hit_title(hit: Hit) -> str:
    """`Show – Episode title`, clipped to an embed title."""
    return titled(hit.show, hit.title)


def context_description(lines: list[tuple[int, float | None, str | None, str]], focus: int) -> str:
    """Neighbouring lines with their times, the hit's own line in bold, within an embed description."""
    rendered = []
    for segment_id, start, speaker, text in lines:
        stamp = f"`{timestamp(start)}` " if start is not None else ""
        who = f"{escape(speaker)}: " if speaker else ""
        line = escape(clip(text, 700))
        rendered.append(f"{stamp}{who}**{line}**" if segment_id == focus else f"{stamp}{who}{line}")
    return clip("\n".join(rendered), EMBED_DESCRIPTION_LIMIT)


def daily_heading(post: DailyPost) -> str:
    """`On this day, December 11` (or this week / from the archive)."""
    when = f"{post.day:%B} {post.day.day}"
    if post.kind == "week":
        return f"This week in earlier years (around {when})"
    if post.kind == "archive":
        return f"From the archive, for {when}"
    return f"On this day, {when}"


def years_ago(count: int) -> str:
    """`1 year ago` / `5 years ago`."""
    return f"{count} year ago" if count == 1 else f"{count} years ago"


def at(seconds: float | None, url: str | None) -> str:
    """`` `12:34` `` linked to that moment when a link is known; empty when the time is unknown."""
    if seconds is None:
        return ""
    stamp = f"`{timestamp(seconds)}`"
    return f"[{stamp}]({url})" if url else stamp


def summary_description(summary: Summary, limit: int = 1500) -> str:
    """The gist, one sentence a line with its time, escaped and within `limit`."""
    lines = [f"{at(m.start_seconds, m.url)} {escape(m.text)}".strip() for m in summary.gist]
    return clip("\n".join(lines), limit) or "There is no transcript or show notes to summarize yet."


def chapter_lines(summary: Summary) -> str:
    """`` `0:00` Label `` a line, within a field."""
    lines = [f"{at(c.start_seconds, None)} {escape(c.title)}".strip() for c in summary.chapters]
    return clip("\n".join(lines), FIELD_VALUE_LIMIT)


def quote_lines(summary: Summary) -> str:
    """Standout quotes as block quotes with their linked times, within a field."""
    lines = [f"> “{escape(clip(m.text, 300))}” {at(m.start_seconds, m.url)}".rstrip() for m in summary.quotes]
    return clip("\n".join(lines), FIELD_VALUE_LIMIT)


def summary_facts(summary: Summary) -> str:
    """`#265 · 2020-05-19 · 1:03:54`."""
    parts = [
        f"#{summary.number}" if summary.number is not None else None,
        summary.published,
        timestamp(summary.duration_seconds) or None,
    ]
    return " · ".join(p for p in parts if p) or "—"


def titled(show: str | None, title: str) -> str:
    """`Show – Title`, clipped to an embed title."""
    return clip(defuse(f"{show} – {title}" if show else title), EMBED_TITLE_LIMIT)


def anniversary_description(entry: Anniversary) -> str:
    """An episode in the daily post: when, the one-line summary, and the highlight."""
    when = f"**{years_ago(entry.years_ago)}** · {entry.published}" if entry.years_ago else f"{entry.published}"
    lines = [when]
    if entry.summary:
        lines.append(escape(entry.summary))
    if entry.highlight:
        quote = escape(clip(entry.highlight.text, 600))
        lines.append(f"> “{quote}” {at(entry.highlight.start_seconds, entry.highlight.url)}".rstrip())
    return clip("\n\n".join(lines), 2000)


def reindex_progress(done: int, total: int, rejected: int, elapsed: float, embedding: Embedding | None = None) -> str:
    """`███▋     37% · 37/100 files · 00:12 elapsed, ~00:20 left · 1 rejected`; then, while the
    passages are embedded for search by meaning, the same meter of episodes."""
    if total == 0:
        return "Looking for files…"
    tail = f" · {rejected} rejected" if rejected else ""
    if embedding is not None:
        meter = _meter(embedding.done, embedding.total, embedding.seconds, "episodes")
        return f"Embedding for search by meaning: `{meter}`{tail}"
    return f"Reindexing: `{_meter(done, total, elapsed, 'files')}`{tail}"


def _meter(done: int, total: int, elapsed: float, unit: str) -> str:
    bar_format = PROGRESS_FORMAT.format(unit=unit)
    return tqdm.format_meter(done, max(total, done), elapsed, ncols=len(bar_format) + 12, bar_format=bar_format)


PROGRESS_FORMAT = (
    "{{bar}} {{percentage:3.0f}}% · {{n_fmt}}/{{total_fmt}} {unit} · {{elapsed}} elapsed, ~{{remaining}} left"
)


def reindex_report(report: IndexReport) -> str:
    """The end of a reindex: what changed, and the files that could not be read."""
    lines = [
        f"✅ Reindexed {report.files} files in {report.seconds:.1f} s: {report.indexed} indexed, "
        f"{report.unchanged} unchanged, {report.removed} removed, {len(report.rejects)} rejected.",
        f"{report.episodes} episodes and {report.segments} segments written.",
    ]
    lines += [f"• `{escape(clip(r.path, 120))}`: {escape(clip(r.reason, 200))}" for r in report.rejects[:10]]
    if len(report.rejects) > 10:
        lines.append(f"…and {len(report.rejects) - 10} more (see `/admin status` or the log).")
    return clip("\n".join(lines), CONTENT_LIMIT)


def job_progress(job: IndexJob, now: dt.datetime) -> str:
    """An open job's progress meter (`reindex_progress`), or that it waits for the indexer."""
    if job.status == "pending" or job.started_at is None:
        return (
            f"Waiting for the indexer (asked by {escape(clip(job.requested_by, 100))} at {job.created_at[11:19]} UTC)…"
        )
    elapsed = max(0.0, (now - dt.datetime.fromisoformat(job.started_at)).total_seconds())
    embedding = Embedding(job.embedded, job.to_embed, elapsed) if job.to_embed is not None else None
    return reindex_progress(job.done, job.total, job.rejected, elapsed, embedding)


def job_state(job: IndexJob, now: dt.datetime) -> str:
    """A job as `/admin status` shows it: its progress, or how it ended."""
    if not job.finished:
        return job_progress(job, now)
    at = (job.finished_at or "")[:16].replace("T", " ")
    if job.status == "failed":
        return clip(f"❌ Failed at {at} UTC: {escape(job.error or '')}", 1000)
    report = report_of(job)
    assert report is not None
    return (
        f"Finished {at} UTC: {report.files} files, {report.indexed} indexed, "
        f"{len(report.rejects)} rejected, {report.seconds:.1f} s."
    )


FEED_STATES = {"new": "not polled yet", "ok": "ok", "unchanged": "ok, unchanged", "error": "⚠️ failing"}


def feed_lines(rows: Sequence[FeedRow], limit: int = FIELD_VALUE_LIMIT) -> str:
    """Followed feeds, one line each, with the reason beneath when the last poll failed."""
    lines = []
    for row in rows:
        lines.append(f"• <{clip(row.url, 300)}>: {FEED_STATES.get(row.status, row.status)}, {row.items} items")
        if row.last_error:
            lines.append(f"  {escape(clip(row.last_error, 200))} (tried again after {row.next_poll_at} UTC)")
        if row.failed_downloads:
            url, reason = (clip(part, 150) for part in row.failed_downloads[0])
            failing = len(row.failed_downloads)
            lines.append(f"  {failing} downloads failing (retried later), such as <{url}>: {escape(reason)}")
    return clip("\n".join(lines), limit)

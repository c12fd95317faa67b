"""Following podcast feeds: poll them with conditional GET, keep each feed with its transcripts and
chapters under FEED_CACHE_DIR, and index that folder like any other (so a reindex works offline).

A feed's folder holds `feed.xml` (its items become episodes) and, per item with a transcript,
`item-HASH.EXT` with an `item-HASH.meta.yaml` sidecar naming the episode (so the linker joins the item
to it) and `item-HASH.chapters.json`. A download is written only once it has passed every check.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import yaml

from bot.errors import InvalidInput
from bot.ingest.chapters import CHAPTERS_SUFFIX
from bot.ingest.chapters import MAX_BYTES as MAX_CHAPTER_BYTES
from bot.ingest.decode import decode_text
from bot.ingest.indexer import MAX_FILE_BYTES, IndexReport
from bot.ingest.linking import relink
from bot.ingest.model import Metadata, ParseError
from bot.ingest.parse import parse_document
from bot.ports import FollowerStore
from bot.urls import required_url
from bot.web import FetchError, Limits, fetch, open_session
from models.clock import now_text
from models.state import FeedRow, PollOutcome

log = logging.getLogger(__name__)

FEED_FILE = "feed.xml"
FEEDS_AT_ONCE = 8  # a slow feed holds up one slot, never the others
DOWNLOADS_AT_ONCE = 4  # per feed, to be gentle with the publisher's server
BACKOFF_FIRST = dt.timedelta(minutes=5)  # after a failure: 5, 10, 20 ... minutes, at most a day
BACKOFF_MOST = dt.timedelta(days=1)
# Preferred first: timed formats, then HTML, then plain text. Unknown types rank last.
TRANSCRIPT_TYPES = {
    "text/vtt": (0, ".vtt"),
    "application/x-subrip": (1, ".srt"),
    "application/srt": (1, ".srt"),
    "text/srt": (1, ".srt"),
    "application/json": (2, ".json"),
    "text/html": (3, ".html"),
    "text/plain": (4, ".txt"),
}
_TRANSCRIPT_EXTENSIONS = tuple(sorted({ext for _, ext in TRANSCRIPT_TYPES.values()}))

Indexer = Callable[[Sequence[Path]], Awaitable[IndexReport]]


class FeedError(InvalidInput):
    """A feed cannot be added or removed; the message says why."""


@dataclass(frozen=True, slots=True)
class TranscriptLink:
    """One `<podcast:transcript>` of an item."""

    url: str
    type: str
    language: str | None = None
    rel: str | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """What the poller needs of one item: where its files go and where they come from."""

    key: str
    stem: str
    sidecar: str  # YAML naming the episode, written beside its transcript
    transcript: TranscriptLink | None
    chapters: str | None


@dataclass(frozen=True, slots=True)
class FeedPlan:
    """A feed's items, read from its XML."""

    items: tuple[FeedItem, ...]


@dataclass(slots=True)
class PollReport:
    """What polling one feed did."""

    url: str
    status: str = "ok"  # ok | unchanged | error | waiting (backing off after failures)
    items: int = 0
    new_episodes: list[str] = field(default_factory=list)  # item keys first seen in this poll
    transcripts_fetched: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # url, reason

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of one feed in `rewind feeds poll --json`."""
        return {
            "url": self.url,
            "status": self.status,
            "items": self.items,
            "new_episodes": len(self.new_episodes),
            "transcripts_fetched": self.transcripts_fetched,
            "errors": [{"url": url, "reason": reason} for url, reason in self.errors],
        }


def feed_folder(cache_dir: Path, url: str) -> Path:
    """The folder a feed's downloads are kept in: readable host, then a hash of the whole URL."""
    host = re.sub(r"[^a-z0-9.-]+", "-", (urlsplit(url).hostname or "feed").lower())[:60]
    return cache_dir / f"{host}-{hashlib.blake2b(url.encode(), digest_size=5).hexdigest()}"


def backoff(failures: int) -> dt.timedelta:
    """How long to wait after the `failures`-th failure in a row (1 = the first)."""
    return min(BACKOFF_FIRST * 2 ** max(0, failures - 1), BACKOFF_MOST)


def _later(delay: dt.timedelta) -> str:
    return (dt.datetime.now(dt.UTC) + delay).isoformat(timespec="seconds")


def read_feed(data: bytes, path: Path) -> FeedPlan:
    """Read a downloaded feed the way the indexer will, plus its transcript and chapters links.
    CPU work: run it in a thread. ParseError when it is no well-formed feed with items."""
    try:
        document = parse_document(decode_text(data), path)
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ParseError(f"malformed feed: not well-formed XML ({error})") from error
    except ParseError as error:
        raise ParseError(f"malformed feed: {error}") from error
    except (ValueError, RecursionError) as error:
        raise ParseError(f"malformed feed ({type(error).__name__}: {error})") from error
    if document.format != "rss":
        raise ParseError(f"not an RSS or Atom feed (it reads as {document.format})")
    nodes = [node for node in root.iter() if _local(node.tag) in ("item", "entry")]
    language = next((node.text for node in root.iter() if _local(node.tag) == "language" and node.text), None)
    items = []
    for index, episode in enumerate(document.episodes):
        node = nodes[index] if len(nodes) == len(document.episodes) else None
        links = _podcast_links(node) if node is not None else ([], None)
        stem = "item-" + hashlib.blake2b(episode.key.encode(), digest_size=8).hexdigest()
        items.append(FeedItem(episode.key, stem, _sidecar(episode.meta), best_transcript(links[0], language), links[1]))
    return FeedPlan(tuple(items))


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _podcast_links(node: ElementTree.Element) -> tuple[list[TranscriptLink], str | None]:
    transcripts, chapters = [], None
    for child in node:
        if not isinstance(child.tag, str) or "podcastindex.org" not in child.tag or not child.get("url"):
            continue
        if _local(child.tag) == "transcript":
            kind = (child.get("type") or "").split(";")[0].strip().lower()
            transcripts.append(TranscriptLink(child.get("url", ""), kind, child.get("language"), child.get("rel")))
        elif _local(child.tag) == "chapters" and chapters is None:
            chapters = child.get("url")
    return transcripts, chapters


def best_transcript(links: Sequence[TranscriptLink], language: str | None) -> TranscriptLink | None:
    """The transcript to fetch: in the feed's language, timed formats first, captions before others."""
    if not links:
        return None
    wanted = (language or "").split("-")[0].lower()

    def rank(link: TranscriptLink) -> tuple[int, int, int]:
        theirs = (link.language or "").split("-")[0].lower()
        other_language = int(bool(wanted and theirs and theirs != wanted))
        return other_language, TRANSCRIPT_TYPES.get(link.type, (9, ""))[0], int(link.rel != "captions")

    return min(links, key=rank)


def _sidecar(meta: Metadata) -> str:
    facts = {
        "show": meta.show,
        "number": meta.number,
        "title": meta.title,
        "published": meta.published.isoformat() if meta.published else None,
        "url": meta.url,
        "duration": meta.duration,
        "description": meta.description,
    }
    return yaml.safe_dump({k: v for k, v in facts.items() if v is not None}, allow_unicode=True, sort_keys=False)


def _extension(link: TranscriptLink) -> str:
    known = TRANSCRIPT_TYPES.get(link.type)
    if known:
        return known[1]
    suffix = Path(urlsplit(link.url).path).suffix.lower()
    return suffix if suffix in _TRANSCRIPT_EXTENSIONS else ".txt"  # the content decides the format anyway


def write_atomically(path: Path, data: bytes | str) -> bool:
    """Replace `path` with `data` unless it holds that already; True when it changed."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        if path.read_bytes() == raw:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.part")
    scratch.write_bytes(raw)
    os.replace(scratch, path)
    return True


class FeedFollower:
    """Adds, removes and polls feeds; `index` indexes folders (the bot's reindexer, or the CLI's store)."""

    def __init__(
        self,
        store: FollowerStore,
        cache_dir: Path,
        index: Indexer,
        *,
        poll_minutes: int = 60,
        limits: Limits | None = None,
    ) -> None:
        self.feeds = store.feeds
        self.store, self.cache_dir, self.index = store, Path(cache_dir), index
        self.interval = dt.timedelta(minutes=poll_minutes)
        self.limits = limits or Limits()
        self._index_lock = asyncio.Lock()  # one index run at a time through one connection

    async def add(self, url: str) -> FeedRow:
        """Follow a feed (polled at the next round); FeedError for a bad or already followed URL."""
        try:
            url = required_url(url)
        except ValueError as error:
            raise FeedError(str(error)) from error
        source = (feed_folder(self.cache_dir, url) / FEED_FILE).resolve()
        if not await self.feeds.add(url, str(source)):
            raise FeedError(f"{url} is followed already")
        row = await self.feeds.feed(url)
        assert row is not None
        return row

    async def remove(self, url: str) -> FeedRow:
        """Stop following a feed, delete its downloads and take its episodes out of the index."""
        row = await self.feeds.remove(url.strip())
        if row is None:
            raise FeedError(f"{url.strip()} is not followed; `list` shows the feeds")
        folder = Path(row.source_path).parent
        await asyncio.to_thread(shutil.rmtree, folder, True)
        gone = [path for path in await self.store.source_hashes() if Path(path).is_relative_to(folder)]
        if gone:
            await self.store.remove_sources(gone)
            await relink(self.store)
        return row

    async def poll_all(self, *, due_only: bool = False) -> list[PollReport]:
        """Poll every feed (or those due now), a few at a time; one feed's trouble never stops another."""
        now = now_text()
        rows = [r for r in await self.feeds.feeds() if not due_only or (r.next_poll_at or "") <= now]
        if not rows:
            return []
        slots = asyncio.Semaphore(FEEDS_AT_ONCE)
        async with open_session(self.limits) as session:

            async def one(row: FeedRow) -> PollReport:
                async with slots:
                    return await self.poll(session, row)

            return list(await asyncio.gather(*(one(row) for row in rows)))

    async def poll_one(self, url: str) -> PollReport:
        """Poll one followed feed now."""
        row = await self.feeds.feed(url)
        if row is None:
            raise FeedError(f"{url} is not followed")
        async with open_session(self.limits) as session:
            return await self.poll(session, row)

    async def poll(self, session: aiohttp.ClientSession, row: FeedRow) -> PollReport:
        """Poll one feed; every failure is recorded with its reason, never raised."""
        report = PollReport(row.url, items=row.items)
        try:
            await self._poll(session, row, report)
        except Exception as error:  # a bug must not stop the other feeds: record it like any failure
            log.exception("polling %s failed", row.url)
            await self._failed(row, report, f"unexpected error: {type(error).__name__}: {error}")
        return report

    async def _poll(self, session: aiohttp.ClientSession, row: FeedRow, report: PollReport) -> None:
        source = Path(row.source_path)
        cached = await asyncio.to_thread(_read_or_none, source)
        # Without the kept copy (a cleaned-up cache folder) a 304 would leave nothing to index: ask afresh.
        validators = {"etag": row.etag, "last_modified": row.last_modified} if cached is not None else {}
        try:
            got = await fetch(session, row.url, max_bytes=MAX_FILE_BYTES, **validators)
        except FetchError as error:
            await self._failed(row, report, str(error))
            return
        if got.status == 304 or got.body == cached:
            report.status = "unchanged"
            later = _later(self.interval)
            await self.feeds.record_poll(row.url, PollOutcome("unchanged", later, None, got.etag, got.last_modified))
            if cached is not None and await self._retries_due(row.url):
                plan = await asyncio.to_thread(read_feed, cached, source)
                await self._fetch_files(session, row, plan, report)
            return
        try:
            plan = await asyncio.to_thread(read_feed, got.body, source)
        except ParseError as error:
            await self._failed(row, report, str(error))
            return
        await asyncio.to_thread(write_atomically, source, got.body)
        report.new_episodes = await self.feeds.note_items(row.url, [item.key for item in plan.items])
        report.items = len(plan.items)
        await self._fetch_files(session, row, plan, report, changed=True)
        outcome = PollOutcome("ok", _later(self.interval), None, got.etag, got.last_modified, report.items)
        await self.feeds.record_poll(row.url, outcome)

    async def _failed(self, row: FeedRow, report: PollReport, reason: str) -> None:
        report.status = "error"
        report.errors.append((row.url, reason))
        log.warning("feed %s: %s", row.url, reason)
        await self.feeds.record_poll(row.url, PollOutcome("error", _later(backoff(row.failures + 1)), reason))

    async def _retries_due(self, feed_url: str) -> bool:
        now = now_text()
        return any(next_try <= now for _, _, next_try in (await self.feeds.failed_downloads(feed_url)).values())

    async def _fetch_files(
        self, session: aiohttp.ClientSession, row: FeedRow, plan: FeedPlan, report: PollReport, *, changed: bool = False
    ) -> None:
        """Fetch the transcripts (and their chapters) not kept yet, refresh sidecars, index the folder."""
        folder = Path(row.source_path).parent
        if changed:  # the items first: one may join a transcript indexed already, which needs no download
            await self._index_folder(folder)
        joined = await self.feeds.joined_elsewhere(row.source_path, str(folder))
        failed = await self.feeds.failed_downloads(row.url)
        now = now_text()
        waiting = {url for url, (_, _, next_try) in failed.items() if next_try > now}  # backing off
        wanted = [i for i in plan.items if i.transcript and i.transcript.url not in waiting and i.key not in joined]
        wanted = await asyncio.to_thread(_not_kept, folder, wanted)
        slots = asyncio.Semaphore(DOWNLOADS_AT_ONCE)

        async def one(item: FeedItem) -> bool:
            async with slots:
                return await self._fetch_item(session, row.url, folder, item, failed, report)

        fetched = sum(await asyncio.gather(*(one(item) for item in wanted)))
        report.transcripts_fetched += fetched
        sidecars = await asyncio.to_thread(_write_sidecars, folder, plan)
        if fetched or sidecars:
            outcome = await self._index_folder(folder)
            await self._forget_unreadable(row.url, folder, plan, outcome, failed, report)

    async def _fetch_item(
        self,
        session: aiohttp.ClientSession,
        feed_url: str,
        folder: Path,
        item: FeedItem,
        failed: dict[str, tuple[int, str, str]],
        report: PollReport,
    ) -> bool:
        link = item.transcript
        assert link is not None
        try:
            got = await fetch(session, link.url, max_bytes=MAX_FILE_BYTES)
            chapters = None
            if item.chapters:
                try:
                    chapters = (await fetch(session, item.chapters, max_bytes=MAX_CHAPTER_BYTES)).body
                except FetchError as error:  # chapters are a nicety: the transcript is still worth keeping
                    report.errors.append((item.chapters, str(error)))
        except FetchError as error:
            await self._download_failed(feed_url, link.url, str(error), failed, report)
            return False
        await asyncio.to_thread(_save_item, folder, item, _extension(link), got.body, chapters)
        await self.feeds.record_download(feed_url, link.url, None)
        return True

    async def _download_failed(
        self, feed_url: str, url: str, reason: str, failed: dict[str, tuple[int, str, str]], report: PollReport
    ) -> None:
        report.errors.append((url, reason))
        log.warning("feed %s: transcript %s: %s", feed_url, url, reason)
        failures = failed.get(url, (0, "", ""))[0] + 1
        await self.feeds.record_download(feed_url, url, reason, _later(backoff(failures)))

    async def _index_folder(self, folder: Path) -> IndexReport:
        async with self._index_lock:
            return await self.index([folder])

    async def _forget_unreadable(
        self,
        feed_url: str,
        folder: Path,
        plan: FeedPlan,
        outcome: IndexReport,
        failed: dict[str, tuple[int, str, str]],
        report: PollReport,
    ) -> None:
        """A fetched transcript the parsers refused is deleted and retried later, like a failed download."""
        by_stem = {item.stem: item for item in plan.items if item.transcript}
        dropped = False
        for reject in outcome.rejects:
            path = Path(reject.path)
            item = by_stem.get(path.name.split(".")[0])
            if item is None or not path.is_relative_to(folder) or item.transcript is None:
                continue
            await asyncio.to_thread(_delete_item, folder, item.stem)
            report.transcripts_fetched -= 1
            await self._download_failed(feed_url, item.transcript.url, reject.reason, failed, report)
            dropped = True
        if dropped:
            await self._index_folder(folder)


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _kept(folder: Path, stem: str) -> bool:
    return any((folder / f"{stem}{ext}").exists() for ext in _TRANSCRIPT_EXTENSIONS)


def _not_kept(folder: Path, items: list[FeedItem]) -> list[FeedItem]:
    return [item for item in items if not _kept(folder, item.stem)]


def _save_item(folder: Path, item: FeedItem, extension: str, transcript: bytes, chapters: bytes | None) -> None:
    write_atomically(folder / f"{item.stem}.meta.yaml", item.sidecar)
    if chapters is not None:
        write_atomically(folder / f"{item.stem}{CHAPTERS_SUFFIX}", chapters)
    write_atomically(folder / f"{item.stem}{extension}", transcript)


def _write_sidecars(folder: Path, plan: FeedPlan) -> int:
    """Keep each kept transcript's sidecar in step with its item (an edited title, new notes)."""
    return sum(write_atomically(folder / f"{i.stem}.meta.yaml", i.sidecar) for i in plan.items if _kept(folder, i.stem))


def _delete_item(folder: Path, stem: str) -> None:
    for path in folder.glob(f"{stem}.*"):
        path.unlink(missing_ok=True)

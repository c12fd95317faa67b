"""What the domain asks of storage: one Protocol per concern, listing exactly the calls it makes.

`storage.Store` implements all of them for SQLite; another engine implements the same calls and
the domain does not change. Nothing here names an engine: plans are `TermQuery`s that storage
renders to its own query language, and changes show as an `IndexVersion`. Only the composition
roots (bot/client.py, bot/cli.py, bot/reindex.py) open a concrete store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from models.episodes import Candidate, EpisodeFacts, EpisodeRecord, EpisodeRow, LinkedEpisode, SegmentRow, SourceRecord
from models.jobs import IndexJob
from models.search import IndexVersion, SegmentFilter, TermQuery
from models.shards import ShardSlice
from models.state import AnnounceRow, FeedRow, PendingPost, PollOutcome, PostClaim, ScheduleRow
from models.vectors import EpisodeNotes, EpisodePassage, PassageRow, PassageSegments, VectorSnapshot

Anchor = tuple[str, str, int]  # source path, item key, position: where a segment sits, kept by a reindex


class IndexWriter(Protocol):
    """An index run: what is indexed, and replacing, removing and linking files' episodes."""

    async def source_hashes(self) -> dict[str, str]:
        """Every known file path and the content hash it was indexed with."""
        ...

    async def indexed_paths(self) -> set[str]:
        """Files whose episodes are in the index now."""
        ...

    async def replace_sources(self, groups: Sequence[tuple[Sequence[SourceRecord], Sequence[EpisodeRecord]]]) -> int:
        """Replace these files' records and episodes in one transaction; return segments written."""
        ...

    async def remove_sources(self, paths: Sequence[str]) -> None:
        """Forget files that are gone, with their episodes, in one transaction."""
        ...

    async def episode_facts(self) -> list[tuple[int, EpisodeFacts]]:
        """Every episode's id and its documents' own facts, for linking."""
        ...

    async def save_links(self, linked: Sequence[LinkedEpisode]) -> None:
        """Show each episode with its linked facts, in one transaction; cached summaries go."""
        ...

    async def merge_index(self) -> int:
        """Merge the text index's pieces written so far (a long run calls it every so many segments),
        in short transactions that keep no reader or other writer waiting; return the steps taken."""
        ...

    async def optimize(self) -> None:
        """Tidy the index after a large change."""
        ...


class Catalogue(Protocol):
    """Reading what the index holds: episodes, their text, and the names to match filters against."""

    async def list_episodes(self) -> list[EpisodeRow]:
        """Every visible episode, by show, then date and number."""
        ...

    async def episode(self, episode_id: int) -> EpisodeRow | None:
        """One visible episode, or None."""
        ...

    async def description(self, episode_id: int) -> str | None:
        """An episode's show notes or description, if any."""
        ...

    async def chapters_of(self, episode_id: int) -> list[tuple[float, str]]:
        """An episode's chapters (start seconds, title); empty when it has none."""
        ...

    async def segments_of(self, episode_id: int) -> list[SegmentRow]:
        """An episode's segments in order."""
        ...

    async def show_titles(self) -> list[tuple[int, str]]:
        """Every show's id and title."""
        ...

    async def episode_titles(self) -> list[tuple[int, str, int | None, str | None]]:
        """Id, title, number and show of every visible episode."""
        ...

    async def episode_ids(self, number: int | None, show_ids: Sequence[int] | None) -> list[int]:
        """Visible episodes with this number (or id when no episode has it), in these shows."""
        ...

    async def speaker_names(self) -> list[str]:
        """The real speakers of all visible episodes, by name."""
        ...


class ChangeMarker(Protocol):
    """Whether the index changed since a cache was filled."""

    writes: int  # commits through this store object; equal to the last version's `own` while nothing was written

    async def change_marker(self) -> IndexVersion:
        """Changes whenever the index changes, through this store or another process."""
        ...


class CandidateSource(Protocol):
    """Segments for a search, each statement bounded in time (QueryTimeout past it)."""

    async def candidates(
        self, plan: TermQuery, where: SegmentFilter, limit: int, *, time_limit: float = 0.5
    ) -> list[Candidate]:
        """Segments matching `plan` that `where` allows, best ranked first."""
        ...

    async def random_candidates(self, where: SegmentFilter, limit: int, seed: float) -> list[Candidate]:
        """A run of up to `limit` segments from a random point (`seed` in [0, 1)) of a random episode."""
        ...

    async def segment_candidates(self, segment_ids: Sequence[int], where: SegmentFilter) -> list[Candidate]:
        """These segments as candidates, in the order given, less those `where` excludes."""
        ...

    async def vocabulary_snapshot(self) -> tuple[dict[str, int], int]:
        """Every indexed term with the number of segments that hold it, and the segment total."""
        ...

    async def term_counts(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """How many segments hold each of `terms` (those in none left out), and about how many there are."""
        ...


class Vectors(Protocol):
    """Passage vectors for search by meaning."""

    async def unembedded_episodes(self, limit: int) -> list[int]:
        """Episodes whose passages are not embedded yet."""
        ...

    async def count_unembedded(self) -> int:
        """How many episodes are waiting for their passage vectors."""
        ...

    async def segment_vectors(self, passage_ids: list[int]) -> dict[int, bytes]:
        """Passage id -> its segments' int8 vectors back to back, in order."""
        ...

    async def episode_segments(self, episode_id: int) -> PassageSegments:
        """An episode's segment ids and texts, in order."""
        ...

    async def save_passages(self, episode_id: int, embedded_from: PassageSegments, rows: list[PassageRow]) -> bool:
        """Store an episode's passage vectors in one transaction, unless its text changed meanwhile."""
        ...

    async def unnoted_episodes(self, limit: int) -> list[EpisodeNotes]:
        """Embedded episodes whose title and notes have no vector yet: id, title, notes."""
        ...

    async def save_notes_vector(self, notes: EpisodeNotes, vector: bytes) -> bool:
        """Store the vector of an episode's title and notes, unless they changed meanwhile."""
        ...

    async def vector_snapshot(self) -> VectorSnapshot:
        """Every passage vector of the visible episodes, and their notes vectors."""
        ...


class EpisodeTexts(Catalogue, Protocol):
    """What a summary is made from: the catalogue's text, and the vectors search stored for it."""

    async def passages_of(self, episode_id: int) -> list[EpisodePassage]:
        """An episode's passages in order: first and last index into `segments_of`, vector, and
        its segments' vectors (None when embedded before segments had their own)."""
        ...


class SummaryCache(Protocol):
    """Summaries kept until the index changes."""

    async def cached_summary(self, episode_id: int, method: int) -> str | None:
        """The stored summary JSON of an episode, if one was made by this method version."""
        ...

    async def save_summary(self, episode_id: int, method: int, document: str) -> None:
        """Keep an episode's summary until the index changes."""
        ...


class Schedules(Protocol):
    """Servers' daily post settings, and claiming each local day's post exactly once."""

    async def schedules(self, shards: ShardSlice | None = None) -> list[ScheduleRow]:
        """Every server's daily post settings (those on `shards`, if given)."""
        ...

    async def schedule(self, guild_id: int) -> ScheduleRow | None:
        """One server's daily post settings, or None."""
        ...

    async def save_schedule(self, guild_id: int, channel_id: int, hour: int, timezone: str, enabled: bool) -> None:
        """Set a server's channel, hour, timezone and on/off; what was posted when is kept."""
        ...

    async def claim_posts(self, due: Sequence[tuple[int, str]], owner: str, lease: float) -> list[PostClaim]:
        """Claim the (guild, local date) pairs not posted nor claimed under a live lease."""
        ...

    async def renew_claim(self, claim: PostClaim, lease: float) -> bool:
        """Extend a claim's lease; False when another process has taken it over."""
        ...

    async def mark_sent(self, claim: PostClaim, message_id: int) -> None:
        """Keep the id of the claimed post's first message."""
        ...

    async def finish_post(self, claim: PostClaim) -> None:
        """Mark the claimed date done: posted, or given up for the day."""
        ...

    async def release_post(self, claim: PostClaim) -> None:
        """Drop a claim after a passing failure, so the next tick tries again."""
        ...

    async def record_post_result(self, guild_id: int, error: str | None) -> None:
        """Keep the last attempt's failure, or clear it after a success."""
        ...


class Pagers(Protocol):
    """What paging buttons show, and the context around a segment across reindexes."""

    async def save_pager(self, owner_id: int, kind: str, payload: str, *, keep_days: int = 30) -> int:
        """Keep what a message's paging buttons show; return its id."""
        ...

    async def pager(self, pager_id: int) -> tuple[int, str, str] | None:
        """A pager's owner, kind and payload, or None once forgotten."""
        ...

    async def segment_anchors(self, segment_ids: list[int]) -> dict[int, Anchor]:
        """Where each segment sits, in terms a reindex keeps."""
        ...

    async def context_at(self, anchor: Anchor, radius: int) -> list[tuple[int, float | None, str | None, str]]:
        """The segment at `anchor` and up to `radius` neighbours each side: position, start, speaker, text."""
        ...


class Facts(Protocol):
    """Small facts the bot keeps about itself."""

    async def fact(self, key: str) -> str | None:
        """A stored fact, or None."""
        ...

    async def set_fact(self, key: str, value: str) -> None:
        """Store a fact."""
        ...

    async def take_identify_turn(self, bucket: int, spacing: float) -> float:
        """Take a gateway rate-limit bucket's IDENTIFY turn (0.0), or say how many seconds are left."""
        ...


class Feeds(Protocol):
    """Followed feeds, their items and downloads, and new-episode announcements."""

    async def add(self, url: str, source_path: str) -> bool: ...

    async def remove(self, url: str) -> FeedRow | None: ...

    async def feeds(self) -> list[FeedRow]: ...

    async def feed(self, url: str) -> FeedRow | None: ...

    async def record_poll(self, url: str, outcome: PollOutcome) -> None: ...

    async def note_items(self, url: str, keys: Sequence[str]) -> list[str]: ...

    async def joined_elsewhere(self, source_path: str, folder: str) -> set[str]: ...

    async def failed_downloads(self, feed_url: str) -> dict[str, tuple[int, str, str]]: ...

    async def record_download(self, feed_url: str, url: str, reason: str | None, next_try_at: str = "") -> None: ...

    async def save_announce(self, guild_id: int, channel_id: int, enabled: bool) -> None: ...

    async def announce_channels(self, guild_id: int | None = None) -> list[AnnounceRow]: ...

    async def pending_posts(self, guild_id: int, since: str) -> list[PendingPost]: ...

    async def item_episode(self, item_id: int) -> int | None: ...

    async def claim_post(self, guild_id: int, post: PendingPost) -> bool: ...

    async def release_post(self, guild_id: int, post: PendingPost) -> None: ...

    async def record_announce_result(self, guild_id: int, error: str | None) -> None: ...


class IndexJobs(Protocol):
    """Index jobs: enqueued by any process, claimed and reported on by the one indexer."""

    async def enqueue(self, kind: str, requested_by: str) -> tuple[IndexJob, bool]:
        """A new pending job, or the one already pending or running; True when this call made it."""
        ...

    async def job(self, job_id: int) -> IndexJob | None: ...

    async def recent_jobs(self, limit: int = 5) -> list[IndexJob]: ...

    async def claim_job(self, runner: str) -> IndexJob | None:
        """Mark the pending job running for `runner`; None when none is pending."""
        ...

    async def record_progress(
        self, job_id: int, done: int, total: int, rejected: int, embedded: int | None, to_embed: int | None
    ) -> None: ...

    async def finish_job(self, job_id: int, error: str | None, report: str | None) -> None: ...

    async def fail_jobs(self, job_ids: Sequence[int], reason: str) -> int:
        """Fail these jobs if they are still running; return how many."""
        ...


# What each domain part is given: the concerns it uses, together.


class SearchStore(CandidateSource, Catalogue, ChangeMarker, Vectors, Protocol):
    """The search engine's view: candidates, names for filters, change marker, vectors."""


class IndexStore(IndexWriter, Vectors, Protocol):
    """An index run's view: writing files' episodes, linking them, embedding their passages."""


class SummaryStore(EpisodeTexts, SummaryCache, Protocol):
    """Summaries' view: an episode's text and vectors, and the cache."""


class NamesStore(Catalogue, ChangeMarker, Protocol):
    """Autocomplete's view: the names, refreshed when the index changes."""


class MeaningStore(CandidateSource, Vectors, Protocol):
    """Search by meaning's view: the vectors, and their segments as candidates."""


class FollowerStore(IndexWriter, Protocol):
    """The feed follower's view: the feed tables beside the index it writes."""

    @property
    def feeds(self) -> Feeds: ...


class AnnounceStore(Catalogue, Protocol):
    """The announcer's view: the feed tables, and the episodes it announces."""

    @property
    def feeds(self) -> Feeds: ...


class ScheduleStore(Catalogue, Schedules, Protocol):
    """The daily post's view: the catalogue to pick from, and the schedules."""

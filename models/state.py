"""What servers set and what the bot remembers for them: daily posts, feeds, announcements."""

from __future__ import annotations

from dataclasses import dataclass

from models.shapes import fields_of


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """A server's daily post settings and what was last posted."""

    guild_id: int
    channel_id: int
    hour: int
    timezone: str
    enabled: bool
    last_posted: str | None = None  # local date, YYYY-MM-DD
    last_error: str | None = None
    last_error_at: str | None = None


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """How one poll of a feed went, as its row keeps it; a failure keeps the old validators."""

    status: str  # ok | unchanged | error
    next_poll_at: str
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    items: int | None = None  # how many items the feed lists, when it was read


@dataclass(frozen=True, slots=True)
class PostClaim:
    """A process's claim on one server's daily post for a local date, held for a lease.

    `sent_message_id` is set when an earlier claim on the same date had its first message taken by
    Discord before that process died: the post is out, and only the claim needs finishing.
    """

    guild_id: int
    day: str  # local date, YYYY-MM-DD
    owner: str  # the claiming process's token
    sent_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A followed feed and how its last poll went."""

    url: str
    source_path: str
    added_at: str
    etag: str | None
    last_modified: str | None
    status: str  # new | ok | unchanged | error
    last_error: str | None
    last_polled_at: str | None
    failures: int
    next_poll_at: str | None
    items: int
    failed_downloads: tuple[tuple[str, str], ...] = ()  # transcripts and chapters not fetched yet: url, reason

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of `rewind feeds list --json`."""
        plain = fields_of(self, "url", "status", "items", "last_polled_at", "last_error", "failures", "next_poll_at")
        return plain | {"failed_downloads": [{"url": url, "reason": reason} for url, reason in self.failed_downloads]}


@dataclass(frozen=True, slots=True)
class AnnounceRow:
    """A server's new-episode channel."""

    guild_id: int
    channel_id: int
    enabled: bool
    since: str
    last_error: str | None
    last_error_at: str | None


@dataclass(frozen=True, slots=True)
class PendingPost:
    """An episode a server has not been told about yet."""

    feed_url: str
    item_key: str
    item_id: int  # stays while the feed is followed (episode ids change when the feed is reindexed)
    episode_id: int

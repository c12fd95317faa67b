"""Settings, read once from the environment (and `.env`) into a frozen object."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.urls import required_url

FALLBACKS = ("week", "archive")  # what the daily post shows when nothing came out on the day itself
DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")
_TOKEN_SHAPE = re.compile(r"^[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}$")


class SettingsError(ValueError):
    """A setting has a value Rewind cannot use; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything Rewind can be configured with; see `.env.example`."""

    token: str | None = None
    database: Path | str = Path("data/rewind.db")  # a SQLite file, or a postgresql:// URL (a str)
    transcript_dirs: tuple[Path, ...] = ()
    log_level: str = "INFO"
    dev_guild_id: int | None = None
    admin_guild_id: int | None = None  # whose Manage Server members may also run bot-wide /admin actions
    index_workers: int = 0
    onthisday_fallbacks: tuple[str, ...] = FALLBACKS
    feeds: tuple[str, ...] = ()
    feed_poll_minutes: int = 60
    feed_cache_dir: Path = Path("data/feeds")
    upload_dir: Path = Path("data/uploads")
    shard_count: int | None = None  # None: one process, unsharded, as Discord allows below 2,500 servers
    shard_ids: tuple[int, ...] = ()  # the shards this process runs (all of them when SHARD_IDS is unset)

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, str], home: Path = Path(), from_cwd: frozenset[str] = frozenset()
    ) -> Settings:
        """Build settings from environment-style strings; raise SettingsError on bad values.
        Relative paths (and the defaults) are taken from `home`, except the `from_cwd` keys'."""

        def path(key: str, default: Path) -> Path:
            raw = values.get(key, "").strip()
            return (Path() if key in from_cwd else home) / raw if raw else default

        token = values.get("DISCORD_TOKEN", "").strip() or None
        if token is not None and not _TOKEN_SHAPE.match(token):
            raise SettingsError("DISCORD_TOKEN does not look like a bot token (three dot-separated parts)")
        level = values.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if not isinstance(logging.getLevelName(level), int):
            raise SettingsError(f"LOG_LEVEL {level!r} is not one of DEBUG, INFO, WARNING, ERROR")
        folders = values.get("TRANSCRIPT_DIRS", "")
        raw_database = values.get("REWIND_DB", "").strip()
        database = raw_database if is_database_url(raw_database) else path("REWIND_DB", home / "data/rewind.db")
        state = home / "data" if isinstance(database, str) else database.parent
        shard_count, shard_ids = _shards(values, database)
        return cls(
            token=token,
            database=database,
            transcript_dirs=tuple(
                (Path() if "TRANSCRIPT_DIRS" in from_cwd else home) / p.strip()
                for p in re.split(r"[,:;]", folders)
                if p.strip()
            ),
            log_level=level,
            dev_guild_id=_optional_int(values, "DEV_GUILD_ID"),
            admin_guild_id=_optional_int(values, "ADMIN_GUILD_ID"),
            index_workers=_optional_int(values, "INDEX_WORKERS") or default_workers(),
            onthisday_fallbacks=_fallbacks(values.get("ONTHISDAY_FALLBACK", "week,archive")),
            feeds=_feeds(values.get("FEEDS", "")),
            feed_poll_minutes=max(1, _optional_int(values, "FEED_POLL_MINUTES") or 60),
            # Beside the database by default (data/feeds, data/uploads), so one folder holds all state.
            feed_cache_dir=path("FEED_CACHE_DIR", state / "feeds"),
            upload_dir=path("UPLOAD_DIR", state / "uploads"),
            shard_count=shard_count,
            shard_ids=shard_ids,
        )

    @property
    def index_folders(self) -> tuple[Path, ...]:
        """What `rewind index`, the bot's start-up index and `/admin reindex` read: the transcript
        folders, the uploads and the feed downloads."""
        return (*self.transcript_dirs, self.upload_dir, self.feed_cache_dir)

    @classmethod
    def from_environment(cls, dotenv: Path | None = None, from_cwd: frozenset[str] = frozenset()) -> Settings:
        """Build settings from the process environment (load `.env` before calling). Relative
        paths are relative to the `dotenv` file's folder, but those of the `from_cwd` keys (set
        in the environment itself) to the current folder."""
        return cls.from_mapping(os.environ, dotenv.parent if dotenv else Path(), from_cwd)


def is_database_url(value: str) -> bool:
    """Whether REWIND_DB (or --db) names a PostgreSQL database rather than a SQLite file."""
    return value.startswith(DATABASE_URL_SCHEMES)


def database_target(raw: str) -> Path | str:
    """A --db value: a `postgresql://` URL as given, else a SQLite file path."""
    return raw if is_database_url(raw) else Path(raw)


def default_workers() -> int:
    """Parsing processes: one core is left for the database writer (measured: on 2 cores,
    2 parse workers index 1M segments slower than 1)."""
    return max(1, (os.cpu_count() or 1) - 1)


def _optional_int(values: Mapping[str, str], key: str) -> int | None:
    raw = values.get(key, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise SettingsError(f"{key} must be a whole number, not {raw!r}")
    return int(raw)


def _shards(values: Mapping[str, str], database: Path | str) -> tuple[int | None, tuple[int, ...]]:
    """SHARD_COUNT and SHARD_IDS (`0-3`, `0,2`, `0-1,4`): the slice of the shards this process runs."""
    count = _optional_int(values, "SHARD_COUNT")
    raw = values.get("SHARD_IDS", "").strip()
    if count is None:
        if raw:
            raise SettingsError("SHARD_IDS needs SHARD_COUNT (how many shards all the processes run together)")
        return None, ()
    if count < 1:
        raise SettingsError("SHARD_COUNT must be at least 1")
    if not raw:
        return count, tuple(range(count))
    ids: list[int] = []
    for part in raw.split(","):
        first, dash, last = part.strip().partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise SettingsError(f"SHARD_IDS must be shard numbers and ranges such as 0-3 or 0,2, not {raw!r}")
        ids.extend(range(int(first), int(last if dash else first) + 1))
    if not ids or len(set(ids)) != len(ids):
        raise SettingsError(f"SHARD_IDS {raw!r} names no shard, or one shard twice")
    if max(ids) >= count:
        raise SettingsError(f"SHARD_IDS {raw!r} names shard {max(ids)}, but shards are numbered 0 to {count - 1}")
    if len(ids) < count and not isinstance(database, str):
        raise SettingsError(
            "SHARD_IDS runs only some of the shards, so other processes run the rest: they need a shared"
            " postgresql:// REWIND_DB, not a SQLite file"
        )
    return count, tuple(sorted(ids))


def _feeds(raw: str) -> tuple[str, ...]:
    try:
        return tuple(required_url(url) for url in raw.split(",") if url.strip())
    except ValueError as error:
        raise SettingsError(f"FEEDS: {error}") from error


def _fallbacks(raw: str) -> tuple[str, ...]:
    chosen = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if chosen == ("none",):
        return ()
    unknown = [part for part in chosen if part not in FALLBACKS]
    if unknown or not chosen:
        raise SettingsError(f"ONTHISDAY_FALLBACK must be 'week', 'archive', both or 'none', not {raw!r}")
    return chosen

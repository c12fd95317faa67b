"""What a failing SQLite operation means for the operator: locked, read-only, not a file, or damaged."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

REBUILD_HINT = "run `rewind rebuild` to set it aside and index the transcripts again"
_DAMAGED = frozenset(["SQLITE_CORRUPT", "SQLITE_NOTADB"])
_LOCKED = frozenset(["SQLITE_BUSY", "SQLITE_LOCKED"])
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "quick_check", "integrity")


def database_problem(path: Path, error: sqlite3.Error) -> str:
    """One line saying what happened to the database at `path` and what to do; "damaged" (and the
    rebuild advice, which sets the file aside) only for real damage."""
    name = getattr(error, "sqlite_errorname", None) or ""
    base = "_".join(name.split("_")[:2])  # SQLITE_BUSY_SNAPSHOT is SQLITE_BUSY
    text = str(error)
    if path.is_dir():
        suggestion = path / "rewind.db"
        return f"{path} is a folder, not a database file: point REWIND_DB (or --db) at a file, such as {suggestion}"
    if base in _LOCKED or "locked" in text:
        return (
            f"{path} is locked by another process (another `rewind index`, `rewind rebuild` or the bot "
            "writing to it): wait for it to finish, then try again"
        )
    if base == "SQLITE_READONLY" or "readonly" in text or _read_only(path):
        return (
            f"{path} cannot be written ({text}): make the file, its folder and any {path.name}-wal / "
            f"{path.name}-shm beside it writable by this user"
        )
    if base == "SQLITE_CANTOPEN" or "unable to open" in text:
        return f"cannot open {path} ({text}): check that its folder exists and is writable"
    if base == "SQLITE_FULL" or "full" in text:
        return f"no room left for {path} ({text}): free some disk space, then try again"
    if base in _DAMAGED or any(word in text for word in _DAMAGE_WORDS):
        return f"{path} is damaged or not a Rewind database ({text}): {REBUILD_HINT}"
    return f"the database {path} failed ({text})"


def _read_only(path: Path) -> bool:
    folder = path.parent if path.parent != Path() else Path(".")
    return (path.exists() and not os.access(path, os.W_OK)) or (folder.exists() and not os.access(folder, os.W_OK))

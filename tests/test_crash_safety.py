"""A reindex killed at any moment leaves the old or the new version of each episode, never a mix."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

FILES = 24
LINES = 2_500  # enough segments for several write batches


def write_catalogue(folder: Path, version: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(FILES):
        lines = [
            f"{i // 3600:02}:{i // 60 % 60:02}:{i % 60:02} Line {i} of episode {number} says {version}word{i % 7}."
            for i in range(LINES)
        ]
        (folder / f"{number:03}-episode.txt").write_text("\n\n".join(lines), encoding="utf-8")


def run_index(folder: Path, db: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bot", "index", str(folder), "--db", str(db)]
    env = {**os.environ, "INDEX_WORKERS": "1", "LOG_LEVEL": "ERROR"}
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def new_versions_committed(db: Path, old_hashes: set[str]) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
        rows = connection.execute("SELECT content_hash FROM sources").fetchall()
    return sum(1 for (digest,) in rows if digest not in old_hashes)


@pytest.mark.parametrize("kill_after_files", [0, 1, FILES // 2])
def test_killing_a_reindex_never_leaves_a_half_written_episode(tmp_path: Path, kill_after_files: int) -> None:
    folder, db = tmp_path / "show", tmp_path / "rewind.db"
    write_catalogue(folder, "old")
    assert run_index(folder, db).wait(timeout=300) == 0
    with sqlite3.connect(db) as connection:
        old_hashes = {digest for (digest,) in connection.execute("SELECT content_hash FROM sources")}

    write_catalogue(folder, "new")
    process = run_index(folder, db)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if new_versions_committed(db, old_hashes) >= kill_after_files:
            break
        time.sleep(0.02)  # polling for a state, not asserting on time
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL, "the reindex finished before it could be killed"

    renewed = assert_each_episode_old_or_new(db)
    assert renewed >= kill_after_files


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_reindex_killed_at_a_random_moment_leaves_each_episode_old_or_new(tmp_path: Path, seed: int) -> None:
    folder, db = tmp_path / "show", tmp_path / "rewind.db"
    write_catalogue(folder, "old")
    assert run_index(folder, db).wait(timeout=300) == 0
    write_catalogue(folder, "new")
    process = run_index(folder, db)
    try:
        process.wait(timeout=random.Random(seed).uniform(0.2, 4.0))  # fault injection, not a timing assertion
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert_each_episode_old_or_new(db)


def assert_each_episode_old_or_new(db: Path) -> int:
    """The database is sound, the FTS index matches its content, and no episode mixes versions;
    return how many episodes are new."""
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.execute("INSERT INTO segments_fts(segments_fts, rank) VALUES ('integrity-check', 1)")
        episodes = connection.execute(
            "SELECT e.id, count(s.id), sum(s.text LIKE '%oldword%'), sum(s.text LIKE '%newword%')"
            " FROM episodes e LEFT JOIN segments s ON s.episode_id = e.id GROUP BY e.id"
        ).fetchall()
        matches = connection.execute("SELECT count(*) FROM segments_fts WHERE segments_fts MATCH 'says'").fetchone()
    assert len(episodes) == FILES
    for _, segments, old, new in episodes:
        assert segments > 0
        assert (old, new) in ((segments, 0), (0, segments)), "an episode mixes old and new segments"
    assert matches[0] == sum(segments for _, segments, _, _ in episodes)
    return sum(1 for _, _, _, new in episodes if new)

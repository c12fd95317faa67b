"""A database that is locked, read-only or a folder is named as such, never as damaged."""

import contextlib
import io
import multiprocessing
import multiprocessing.connection
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import storage.connection
from bot.cli import main
from storage.errors import REBUILD_HINT
from tests.conftest import SAMPLE

NOBODY = 65534


def test_a_database_locked_by_another_writer_is_reported_as_locked(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(storage.connection, "WRITE_WAIT_SECONDS", 0)  # one try, not two minutes of them
    database = tmp_path / "rewind.db"
    assert main(["index", str(SAMPLE), "--db", str(database)]) == 0
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "ep-9-new.txt").write_text("00:00:01 A new line to write.\n", encoding="utf-8")
    capsys.readouterr()
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing, past the busy timeout
        code = main(["index", str(tmp_path / "more"), "--db", str(database)])
    finally:
        holder.close()
    error = capsys.readouterr().err
    assert code == 1
    assert "locked by another process" in error and "try again" in error, error
    assert "damaged" not in error and REBUILD_HINT not in error


def test_a_folder_given_as_the_database_is_named_a_folder(tmp_path: Path, capsys) -> None:
    assert main(["index", str(SAMPLE), "--db", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "is a folder, not a database file" in error and "damaged" not in error


@contextlib.contextmanager
def shared_folder() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is private to its owner)."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        folder.chmod(0o755)
        yield folder
        for path in folder.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        folder.chmod(0o755)


def _run_cli(args: list[str], sender: multiprocessing.connection.Connection) -> None:
    if os.geteuid() == 0:  # root ignores file modes: run as an ordinary user for the modes to hold
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    error = io.StringIO()
    with contextlib.redirect_stderr(error), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    sender.send((code, error.getvalue()))


def run_unprivileged(args: list[str]) -> tuple[int, str]:
    """`rewind ARGS` in a child process that file permissions apply to."""
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_run_cli, args=(args, sender))
    child.start()
    child.join(120)
    return receiver.recv() if receiver.poll() else (-1, f"no answer (exit code {child.exitcode})")


def test_a_read_only_database_file_is_reported_as_read_only() -> None:
    with shared_folder() as folder:
        database = folder / "rewind.db"
        transcripts = folder / "casts"
        transcripts.mkdir(mode=0o755)
        (transcripts / "ep-1-one.txt").write_text("00:00:01 Words to index.\n", encoding="utf-8")
        assert main(["index", str(SAMPLE), "--db", str(database)]) == 0
        database.chmod(0o444)
        folder.chmod(0o555)
        code, error = run_unprivileged(["index", str(transcripts), "--db", str(database)])
    assert code == 1, error
    assert "cannot be written" in error and "writable" in error
    assert "damaged" not in error and REBUILD_HINT not in error


def test_a_read_only_folder_for_a_new_database_is_reported_as_read_only() -> None:
    with shared_folder() as folder:
        (folder / "data").mkdir(mode=0o555)
        code, error = run_unprivileged(["index", str(SAMPLE), "--db", str(folder / "data" / "rewind.db")])
    assert code == 1, error
    assert "cannot be written" in error and "damaged" not in error

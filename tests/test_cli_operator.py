"""The operator's CLI: no databases created by reading, paths from .env, rebuild, exit codes, first run."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from storage import Store
from tests.conftest import REPO, SAMPLE, write


@pytest.mark.parametrize("command", [["episodes"], ["search", "shipping"], ["random"], ["summary", "1"]])
def test_reading_commands_never_create_a_database(tmp_path: Path, monkeypatch, capsys, command) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REWIND_DB", raising=False)
    assert main(command) == 1
    assert "no index at data/rewind.db: run `rewind index FOLDER` first" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_episodes_opens_the_index_read_only(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    assert main(["index", str(SAMPLE), "--db", str(db)]) == 0
    db.chmod(0o444)
    try:
        capsys.readouterr()
        assert main(["episodes", "--db", str(db)]) == 0
        assert "Shipping software" in capsys.readouterr().out
    finally:
        db.chmod(0o644)


def test_relative_paths_in_dotenv_are_relative_to_the_dotenv(tmp_path: Path, monkeypatch, capsys) -> None:
    for key in ("REWIND_DB", "TRANSCRIPT_DIRS"):  # set, then removed: what the .env loads is undone after
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)
    write(tmp_path, ".env", "REWIND_DB=state/rewind.db\nTRANSCRIPT_DIRS=casts\n")
    write(tmp_path / "casts", "ep-1-a.txt", "00:00:01 A line about relative paths and where they point to.\n")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "sub" / "deeper")
    assert main(["index", str(tmp_path / "casts")]) == 0
    assert (tmp_path / "state" / "rewind.db").is_file()
    assert not (tmp_path / "sub" / "deeper" / "state").exists()
    assert main(["rebuild", "--force"]) == 0  # TRANSCRIPT_DIRS=casts, found beside the .env
    assert "1 episodes" in capsys.readouterr().out


def index_with_schedule(db: Path) -> None:
    assert main(["index", str(SAMPLE), "--db", str(db)]) == 0

    async def schedule() -> None:
        store = await Store.open(db)
        await store.save_schedule(42, 7, 9, "Europe/Paris", True)
        await store.close()

    asyncio.run(schedule())


def test_rebuild_refuses_a_healthy_database(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    index_with_schedule(db)
    capsys.readouterr()
    assert main(["rebuild", str(SAMPLE), "--db", str(db)]) == 2
    assert "healthy" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("r.db.")) == []


def test_rebuild_with_force_keeps_the_schedules(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    index_with_schedule(db)
    assert main(["rebuild", str(SAMPLE), "--db", str(db), "--force"]) == 0
    assert "Kept from the old database: schedules" in capsys.readouterr().err

    async def schedules() -> list:
        store = await Store.open(db)
        try:
            return await store.schedules()
        finally:
            await store.close()

    assert [(s.guild_id, s.channel_id, s.timezone) for s in asyncio.run(schedules())] == [(42, 7, "Europe/Paris")]


def test_rebuild_sets_a_damaged_database_aside_without_force(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    db.write_bytes(b"not a database" * 100)
    assert main(["rebuild", str(SAMPLE), "--db", str(db)]) == 0
    assert any(p.name.startswith("r.db.damaged-") for p in tmp_path.iterdir())


@pytest.mark.parametrize("command", ["index", "rebuild"])
def test_a_missing_path_is_an_error_on_every_run(tmp_path: Path, capsys, command) -> None:
    db = tmp_path / "r.db"
    missing = tmp_path / "nowhere"
    args = [command, str(SAMPLE), str(missing), "--db", str(db), *(["--force"] if command == "rebuild" else [])]
    for _ in range(2):
        assert main(args) == 1
        assert f"rewind: {missing} does not exist" in capsys.readouterr().err


def test_rejected_files_are_listed_on_every_run_until_fixed(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "casts"
    write(folder, "ep-1-good.txt", "00:00:01 A perfectly good line of transcript text to index.\n")
    bad = write(folder, "ep-2-bad.srt", "this is not a caption file at all\n")
    db = tmp_path / "r.db"
    main(["index", str(folder), "--db", str(db)])
    first = capsys.readouterr().out
    assert "rejected" in first and "ep-2-bad.srt" in first
    main(["index", str(folder), "--db", str(db)])
    assert "still rejected" in (second := capsys.readouterr().out) and "ep-2-bad.srt" in second
    bad.write_text("1\n00:00:01,000 --> 00:00:02,000\nNow it is a fine caption.\n", encoding="utf-8")
    main(["index", str(folder), "--db", str(db)])
    assert "ep-2-bad.srt" not in capsys.readouterr().out


def test_index_shows_plain_progress_lines_when_not_a_terminal(tmp_path: Path, capsys) -> None:
    assert main(["index", str(SAMPLE), "--db", str(tmp_path / "r.db")]) == 0
    err = capsys.readouterr().err
    assert "indexing 3/3 files, 0 rejected" in err
    assert "\r" not in err


def run_cli(tmp_path: Path, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "", "PYTHONPATH": str(REPO), "HOME": str(tmp_path), **(extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_demo_is_quiet_and_ends_with_next_steps(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert result.returncode == 0, result.stderr
    assert "migrated to schema" not in result.stderr
    assert result.stdout.rstrip().splitlines()[-4] == "Next:"


def test_under_systemd_a_missing_token_fails_the_unit(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", extra={"INVOCATION_ID": "0123abcd"})
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "Searching for" not in result.stdout  # no demo


WORKER_SCRIPT = """
import os, sys, time
from bot.ingest.indexer import parse_pool
pool = parse_pool(1)
print(pool.submit(os.getpid).result(), flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_parse_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    worker = int(parent.stdout.readline())
    assert alive(worker)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    deadline = time.monotonic() + 30  # a bound on waiting, not a timing assertion
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker)

import json
import subprocess
import sys
from pathlib import Path

from bot.cli import main
from tests.conftest import REPO, SAMPLE

HIT_FIELDS = {
    "episode_id",
    "show",
    "title",
    "number",
    "published",
    "start_seconds",
    "speaker",
    "text",
    "context_before",
    "context_after",
    "url",
    "source",
    "score",
}
EPISODE_FIELDS = {
    "id",
    "show",
    "number",
    "title",
    "published",
    "duration_seconds",
    "url",
    "source",
    "segments",
    "speakers",
}


def test_index_then_episodes_json_has_the_documented_fields(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    assert main(["index", str(SAMPLE), "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rejected"] == []
    assert main(["episodes", "--db", str(db), "--json"]) == 0
    episodes = json.loads(capsys.readouterr().out)
    assert len(episodes) == 2
    for episode in episodes:
        assert set(episode) >= EPISODE_FIELDS
        assert isinstance(episode["number"], int)
        assert episode["source"].startswith(str(SAMPLE))


def test_episodes_table_is_readable(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    main(["index", str(SAMPLE), "--db", str(db)])
    capsys.readouterr()
    main(["episodes", "--db", str(db)])
    table = capsys.readouterr().out
    assert "Shipping software" in table
    assert "2021-02-24" in table


def test_search_cli_finds_a_sample_quote(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    main(["index", str(SAMPLE), "--db", str(db)])
    capsys.readouterr()
    assert main(["search", "roll back in minutes", "--db", str(db), "--json"]) == 0
    (hit, *_) = json.loads(capsys.readouterr().out)
    assert set(hit) >= HIT_FIELDS
    assert hit["speaker"] == "Sam Okafor"
    assert hit["start_seconds"] == 20.0
    assert hit["context_before"] == "And when a release goes wrong anyway?"
    assert hit["url"] == "https://example.org/audio/rewind-radio-1.mp3#t=20"


ONLY_COMMON_WORDS = 'Those words are too common to search: add a rarer word or two, or put the exact words in "quotes".'


def test_a_query_of_only_common_words_is_explained_not_answered(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    main(["index", str(SAMPLE), "--db", str(db)])
    capsys.readouterr()
    assert main(["search", "and the of it is", "--db", str(db)]) == 2
    assert capsys.readouterr().err.strip() == f"rewind: {ONLY_COMMON_WORDS}"
    assert main(["search", '"it is because"', "--db", str(db)]) == 0  # quoted, the same words are a phrase
    assert "Priya Raman" in capsys.readouterr().out


def test_random_cli_prints_a_quotable_line(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    main(["index", str(SAMPLE), "--db", str(db)])
    capsys.readouterr()
    assert main(["random", "--db", str(db), "--json", "--speaker", "Priya Raman"]) == 0
    hit = json.loads(capsys.readouterr().out)
    assert hit["speaker"] == "Priya Raman"
    assert hit["text"].endswith((".", "?", "!"))


def test_bad_setting_is_one_clear_line(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-token")
    assert main(["episodes"]) == 2
    assert capsys.readouterr().err.strip() == (
        "rewind: DISCORD_TOKEN does not look like a bot token (three dot-separated parts)"
    )


def test_run_without_a_token_explains_and_demonstrates(tmp_path: Path) -> None:
    env = {"PATH": "", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "No DISCORD_TOKEN is set" in result.stdout
    assert "fix the bugs before the users find them" in result.stdout
    assert "Rewind Radio - Shipping software (2021-02-24) @ 0:09" in result.stdout
    assert "https://example.org/audio/rewind-radio-1.mp3#t=9" in result.stdout

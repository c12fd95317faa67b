"""Every query and option value is checked before use: a one-line message and exit 2, never a traceback."""

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.ingest.indexer import index_paths
from bot.search.engine import Searcher
from bot.search.query import QueryError, episode_reference
from models.search import SearchFilters
from storage import Store
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("queries") / "rewind.db"
    assert main(["index", str(SAMPLE), "--db", str(path)]) == 0
    return path


EPISODES = ["99999999999999999999", "²", "①", "٣", "id:99999999999999999999999", "id:x", "bad\udcffbytes", "a\x1b[2Jb"]
TEXTS = ["bad\udcffbytes", "a\x1b[2Jb", "x" * 300]


@pytest.mark.parametrize("value", EPISODES)
@pytest.mark.parametrize(
    "command",
    [
        lambda v: ["search", f"fix the bugs episode:{v}"],
        lambda v: ["search", "fix the bugs", "--episode", v],
        lambda v: ["summary", v],
        lambda v: ["random", "--episode", v],
    ],
)
def test_an_episode_that_cannot_be_one_is_one_line_and_exit_2(database: Path, command, value: str, capsys) -> None:
    assert main([*command(value), "--db", str(database)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("rewind: ") and len(error.strip().splitlines()) == 1


@pytest.mark.parametrize("value", TEXTS)
@pytest.mark.parametrize("option", ["--speaker", "--show"])
@pytest.mark.parametrize("command", [["search", "fix the bugs"], ["random"]])
def test_a_speaker_or_show_that_is_no_text_is_one_line_and_exit_2(
    database: Path, command: list[str], option: str, value: str, capsys
) -> None:
    assert main([*command, option, value, "--db", str(database)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("rewind: ") and len(error.strip().splitlines()) == 1


def test_an_invalid_query_text_is_one_line_and_exit_2(database: Path, capsys) -> None:
    assert main(["search", "fix \udcff the bugs", "--db", str(database)]) == 2
    assert capsys.readouterr().err.startswith("rewind: ")


def test_digits_that_are_no_number_are_refused_with_a_reason() -> None:
    for value in ("²", "①", "٣", "99999999999999999999", "id:x"):
        with pytest.raises(QueryError):
            episode_reference(value)
    assert episode_reference("#12") == ("number", 12)
    assert episode_reference("id:7") == ("id", 7)
    assert episode_reference("Shipping software") is None
    assert episode_reference("12 Angry Men") is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    episode=st.one_of(st.none(), st.text(max_size=25)),
    speaker=st.one_of(st.none(), st.text(max_size=25)),
    show=st.one_of(st.none(), st.text(max_size=25)),
    query=st.text(max_size=40),
)
def test_any_option_values_give_hits_or_a_query_error(
    database: Path, episode: str | None, speaker: str | None, show: str | None, query: str
) -> None:
    filters = SearchFilters(show=show, episode=episode, speaker=speaker)

    async def probe() -> None:
        store = await Store.open(database)
        try:
            searcher = Searcher(store)
            for attempt in (
                lambda: searcher.search(query or "bugs", filters=filters),
                lambda: searcher.random_quote(filters),
                lambda: searcher.resolve_episode(episode or ""),
            ):
                try:
                    await attempt()
                except QueryError as error:
                    assert str(error) and "\n" not in str(error)
        finally:
            await store.close()

    asyncio.run(probe())


async def test_the_sample_still_answers_after_hostile_values(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "rewind.db")
    try:
        await index_paths(store, [SAMPLE])
        searcher = Searcher(store)
        with pytest.raises(QueryError):
            await searcher.random_quote(SearchFilters(episode="99999999999999999999"))
        assert await searcher.search("fix the bugs before the users find them")
    finally:
        await store.close()

from pathlib import Path

import pytest

from bot.ingest.indexer import index_paths
from bot.search.choices import MAX_CHOICE_LENGTH, MAX_CHOICES, Suggester, rank_choices
from bot.search.engine import Searcher, match_names
from models.search import SearchFilters
from storage import Store
from tests.conftest import SAMPLE, write


def test_at_most_25_choices_of_at_most_100_characters() -> None:
    options = {f"id:{i}": f"Episode {i} " + "x" * 200 for i in range(100)}
    for typed in ("", "episode 7", "x" * 300):
        choices = rank_choices(typed, options)
        assert len(choices) <= MAX_CHOICES
        assert all(len(c.name) <= MAX_CHOICE_LENGTH and len(c.value) <= MAX_CHOICE_LENGTH for c in choices)


def test_fuzzy_matching_puts_the_meant_option_first() -> None:
    options = {"a": "Talk Python To Me", "b": "Data Science at Home", "c": "Lex Fridman Podcast"}
    assert rank_choices("data sci", options)[0].value == "b"
    assert rank_choices("talk pyhton", options)[0].value == "a"


async def test_suggestions_come_from_the_index_and_filter_searches(store: Store, tmp_path: Path) -> None:
    await index_paths(store, [SAMPLE])
    suggester = Suggester(store)
    assert [c.name for c in await suggester.shows("rewind")] == ["Rewind Radio"]
    assert "Priya Raman" in [c.name for c in await suggester.speakers("priya")]
    (episode, *_) = await suggester.episodes("property testing")
    assert episode.name == "Rewind Radio · #2 · Property-based testing"
    hits = await Searcher(store).search("nasty inputs", filters=SearchFilters(episode=episode.value))
    assert hits and all(h.number == 2 for h in hits)


async def test_suggestions_refresh_after_a_reindex(store: Store, tmp_path: Path) -> None:
    suggester = Suggester(store)
    assert await suggester.shows("") == []
    write(tmp_path / "new-show", "ep-1-start.srt", "1\n00:00:01,000 --> 00:00:02,000\nHello there.\n")
    await index_paths(store, [tmp_path / "new-show"])
    assert [c.name for c in await suggester.shows("")] == ["New Show"]


TITLES = [(1, "Why is Python slow?"), (2, "Episode 45: why do models fail?"), (3, "Episode 46: why do models fail?")]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("why is python slow", (1,)),  # the title without its punctuation is exact
        ("why is pyton slow", (1,)),
        ("models fail", (2, 3)),
        ("no such episode at all", ()),  # one shared word is not a match
    ],
)
def test_a_typed_title_names_the_episodes_it_means(typed: str, meant: tuple[int, ...]) -> None:
    assert sorted(match_names(typed, TITLES)) == list(meant)

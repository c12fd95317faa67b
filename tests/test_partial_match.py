"""A misremembered quote whose one rare word is wrong still finds its line (literal search)."""

import random
from pathlib import Path

import pytest

from bot.ingest.indexer import index_paths
from bot.search.engine import Searcher, candidate_plan
from bot.search.query import parse_query
from bot.search.vocabulary import Vocabulary
from models.search import SegmentFilter
from storage import Store
from storage.fts import match_expression
from tests.conftest import write

COMMON = "why people keep pulling the rope every day because nobody ever told them to stop and so".split()
LINE = "Why people keep pulling the lever is a mystery."


@pytest.fixture
async def searcher(store: Store, tmp_path: Path) -> Searcher:
    """300 lines in which every word of LINE but `lever` is common (in 50+ lines), `handle` rare."""
    rng = random.Random(3)
    lines = [" ".join(rng.sample(COMMON, 9)).capitalize() + "." for _ in range(300)]
    lines[40] = "The handle of the door was broken."
    lines[150] = LINE
    text = "\n".join(f"00:{i // 30:02}:{i * 2 % 60:02} {line}" for i, line in enumerate(lines))
    write(tmp_path / "casts", "ep-1-rope.txt", text)
    await index_paths(store, [tmp_path / "casts"])
    return Searcher(store, embedder=None)


async def test_a_quote_whose_only_rare_word_is_wrong_finds_the_line_without_it(searcher: Searcher) -> None:
    hits = await searcher.search("why people keep pulling the handle")
    # the line first; the rare word's own line after it; lines holding the same common words in
    # another order (scoring 68-70) are under the partial match's floor and not shown
    assert [hit.text for hit in hits] == [LINE, "The handle of the door was broken."]


def test_the_partial_plan_leaves_out_words_in_no_transcript_and_keeps_the_rest_as_phrases() -> None:
    counts = {"people": 20_000, "really": 28_000, "think": 25_000, "this": 29_000, "through": 15_000}
    plan = candidate_plan(parse_query("people really think qzxv this through"), Vocabulary(counts, 1_000_000))
    assert match_expression(plan.precise) == 'NEAR("through" "people" "think" "really", 6)'  # the known words
    assert match_expression(plan.partial) == '"people really think" AND "this through"'


def test_the_partial_plan_leaves_out_the_rarest_word_when_every_word_is_known() -> None:
    counts = {"the": 700_000, "people": 2_000, "keep": 3_000, "pulling": 1_000, "handle": 40}
    plan = candidate_plan(parse_query("people keep pulling the handle"), Vocabulary(counts, 1_000_000))
    assert match_expression(plan.partial) == '"pulling" AND "people" AND "keep"'


def test_the_partial_plan_keeps_to_the_precise_budget() -> None:
    counts = {"the": 700_000, "of": 400_000, "handle": 40}
    assert candidate_plan(parse_query("the handle of the"), Vocabulary(counts, 1_000_000)).partial is None


def timed_lines(lines: list[str]) -> str:
    return "\n".join(f"00:{i // 30:02}:{i * 2 % 60:02} {line}" for i, line in enumerate(lines))


async def test_a_quote_of_words_over_the_near_budget_is_searched_as_its_phrase_not_refused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every word in 40 lines: over the (lowered) budgets, yet under the common share (50 lines)."""
    monkeypatch.setattr("bot.search.engine.RANK_BUDGET", 10)
    monkeypatch.setattr("bot.search.engine.PRECISE_BUDGET", 30)
    rng = random.Random(4)
    words = "were not going to make it home tonight".split()
    lines = [" ".join(rng.sample(words, 8)).capitalize() + f" on day {i}." for i in range(40)]
    lines += [f"Something else entirely, number {i}." for i in range(260)]
    lines[200] = "Honestly we're not going to make it home tonight."
    write(tmp_path / "casts", "ep-1-home.txt", timed_lines(lines))
    await index_paths(store, [tmp_path / "casts"])
    hits = await Searcher(store, embedder=None).search("were not going to make it home")
    assert hits[0].text == lines[200]


async def test_a_phrase_plan_splits_at_a_misspelt_word_and_asks_for_its_spellings(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The typed words in 60 lines (over the lowered NEAR budget), `proof` in 25."""
    monkeypatch.setattr("bot.search.engine.RANK_BUDGET", 10)
    monkeypatch.setattr("bot.search.engine.PRECISE_BUDGET", 40)
    rng = random.Random(5)
    words = "do it with another thats".split()
    lines = [" ".join(rng.sample(words, 5) + ["proof"] * (i < 24)).capitalize() + f" in round {i}." for i in range(60)]
    lines += [f"Nothing to see in line {i}." for i in range(240)]
    lines[100] = "I cannot do it with another, that's proof it didn't work."
    write(tmp_path / "casts", "ep-1-proof.txt", timed_lines(lines))
    await index_paths(store, [tmp_path / "casts"])
    vocabulary = await Searcher(store, embedder=None).vocabulary()
    plan = candidate_plan(parse_query("do it with another thats prooof it"), vocabulary)
    assert plan.precise.phrases == (("do", "it", "with", "another", "thats"),)
    assert plan.precise.groups == (("proof",),)
    found = await store.candidates(plan.precise, SegmentFilter(), 150)
    assert [c.text for c in found] == [lines[100]]  # the phrase with the misspelt word matched nothing

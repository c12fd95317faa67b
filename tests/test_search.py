import asyncio
import contextlib
import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from bot.ingest.indexer import index_paths
from bot.search.engine import (
    FAST_QUOTE_CHARACTERS,
    SHORTLIST,
    QuoteScorer,
    Searcher,
    candidate_plan,
    is_quotable,
    rank,
)
from bot.search.links import deep_link
from bot.search.query import QueryError, parse_query
from bot.search.vocabulary import Vocabulary
from models.episodes import Candidate
from models.search import SearchFilters
from storage import Store
from storage.fts import match_expression
from tests.conftest import SAMPLE, write

SHOW_A = """1
00:00:01,000 --> 00:00:05,000
ANA: The dopamine loop of a slot machine is what keeps people pulling the lever.

2
00:00:06,000 --> 00:00:09,000
BEN: Variable rewards are the secret ingredient of every casino.

3
00:00:10,000 --> 00:00:14,000
ANA: Social media borrowed the trick and put it in your pocket.

4
00:00:40,000 --> 00:00:44,000
BEN: We measured the latency of every request before we touched the cache.
"""


@pytest.fixture
async def searcher(store: Store, tmp_path: Path) -> Searcher:
    folder = tmp_path / "casts"
    write(folder / "alpha", "ep-1-slots.srt", SHOW_A)
    write(
        folder / "alpha",
        "ep-1-slots.meta.yaml",
        "show: Alpha Cast\npublished: 2020-02-15\nurl: https://www.youtube.com/watch?v=abc123\n",
    )
    await index_paths(store, [folder, SAMPLE])
    return Searcher(store)


async def test_an_exact_quote_finds_its_moment_with_a_deep_link(searcher: Searcher) -> None:
    (hit, *_) = await searcher.search("what keeps people pulling the lever")
    assert (hit.show, hit.speaker, hit.start_seconds) == ("Alpha Cast", "Ana", 1.0)
    assert hit.url == "https://www.youtube.com/watch?v=abc123&t=1s"
    assert hit.context_after == "Variable rewards are the secret ingredient of every casino."
    marked = {hit.text[a:b].lower() for a, b in hit.highlights}
    assert {"keeps", "pulling", "lever"} <= marked


@pytest.mark.parametrize(
    "typed",
    [
        "dopamine loop of a slot machnie",  # swapped letters
        "dopamine lop of slot machine",  # dropped letter and a missing word
        "slot machine dopamine loop",  # words out of order
        "THE DOPAMINE LOOP, OF A SLOT-MACHINE!!",  # case and punctuation
        "dopamnie loop slott machine keeps people",  # two misspellings
    ],
)
async def test_misremembered_quotes_still_rank_the_moment_first(searcher: Searcher, typed: str) -> None:
    (hit, *_) = await searcher.search(typed)
    assert hit.start_seconds == 1.0
    assert hit.show == "Alpha Cast"


async def test_a_quote_spanning_two_segments_is_found_at_its_start(searcher: Searcher) -> None:
    (hit, *_) = await searcher.search("the secret ingredient of every casino social media borrowed the trick")
    assert hit.start_seconds == 6.0


@pytest.mark.parametrize(
    "hostile",
    [
        "don't",
        "co-op",
        "C++",
        "50%",
        "what?",
        "e.g.",
        "AND",
        "NOT",
        "OR",
        "NEAR(",
        "-x",
        "col:x",
        '"unbalanced',
        "NEAR(dopamine lever, 2)",
        "text:dopamine",
        "*",
        "dopamine*",
        "^lever",
        "{a b}: c",
        "a\x00b",
        "'; DROP TABLE x;--",
    ],
)
async def test_fts_syntax_in_queries_never_raises(searcher: Searcher, hostile: str) -> None:
    try:
        hits = await searcher.search(hostile)
    except QueryError as error:
        assert str(error)
        return
    assert isinstance(hits, list)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", "!!! ??? ...", '""'])
async def test_blank_queries_get_a_helpful_message(searcher: Searcher, blank: str) -> None:
    with pytest.raises(QueryError, match="Type a few words"):
        await searcher.search(blank)


async def test_five_thousand_characters_of_noise_is_a_clear_error(searcher: Searcher) -> None:
    with pytest.raises(QueryError, match="too long"):
        await searcher.search("x y z " * 900)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
async def test_no_query_text_raises_anything_but_a_query_error(searcher: Searcher, text: str) -> None:
    with contextlib.suppress(QueryError):
        await searcher.search(text)


async def test_filters_narrow_by_show_speaker_episode_and_date(searcher: Searcher) -> None:
    assert await searcher.search("lever", filters=SearchFilters(show="Rewind Radio")) == []
    (hit,) = await searcher.search("release", filters=SearchFilters(show="rewind radio"), limit=1)
    assert hit.show == "Rewind Radio"
    ben = await searcher.search("casino", filters=SearchFilters(speaker="ben"))
    assert [h.speaker for h in ben] == ["Ben"]
    assert await searcher.search("casino", filters=SearchFilters(speaker="ana")) == []
    assert await searcher.search("lever", filters=SearchFilters(after=dt.date(2021, 1, 1))) == []
    (by_episode, *_) = await searcher.search("test", filters=SearchFilters(show="Rewind Radio", episode="2"))
    assert by_episode.number == 2


async def test_filters_can_be_typed_in_the_query(searcher: Searcher) -> None:
    hits = await searcher.search('casino speaker:Ben show:"Alpha Cast" before:2020')
    assert [h.speaker for h in hits] == ["Ben"]
    assert await searcher.search("casino after:2020-03") == []
    with pytest.raises(QueryError, match="not a date"):
        await searcher.search("casino before:someday")


async def test_the_vocabulary_refreshes_after_a_reindex(store: Store, searcher: Searcher, tmp_path: Path) -> None:
    assert "zyzzyva" not in await searcher.vocabulary()
    write(tmp_path / "casts" / "alpha", "ep-2-words.srt", "1\n00:00:01,000 --> 00:00:02,000\nZyzzyva is a word.\n")
    await index_paths(store, [tmp_path / "casts"])
    assert "zyzzyva" in await searcher.refreshed()
    (hit, *_) = await searcher.search("zyzzvya is a word")
    assert hit.text == "Zyzzyva is a word."


async def test_near_duplicate_hits_are_merged(store: Store, tmp_path: Path) -> None:
    line = "The whole point of caching is to never compute the same answer twice."
    srt = "".join(f"{i}\n00:00:{i:02},000 --> 00:00:{i + 1:02},000\n{line}\n\n" for i in range(1, 4))
    write(tmp_path / "a", "ep-1-cache.srt", srt)
    write(tmp_path / "b", "ep-9-rerun.srt", srt)  # a rebroadcast elsewhere
    await index_paths(store, [tmp_path])
    hits = await Searcher(store).search("never compute the same answer twice")
    assert len(hits) == 1


async def test_random_quote_is_a_real_sentence(searcher: Searcher) -> None:
    hit = await searcher.random_quote(rng=random.Random(3))
    assert hit is not None
    assert is_quotable(hit.text)


def test_quotable_lines_exclude_filler_and_sponsor_reads() -> None:
    assert is_quotable("Variable rewards are the secret ingredient of every casino.")
    assert not is_quotable("Yeah, yeah, thank you so much, thanks.")
    assert not is_quotable("This episode is brought to you by our friends at Linode, visit the site.")
    assert not is_quotable("the following is a conversation with Jeremy Howard he's the founder of")


@pytest.mark.parametrize(
    ("url", "seconds", "expected"),
    [
        ("https://www.youtube.com/watch?v=A6M9TsznUjg", 75.9, "https://www.youtube.com/watch?v=A6M9TsznUjg&t=75s"),
        ("https://youtu.be/abc?t=3", 10, "https://youtu.be/abc?t=10s"),
        ("https://example.org/ep1.mp3", 62, "https://example.org/ep1.mp3#t=62"),
        ("https://example.org/ep1.mp3", None, "https://example.org/ep1.mp3"),
        (None, 5, None),
    ],
)
def test_deep_links(url: str | None, seconds: float | None, expected: str | None) -> None:
    assert deep_link(url, seconds) == expected


def test_vocabulary_corrects_one_edit_from_either_end() -> None:
    vocabulary = Vocabulary({"machine": 5, "machines": 2, "dopamine": 3, "lever": 1}, 10)
    assert vocabulary.corrections("machnie")[0] == "machine"
    assert vocabulary.corrections("nachine")[0] == "machine"
    assert vocabulary.corrections("dopamien")[0] == "dopamine"
    assert vocabulary.corrections("zzzzzz") == ()
    assert vocabulary.corrections("lev") == ()  # too short to guess


def test_the_most_frequent_spelling_one_edit_away_comes_first_whatever_the_edit() -> None:
    counts = {"going": 900, "gong": 3, "long": 400, "gone": 200, "goings": 50, "doing": 600, "king": 5}
    vocabulary = Vocabulary(counts, 1_000)
    assert vocabulary.corrections("gonig") == ("going", "gong")  # two letters swapped, or one dropped
    assert vocabulary.corrections("xoing") == ("going", "doing")  # the first letter changed
    assert vocabulary.corrections("goin") == ("going",)  # a letter dropped
    assert vocabulary.corrections("gooing") == ("going",)  # a letter doubled
    assert vocabulary.corrections("gling") == ("going",)  # a letter changed
    assert vocabulary.corrections("lonng") == ("long",)  # the closest before the most frequent (two edits)


def test_corrections_are_the_closest_known_terms_most_frequent_first() -> None:
    rng = random.Random(11)
    letters = "abcdeéz"  # a few letters, so that many terms lie one or two edits apart
    counts = {"".join(rng.choices(letters, k=rng.randint(3, 9))): rng.randint(1, 500) for _ in range(2_000)}
    vocabulary = Vocabulary(counts, 10_000)
    for _ in range(300):
        typed = "".join(rng.choices(letters, k=rng.randint(4, 10)))
        if typed in counts:
            continue
        edits = 1 if len(typed) < 8 else 2
        near = {t: d for t in counts if len(t) > 2 and (d := OSA.distance(typed, t)) <= edits}
        closest = min(near.values(), default=None)
        expected = sorted((t for t, d in near.items() if d == closest), key=lambda t: (-counts[t], t))[:3]
        assert vocabulary.corrections(typed) == tuple(expected), typed


def test_parse_query_keeps_phrases_and_folds_accents() -> None:
    query = parse_query('Café "slot machine" don\'t')
    assert query.words == ("cafe", "slot", "machine", "dont")
    assert query.phrases == (("slot", "machine"),)


def plan_for(text: str, counts: dict[str, int], segments: int = 1_000_000):
    return candidate_plan(parse_query(text), Vocabulary(counts, segments))


def test_plan_ands_the_rare_words_and_leaves_stop_words_out() -> None:
    counts = {"the": 700_000, "of": 400_000, "dopamine": 900, "lever": 1_500, "casino": 2_500}
    plan = plan_for("the dopamine of the lever casino", counts)
    assert match_expression(plan.precise) == '"dopamine" AND "lever" AND "casino"'
    assert (
        match_expression(plan.broad)
        == '("dopamine" AND "lever") OR ("dopamine" AND "casino") OR ("lever" AND "casino")'
    )


COMMON = "and then you know what i mean like so we could actually run that really".split()
SAID = "So we could actually run that and then you know what I mean."


@pytest.fixture
async def common_words(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Searcher:
    """Lines of the same fifteen common words, each in hundreds of rows: a large archive in small,
    with the budgets scaled down to match."""
    monkeypatch.setattr("bot.search.engine.RANK_BUDGET", 20)
    monkeypatch.setattr("bot.search.engine.PRECISE_BUDGET", 50)
    rng = random.Random(3)
    lines = [" ".join(rng.sample(COMMON, 8)).capitalize() + "." for _ in range(400)]
    lines.insert(250, SAID)
    text = "\n".join(f"00:{i // 60 % 60:02}:{i % 60:02} {line}" for i, line in enumerate(lines))
    write(tmp_path / "common", "ep-1-common.txt", text)
    await index_paths(store, [tmp_path / "common"])
    return Searcher(store, embedder=None)


async def test_a_quote_of_only_common_words_is_answered_as_a_phrase(common_words: Searcher) -> None:
    (hit, *_) = await common_words.search("and then you know what i mean")
    assert hit.text == SAID


@pytest.mark.parametrize("typed", ["so we could run that and then you know", "so we could actually that then you know"])
async def test_a_common_quote_with_a_word_dropped_is_found_by_its_words_close_together(
    common_words: Searcher, typed: str
) -> None:
    (hit, *_) = await common_words.search(typed)
    assert hit.text == SAID


@pytest.mark.parametrize("typed", ["and then you knwo what i mean", "so we cuold actually run that and then"])
async def test_a_common_quote_with_a_word_misspelt_is_found_as_the_phrase_spelt_right(
    common_words: Searcher, typed: str
) -> None:
    (hit, *_) = await common_words.search(typed)  # its other words too common to fetch rows by
    assert hit.text == SAID


def test_plan_asks_for_the_rarest_common_words_close_together() -> None:
    counts = {"people": 20_000, "think": 25_000, "really": 28_000, "know": 5_000}
    plan = plan_for("people really think you know", counts)
    assert match_expression(plan.precise) == 'NEAR("know" "people" "think" "really", 5)'


def test_plan_refuses_queries_of_only_very_common_words() -> None:
    with pytest.raises(QueryError, match="too common"):
        plan_for("the of the", {"the": 700_000, "of": 400_000})


def test_plan_reports_words_that_are_in_no_transcript() -> None:
    with pytest.raises(QueryError, match="in any transcript"):
        plan_for("qwxz", {"the": 10})


def test_plan_offers_every_close_spelling_of_a_misspelt_word() -> None:
    plan = plan_for("macine lever", {"machine": 30, "marine": 20, "lever": 10})
    assert match_expression(plan.precise) == '"lever" AND ("machine" OR "marine")'


def test_broad_plan_is_dropped_when_even_the_rarest_word_is_too_costly() -> None:
    assert plan_for("people", {"people": 20_000}).broad is None


async def test_searches_see_another_connections_reindex_once_committed(tmp_path: Path) -> None:
    reader = await Store.open(tmp_path / "r.db")
    writer = await Store.open(tmp_path / "r.db")
    try:
        searcher = Searcher(reader, recheck_seconds=0)
        with pytest.raises(QueryError, match="in any transcript"):
            await searcher.search("zyzzyva")
        write(tmp_path / "casts", "ep-1-words.srt", "1\n00:00:01,000 --> 00:00:02,000\nZyzzyva is a word.\n")
        await index_paths(writer, [tmp_path / "casts"])
        (hit,) = await searcher.search("zyzzyva")
        assert hit.text == "Zyzzyva is a word."
    finally:
        await writer.close()
        await reader.close()


class HeldStore(Store):
    """A store whose vocabulary reads wait until the test lets them through."""

    release: asyncio.Event

    async def vocabulary_snapshot(self) -> tuple[dict[str, int], int]:
        await self.release.wait()
        return await super().vocabulary_snapshot()


async def held_store(path: Path) -> HeldStore:
    store = await HeldStore.open(path)
    store.release = asyncio.Event()
    return store


async def test_the_first_search_after_start_does_not_wait_for_the_vocabulary(tmp_path: Path) -> None:
    write(tmp_path / "casts", "ep-1.srt", "1\n00:00:01,000 --> 00:00:02,000\nThe lever was stuck.\n")
    writer = await Store.open(tmp_path / "r.db")
    await index_paths(writer, [tmp_path / "casts"])
    await writer.close()
    reader = await held_store(tmp_path / "r.db")
    try:
        searcher = Searcher(reader, embedder=None)
        searcher.start()  # as the bot does at start-up; the load is held back until release
        async with asyncio.timeout(60):  # a search that waited for the load would never end
            (hit,) = await searcher.search("lever was stuck")
        assert hit.text == "The lever was stuck."
        assert not reader.release.is_set()
        with pytest.raises(QueryError, match="in any transcript"):  # corrections come with the load
            await searcher.search("levr")
        reader.release.set()
        assert "lever" in await searcher.refreshed()
        (hit,) = await searcher.search("levr")
        assert hit.text == "The lever was stuck."
    finally:
        await reader.close()


async def test_after_a_reindex_the_old_vocabulary_serves_until_the_new_one_is_loaded(tmp_path: Path) -> None:
    reader = await held_store(tmp_path / "r.db")
    writer = await Store.open(tmp_path / "r.db")
    try:
        write(tmp_path / "casts", "ep-1.srt", "1\n00:00:01,000 --> 00:00:02,000\nThe lever was stuck.\n")
        await index_paths(writer, [tmp_path / "casts"])
        searcher = Searcher(reader, recheck_seconds=0, embedder=None)
        reader.release.set()
        old = await searcher.vocabulary()
        reader.release.clear()
        write(tmp_path / "casts", "ep-2.srt", "1\n00:00:01,000 --> 00:00:02,000\nA quokka smiled.\n")
        await index_paths(writer, [tmp_path / "casts"])
        async with asyncio.timeout(60):  # a search that waited for the load would never end
            (hit,) = await searcher.search("lever stuck")  # answered from the old vocabulary...
            assert hit.text == "The lever was stuck."
            (hit,) = await searcher.search("quokka")  # ...and a word only the new one has is counted in the index
        assert hit.text == "A quokka smiled."
        assert await searcher.vocabulary() is old and "quokka" not in old
        reader.release.set()
        assert "quokka" in await searcher.refreshed()
    finally:
        await writer.close()
        await reader.close()


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("who said that thing about dopamine and slot machines", ("dopamine", "and", "slot", "machines")),
        ("What was the bit where someone talked about the secret ingredient", ("secret", "ingredient")),
        ("who said it", ("who", "said", "it")),  # too little left: searched as typed
        ("he said that the lever was stuck", ("he", "said", "that", "the", "lever", "was", "stuck")),
    ],
)
def test_a_question_around_the_quote_is_trimmed(typed: str, words: tuple[str, ...]) -> None:
    assert parse_query(typed).words == words


async def test_a_question_finds_the_moment_it_asks_about(searcher: Searcher) -> None:
    (hit, *_) = await searcher.search("who said that thing about the secret ingredient of every casino")
    assert hit.speaker == "Ben"


ACCENTS_AND_CONTRACTIONS = """1
00:00:01,000 --> 00:00:05,000
ANA: That’s the thing, you don’t rewrite the café’s menu every Thursday.

2
00:00:06,000 --> 00:00:09,000
BEN: Naïve résumé writers aren't reading the job description at all.
"""


@pytest.fixture
async def contractions(store: Store, tmp_path: Path) -> Searcher:
    write(tmp_path / "c", "ep-1-cafe.srt", ACCENTS_AND_CONTRACTIONS)
    await index_paths(store, [tmp_path / "c"])
    return Searcher(store)


async def test_an_exact_accented_quote_scores_full_marks(contractions: Searcher) -> None:
    hits = await contractions.search("Naïve résumé writers aren't reading the job description")
    assert hits[0].text.startswith("Naïve résumé")
    assert hits[0].score == pytest.approx(100, abs=0.5)


@pytest.mark.parametrize(
    "typed",
    [
        "thats the thing you dont rewrite the cafes menu",
        "that's the thing you don't rewrite the cafe's menu",
        "that’s the thing you don’t rewrite the café’s menu",
        "dont rewrite the cafes menu every thursday",
    ],
)
async def test_contractions_match_with_any_apostrophe_or_none(contractions: Searcher, typed: str) -> None:
    hits = await contractions.search(typed)
    assert hits[0].text.startswith("That’s")
    assert hits[0].score >= 95
    spans = [hits[0].text[start:end] for start, end in hits[0].highlights]
    assert "don’t" in spans or "rewrite" in spans


def test_tokens_treat_every_apostrophe_alike() -> None:
    assert parse_query("Don't").words == parse_query("don’t").words == parse_query("dont").words == ("dont",)


VOYAGE = [
    "The harbour pilot said the tide would turn before midnight and the ferry waited.",
    "Nobody on deck believed him because the lanterns were already swinging in the wind.",
    "By dawn the cargo of oranges had drifted halfway to the lighthouse rocks.",
]


async def test_a_thirty_word_quote_spanning_three_segments_is_found(store: Store, tmp_path: Path) -> None:
    lines = [f"Line {i} is about something else entirely, the weather and the tide." for i in range(20)]
    lines[10:10] = VOYAGE
    text = "\n".join(f"00:00:{i * 2:02} {line}" for i, line in enumerate(lines))
    write(tmp_path / "voyage", "ep-1-voyage.txt", text)
    await index_paths(store, [tmp_path / "voyage"])
    words = " ".join(VOYAGE).split()
    quote = " ".join(words[8:38])  # the end of the first line, all of the second, the start of the third
    (hit, *_) = await Searcher(store, embedder=None).search(quote)
    assert hit.text == VOYAGE[1]
    assert hit.score >= 95  # scored against the three lines as one (two of them at a time: 84)


def candidate(segment_id: int, text: str, before: str | None = None, after: str | None = None) -> Candidate:
    return Candidate(
        segment_id,
        1,
        segment_id,
        float(segment_id),
        None,
        text,
        0.0,
        before,
        after,
        None,
        "Episode",
        1,
        None,
        None,
        "x",
    )


COMMON = "so we were talking about the way that people think about it and then you know what happens".split()


def decoy(rng: random.Random) -> str:
    return " ".join(rng.choices(COMMON, k=18))


def test_a_long_quote_finds_its_segment_last_in_bm25_order_among_many_sharing_its_common_words() -> None:
    rng = random.Random(4)
    said = (
        "the rocket engine was tested in the desert for three weeks before anyone trusted it",
        "and the telemetry showed the turbopump spinning far faster than the specification allowed",
        "so the whole team flew back to rebuild the seals",
    )
    decoys = [candidate(i, decoy(rng), decoy(rng), decoy(rng)) for i in range(1, 150)]
    right = candidate(500, said[1], said[0], said[2])
    quote = "engine was tested in the desert for three weeks before anyone trusted it and the telemetry showed the"
    quote += " turbopmup spinning far faster than the specification allowed so the team"  # misspelt, a word dropped
    assert len(quote) > FAST_QUOTE_CHARACTERS and len(decoys) + 1 > SHORTLIST
    query = parse_query(quote)
    vocabulary = Vocabulary({}, 1)
    hits = rank(query, [*decoys, right], vocabulary, 5)
    assert hits[0].segment_id == 500
    assert hits[0].score == pytest.approx(QuoteScorer(quote)(right) - 0.01 * len(decoys))  # as if all were aligned


def test_a_segment_scored_in_an_earlier_stage_keeps_its_place_when_later_stages_add_many() -> None:
    rng = random.Random(5)
    quote = "the rocket engine was tested out in the desert for three weeks before anyone trusted it at all"
    typed = "the rokcet engnie was tsetedd out in the dseert for thr ee weesk before anoyne trusted it at all"
    first = candidate(7, typed)  # as a caption might spell it: few of its words are the quote's own
    scorer, query, vocabulary = QuoteScorer(quote), parse_query(quote), Vocabulary({}, 1)
    assert rank(query, [first], vocabulary, 5, scorer)[0].segment_id == 7
    shuffled = [candidate(i, " ".join(rng.sample(quote.split(), 17))) for i in range(100, 200)]  # every word
    assert rank(query, [first, *shuffled], vocabulary, 5, scorer)[0].segment_id == 7

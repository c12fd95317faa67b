"""Episode summaries: gist, keywords, chapters and quotes from real and written transcripts."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.ingest.chapters import read_chapters
from bot.ingest.indexer import index_paths
from bot.ingest.linking import relink
from bot.ingest.model import ParseError
from bot.onthisday import notes_highlight
from bot.search.engine import Searcher
from bot.semantic.passages import quantize
from bot.summary import NOT_KEYWORDS, EpisodeText, summarize
from bot.summary.gist import (
    OPENING_SECONDS,
    _at_least,
    cold_open,
    expected_counts,
    introduction,
    opening_minutes,
    pick_gist,
)
from bot.summary.meaning import Passage
from bot.summary.method import Weights, gist_candidates, keywords, readable
from bot.summary.sections import _similarity_at_scales, _word_similarity
from bot.summary.service import METHOD_VERSION, Summaries
from bot.summary.units import Unit, is_boilerplate, sponsor_names, tidy, units_of
from storage import Store
from tests.conftest import SHARED, needs_shared, write

BREAD = [
    "A sourdough starter is a living culture of wild yeast and bacteria that leavens the bread.",
    "Feed the sourdough starter with equal weights of flour and water every day to keep the yeast strong.",
    "High hydration dough gives the bread an open crumb, but it is harder to shape before the oven.",
    "Bake the loaf in a preheated Dutch oven so the steam gives the crust its blisters and colour.",
    "Rye flour ferments faster than wheat flour, so the starter rises sooner in a warm kitchen.",
    "Scoring the dough with a sharp blade lets the loaf expand in the oven where you want it to.",
]
CLUSTERS = [
    "Kubernetes schedules containers onto nodes and restarts the pods whenever a container crashes.",
    "A deployment describes how many replicas of each pod the cluster should keep running at once.",
    "Services give the pods a stable address while the deployment replaces containers underneath.",
    "Helm charts package the manifests of a deployment so a whole cluster can be rebuilt quickly.",
    "Autoscaling adds nodes to the cluster when the pods ask for more memory than the nodes can give.",
    "Rolling updates replace the pods of a deployment one container at a time to avoid downtime.",
]


def transcript() -> str:
    """An hour of two topics, with a cold open, a stock intro, a sponsor read and an outro."""
    lines = [
        "Today we compare sourdough bread baking with running Kubernetes clusters, and why both need patience.",
        "Our guest bakes bread at night and runs containers by day.",
        "Welcome to Test Cast, episode 5, the show about hobbies and infrastructure.",
        "This episode is brought to you by Acme Flour, use promo code REWIND for a discount.",
    ]
    lines += [BREAD[i % 6] for i in range(60)] + [CLUSTERS[i % 6] for i in range(60)]
    lines += ["Thanks for listening, and subscribe to Test Cast wherever you get your podcasts."]
    return "\n".join(f"{i // 60:02}:{i % 60:02}:00 {line}" for i, line in enumerate(lines)) + "\n"


@pytest.fixture
async def summarized(store: Store, tmp_path: Path) -> tuple[Store, Summaries, int]:
    write(tmp_path / "show", "test-cast-5.txt", transcript())
    write(tmp_path / "show", "test-cast-5.meta.yaml", "show: Test Cast\nnumber: 5\ntitle: Bread and clusters\n")
    await index_paths(store, [tmp_path / "show"])
    (episode,) = await store.list_episodes()
    return store, Summaries(store, Searcher(store)), episode.id


async def test_gist_opens_with_the_cold_open_and_covers_both_topics(summarized) -> None:
    _, summaries, episode_id = summarized
    made = await summaries.summary(episode_id)
    assert made is not None and made.source == "transcript"
    assert made.gist[0].text.startswith("Today we compare sourdough bread baking")
    assert made.gist[0].start_seconds == 0
    assert 3 <= len(made.gist) <= 5
    later = " ".join(m.text for m in made.gist[2:])
    assert "Kubernetes" in later or "pods" in later or "cluster" in later


async def test_sponsor_reads_intros_and_outros_are_never_picked(summarized) -> None:
    _, summaries, episode_id = summarized
    made = await summaries.summary(episode_id)
    shown = " ".join(m.text for m in (*made.gist, *made.quotes)).casefold()
    for boilerplate in ("promo code", "welcome to test cast", "thanks for listening"):
        assert boilerplate not in shown


async def test_keywords_name_the_topics_not_the_show_or_filler(summarized) -> None:
    _, summaries, episode_id = summarized
    made = await summaries.summary(episode_id)
    words = " ".join(made.keywords)
    assert "sourdough" in words or "starter" in words
    assert "pods" in words or "deployment" in words or "cluster" in words
    assert "test" not in made.keywords and "cast" not in words
    assert len(made.keywords) == len(set(made.keywords)) <= 10


async def test_a_chapter_starts_where_the_topic_changes(summarized) -> None:
    _, summaries, episode_id = summarized
    made = await summaries.summary(episode_id)
    starts = [c.start_seconds for c in made.chapters]
    assert starts == sorted(starts) and starts[0] == 0
    switch = 64 * 60  # the first Kubernetes line
    assert any(abs(s - switch) <= 5 * 60 for s in starts[1:]), starts
    assert all(c.title and len(c.title) <= 100 for c in made.chapters)


async def test_quotes_are_content_sentences_with_times_from_different_chapters(summarized) -> None:
    _, summaries, episode_id = summarized
    made = await summaries.summary(episode_id)
    assert 2 <= len(made.quotes) <= 3
    assert all(q.start_seconds is not None and len(q.text.split()) >= 12 for q in made.quotes)
    assert len({q.text for q in made.quotes}) == len(made.quotes)


async def test_summaries_are_cached_until_the_index_changes(summarized) -> None:
    store, summaries, episode_id = summarized
    first = await summaries.summary(episode_id)
    assert await store.cached_summary(episode_id, METHOD_VERSION) is not None
    assert await summaries.summary(episode_id) == first
    await relink(store)
    assert await store.cached_summary(episode_id, METHOD_VERSION) is None


async def test_an_unknown_episode_has_no_summary(store: Store) -> None:
    assert await Summaries(store, Searcher(store)).summary(12345) is None


def test_an_episode_with_only_show_notes_is_summarized_from_them(tmp_path: Path, capsys) -> None:
    notes = (
        "Beekeepers explain how pollinators help vegetable gardens. We cover hive placement and flowering "
        "plants that feed bees all summer. Pesticides harm the colony and the garden. Swarms are calmer "
        "than they look. Honey is a by-product of a healthy hive. Bienen und Gärten: für die Imker und "
        "die Gärtner ist das ein Thema. Links at https://example.com/bees and www.example.org/hives"
    )
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Notes Only</title>
    <item><title>Gardening with bees</title><pubDate>Tue, 05 Mar 2024 10:00:00 +0000</pubDate>
    <description>{notes}</description></item></channel></rss>"""
    write(tmp_path, "feed.xml", feed)
    db = str(tmp_path / "r.db")
    main(["index", str(tmp_path / "feed.xml"), "--db", db])
    capsys.readouterr()
    assert main(["summary", "Gardening with bees", "--db", db, "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["source"] == "notes"
    assert made["gist"][0]["text"].startswith("Beekeepers explain how pollinators help")
    words = " ".join(made["keywords"]).split()
    assert not {"example", "com", "https", "www", "und", "die", "fur", "das"} & set(words), words


def test_cli_summary_json_has_the_documented_fields(tmp_path: Path, capsys) -> None:
    write(tmp_path / "show", "test-cast-5.txt", transcript())
    db = str(tmp_path / "r.db")
    main(["index", str(tmp_path / "show"), "--db", db])
    capsys.readouterr()
    assert main(["summary", "5", "--db", db, "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert {"episode_id", "gist", "keywords", "chapters", "quotes", "speakers"} <= set(made)
    assert {"text", "start_seconds"} <= set(made["gist"][0])
    assert {"start_seconds", "title"} <= set(made["chapters"][0])
    assert main(["summary", "5", "--db", db]) == 0
    assert "Gist:" in capsys.readouterr().out
    assert main(["summary", "zebra migration", "--db", db]) == 2
    assert "no episode matches" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("So, um, you know, the cache is the problem.", "The cache is the problem."),
        ("Yeah. And the the index grows.", "The index grows."),
        ("It is, uh, fast.", "It is fast."),
        ("I think the starter is, like, really lively, you know, by noon.", "The starter is lively by noon."),
        ("Rye actually just ferments faster, it is totally different.", "Rye ferments faster, it is different."),
        ("I like rye, and grains like spelt are kind of sweet.", "I like rye, and grains like spelt are sweet."),
    ],
)
def test_tidy_removes_spoken_filler(text: str, expected: str) -> None:
    assert tidy(text) == expected


def test_a_sentence_counts_the_words_a_summary_shows() -> None:
    (unit,) = units_of([(0.0, None, None, "I think rye is, like, really just basically faster.")])
    assert unit.words == len("Rye is faster.".split())


def unit(index: int, text: str) -> Unit:
    return Unit(index, text, float(index), None, len(text.split()), ())


def test_fragments_join_their_neighbouring_sentence() -> None:
    shown = readable(
        [unit(0, "What about speed?"), unit(1, "Python is slow at pure computation in loops."), unit(5, "Far away.")]
    )
    assert [text for _, text in shown] == [
        "What about speed? Python is slow at pure computation in loops.",
        "Far away.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "This episode is brought to you by Linode, visit linode.com/talkpython.",
        "Welcome to Talk Python To Me, a weekly podcast on Python.",
        "Thanks for listening, see you next week.",
    ],
)
def test_boilerplate_is_recognised(text: str) -> None:
    (found,) = units_of([(0.0, None, None, text)])
    assert is_boilerplate(found)


@needs_shared
async def test_seeds_are_summarized_in_every_format(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "seeds.db")
    try:
        await index_paths(store, [SHARED / "seeds"], workers=1)
        summaries = Summaries(store, Searcher(store))
        made = [(row.source, await summaries.summary(row.id)) for row in await store.list_episodes()]
    finally:
        await store.close()
    by_seed = {Path(source).name[:3]: summary for source, summary in made}
    assert by_seed["000"].gist[0].text.startswith("It's been an amazing year for Python and data science")
    for seed in ("002", "004"):  # auto-captions without punctuation: sentence-like units all the same
        summary = by_seed[seed]
        assert summary.source == "transcript" and len(summary.chapters) >= 2
        assert all(len(m.text.split()) <= 2 * 45 for m in summary.gist)
    notes_only = [s for _, s in made if s.source == "notes"]
    assert notes_only, "the directory page's episodes are summarized from their show notes"
    assert all(s.gist for _, s in made if s.source != "none")


CHAPTERS = {
    "version": "1.2.0",
    "chapters": [
        {"startTime": 3840, "title": "Running Kubernetes"},
        {"startTime": 0, "title": "Cold open"},
        {"startTime": 240, "title": "Sourdough   starters"},
        {"startTime": 600, "title": "An ad", "toc": False},
        {"startTime": "soon", "title": "broken"},
    ],
}


def test_a_chapters_file_is_read_in_time_order_without_hidden_entries(tmp_path: Path) -> None:
    path = write(tmp_path, "ep.chapters.json", json.dumps(CHAPTERS))
    assert read_chapters(path) == ((0.0, "Cold open"), (240.0, "Sourdough starters"), (3840.0, "Running Kubernetes"))
    for bad in ("not json", json.dumps({"chapters": "x"}), json.dumps({"chapters": [{"title": "no start"}]})):
        with pytest.raises(ParseError, match="chapters file"):
            read_chapters(write(tmp_path, "bad.chapters.json", bad))


async def test_a_chapters_file_beside_the_transcript_gives_the_summary_its_chapters(
    store: Store, tmp_path: Path
) -> None:
    write(tmp_path / "show", "test-cast-5.txt", transcript())
    write(tmp_path / "show", "test-cast-5.chapters.json", json.dumps(CHAPTERS))
    report = await index_paths(store, [tmp_path / "show"])
    assert (report.files, report.indexed, report.rejects) == (1, 1, [])  # the chapters file is no transcript
    (episode,) = await store.list_episodes()
    made = await Summaries(store, Searcher(store)).summary(episode.id)
    assert [(c.start_seconds, c.title) for c in made.chapters] == [
        (0.0, "Cold open"),
        (240.0, "Sourdough starters"),
        (3840.0, "Running Kubernetes"),
    ]
    write(tmp_path / "show", "test-cast-5.chapters.json", json.dumps({"chapters": [{"startTime": 0, "title": "All"}]}))
    assert (await index_paths(store, [tmp_path / "show"])).indexed == 1  # an edited chapters file reindexes
    (episode,) = await store.list_episodes()
    made = await Summaries(store, Searcher(store)).summary(episode.id)
    assert [c.title for c in made.chapters] == ["All"]


async def test_a_broken_chapters_file_is_a_warning_not_a_reject(store: Store, tmp_path: Path) -> None:
    write(tmp_path / "show", "test-cast-5.txt", transcript())
    write(tmp_path / "show", "test-cast-5.chapters.json", "{ broken")
    report = await index_paths(store, [tmp_path / "show"])
    assert (report.indexed, report.rejects) == (1, [])
    (episode,) = await store.list_episodes()
    made = await Summaries(store, Searcher(store)).summary(episode.id)
    assert len(made.chapters) >= 2  # found by topic segmentation instead


def test_an_unfinished_caption_line_ends_with_an_ellipsis() -> None:
    ((_, shown),) = readable([unit(9, "and then the model drifts because nobody retrains it")])
    assert shown == "Then the model drifts because nobody retrains it…"


def test_the_word_model_expects_written_and_title_words_over_speech_markers() -> None:
    units = units_of([(0.0, None, None, "Yeah, so the JIT compiler is the part of the interpreter that I like.")] * 3)
    expected = expected_counts(units, "Inside the JIT compiler")
    assert expected["jit"] > expected["yeah"]
    assert expected["the"] > expected["so"]
    assert expected["compil"] > expected["interpret"]  # the same count, but in the title


@pytest.mark.parametrize("mean", [0.05, 0.7, 3.0])
def test_repeats_of_a_word_are_worth_the_poisson_tail(mean: float) -> None:
    tail = [1 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k)) for k in (1, 2, 3)]
    assert [_at_least(mean, k) for k in (1, 2, 3)] == pytest.approx(tail)
    assert _at_least(mean, 1) > _at_least(mean, 2) > _at_least(mean, 3)


def test_the_gist_skips_questions_and_prefers_the_episodes_subject() -> None:
    lines = [
        "Why would anyone rewrite the interpreter loop of the Python language from scratch today?",
        "Yeah. Maybe next year. Yeah. The conference was cancelled again, which was a shame for everyone.",
        "The interpreter loop of the Python language decides which operation runs next for every byte code.",
    ]
    units = units_of([(float(i), None, None, line) for i, line in enumerate(lines)])
    candidates = gist_candidates(units, frozenset())
    picked = pick_gist(candidates, expected_counts(units, "The interpreter loop"), chapter_starts=[0])
    assert [u.text for u in picked] == [lines[2]]


@pytest.mark.parametrize(
    ("opening", "found"),
    [
        ("This is Test Cast, episode 5, recorded June 1st.", True),
        ("Welcome to the show, everyone listening out there today.", True),
        ("I'll put a link to it in the show notes, of course, for anyone curious.", False),
        ("We just had her on another podcast, on episode 191, talking about it.", False),
    ],
)
def test_a_cold_open_ends_only_at_the_shows_stock_intro(opening: str, found: bool) -> None:
    preview = "Today we compare sourdough bread baking with running Kubernetes clusters, and why both need patience."
    lines = [preview, "Our guest bakes bread at night and runs containers by day.", opening] + BREAD * 5
    assert bool(cold_open(units_of([(float(i), None, None, line) for i, line in enumerate(lines)]))) is found


def test_goodbyes_are_never_keywords_or_labels() -> None:
    lines = ["Thank you so much for the moment, bye, thanks, goodbye.", "Rye sourdough needs rye flour and time."]
    units = units_of([(float(i), None, None, lines[i % 2]) for i in range(8)])
    found = keywords(units, Weights.of(units, lambda word: 1, 1_000), NOT_KEYWORDS)
    assert "rye" in " ".join(found)
    assert not {"thank", "thanks", "bye", "goodbye", "moment"} & {w for k in found for w in k.split()}


def test_a_key_phrase_is_spelled_as_it_was_said() -> None:
    line = "Deep learning models need labelled data, and deep learning needs a super interesting amount of it."
    units = units_of([(float(i), None, None, line) for i in range(4)])
    found = keywords(units, Weights.of(units, lambda word: 1, 1_000), NOT_KEYWORDS)
    assert "deep learning" in found
    assert not {"deep learn", "super", "interesting", "super interesting"} & set(found)


def test_the_hosts_intro_leads_the_gist_when_it_comes_after_a_guests_clip() -> None:
    rows = [
        (0.0, None, "Guest", "Mempools are where unconfirmed transactions wait for a miner to pick them up."),
        (20.0, None, "Host", "Welcome to the Test Cast podcast, everyone."),
        (30.0, None, "Host", "Today we're talking to Ada about package relay and how fees bump a child."),
        (40.0, None, "Host", "The weather here has been lovely all week."),
        *[(60.0 + i, None, "Guest", BREAD[i % 6]) for i in range(30)],
    ]
    gist = [m.text for m in summarize_rows(rows, "Package relay").gist]
    assert gist[0].startswith("Today we're talking to Ada about package relay")
    assert not any("Welcome" in text or "weather" in text for text in gist)


def test_a_spoken_intro_after_a_sponsor_read_leads_the_gist_though_the_title_names_nothing() -> None:
    rows = [
        (0.0, None, None, "This show is presented by Quillbox, the notebook app for bakers."),
        (40.0, None, None, "Quillbox keeps every recipe in one place."),
        (90.0, None, None, "The following is a conversation with Ada Brightwater."),
        (95.0, None, None, "She's a baker in Leeds who writes about the chemistry of rye sourdough starters."),
        (100.0, None, None, "Her book on wild yeast came out last spring."),
        (105.0, None, None, "If you enjoy this, subscribe and leave a review."),
        (110.0, None, None, "The weather here has been lovely all week."),
        *[(120.0 + i * 20, None, None, line) for i, line in enumerate(BREAD * 8 + CLUSTERS * 8)],
    ]
    gist = [m.text for m in summarize_rows(rows, "Episode 7").gist]
    assert gist[:3] == [
        "The following is a conversation with Ada Brightwater.",
        "She's a baker in Leeds who writes about the chemistry of rye sourdough starters.",
        "Her book on wild yeast came out last spring.",
    ]
    assert not any(word in " ".join(gist) for word in ("Quillbox", "subscribe", "weather"))


def test_the_rest_of_the_hosts_welcoming_turn_is_the_intro() -> None:
    rows = [
        (0.0, None, "Host", "Welcome to Test Cast."),
        (5.0, None, "Host", "Ada Brightwater joins us from the Leeds relay lab this week."),
        (8.0, None, "Host", "She explains package relay, and how a child transaction bumps its parent's fee."),
        (10.0, None, "Guest", "Thanks for having me."),
        *[(20.0 + i * 20, None, "Guest", line) for i, line in enumerate(BREAD * 8 + CLUSTERS * 8)],
    ]
    gist = [m.text for m in summarize_rows(rows, "Relay lab").gist]
    assert gist[:2] == [
        "Ada Brightwater joins us from the Leeds relay lab this week.",
        "She explains package relay, and how a child transaction bumps its parent's fee.",
    ]


def test_the_introduction_names_the_subject_and_the_speakers_in_the_fewest_words() -> None:
    lines = [
        "Hey Grace, hey Alan.",  # names both, but too short to say anything
        "Grace, what got you into compilers in the first place?",  # a question: the host's prompt
        "It has been a long week here in the studio, with the heating broken and rain on the windows.",
        "We have Grace Hopper here, who wrote the first compiler, and Alan, who asks what compilers are for.",
        "Grace and Alan met at a conference about compilers years ago, long before either of them wrote one.",
        "Compilers turn source code into machine code.",
    ]
    units = units_of([(float(i * 10), None, "Host", line) for i, line in enumerate(lines)])
    chosen = introduction(units, "Compilers", ("Grace Hopper", "Alan Turing"))
    assert [u.text for u in chosen] == [lines[3]]  # the next ones name nothing new
    late = units_of([(float(OPENING_SECONDS + 60), None, "Host", lines[3])])
    assert introduction(opening_minutes([*units, *late]), "Compilers", ()) == introduction(units, "Compilers", ())


@pytest.mark.parametrize(
    "intro",
    [
        "The following is a conversation with Ada Lovelace, a mathematician who wrote the first program.",
        "I'm sitting here with Ada and I'm gonna talk to her about the analytical engine and its programs.",
    ],
)
def test_a_spoken_intro_without_a_stock_line_leads_the_gist(intro: str) -> None:
    rows = [(0.0, None, None, "Hi everyone."), (5.0, None, None, intro)]
    rows += [(10.0 + i * 30, None, None, BREAD[i % 6]) for i in range(30)]
    assert summarize_rows(rows, "Ada").gist[0].text == intro


def test_quotes_and_gist_never_point_back_end_mid_sentence_or_prompt_the_guest() -> None:
    back = [
        "That's why the starter needs feeding with flour and water every single day of the week.",
        "He said the sourdough starter was older than the bakery itself and the oven too.",
        "Tell us about the sourdough starter you keep in the bakery and feed with rye flour.",
        "the sourdough starter lives on the counter and the yeast eats the flour while we sleep",
    ]
    rows = [(i * 30.0, None, None, text) for i, text in enumerate([*back, *BREAD * 5, *CLUSTERS * 5])]
    made = summarize_rows(rows, "Sourdough starter")
    shown = [m.text for m in (*made.gist, *made.quotes)]
    assert made.quotes
    assert not any(text.startswith(("That's", "He said", "Tell us", "The sourdough starter lives")) for text in shown)
    assert all(text.endswith((".", "!", "?")) for text in (m.text for m in made.quotes))


def test_sponsor_names_the_transcript_gives_stay_out_of_every_part_of_the_summary() -> None:
    read = [
        "This episode is brought to you by Crumbly and Kubera.",
        "Crumbly flour makes the sourdough starter rise, and Kubera hosts the Kubernetes clusters for you.",
        "Crumbly flour is milled fresh, so Crumbly flour loaves taste of Crumbly flour.",
    ]
    rows = [(i * 30.0, None, None, text) for i, text in enumerate([*read * 3, *BREAD * 6, *CLUSTERS * 6])]
    made = summarize_rows(rows, "Bread and clusters")
    assert sponsor_names(units_of([(None, None, None, read[0])])) == {"crumbly", "kubera"}
    shown = " ".join([*(m.text for m in (*made.gist, *made.quotes)), *made.keywords, *(c.title for c in made.chapters)])
    assert made.gist and made.keywords
    assert "crumbly" not in shown.casefold() and "kubera" not in shown.casefold()


def test_every_way_a_transcript_names_its_sponsor_keeps_the_name_out_of_the_summary() -> None:
    reads = [
        "For the first time, this show is presented by Quillbox, the notebook app for bakers.",
        "Support for this podcast comes from Ferrotap, and this episode is supported by Lumenhive.",
    ]
    said = [
        "Quillbox keeps your sourdough starter notes, and Ferrotap taps the Kubernetes clusters for you.",
        "Lumenhive lights the proofing room so the sourdough starter rises evenly on the bench.",
    ]
    rows = [(i * 30.0, None, None, text) for i, text in enumerate([*reads, *said * 3, *BREAD * 6, *CLUSTERS * 6])]
    made = summarize_rows(rows, "Bread and clusters")
    assert sponsor_names(units_of([(None, None, None, " ".join(reads))])) == {"quillbox", "ferrotap", "lumenhive"}
    shown = " ".join([*(m.text for m in (*made.gist, *made.quotes)), *made.keywords, *(c.title for c in made.chapters)])
    assert made.gist and made.keywords and made.quotes
    assert not {"quillbox", "ferrotap", "lumenhive"} & set(shown.casefold().replace(",", " ").split())


def test_supported_by_alone_names_no_sponsor() -> None:
    line = "Async views are supported by Django now, and the episode is about them."
    assert sponsor_names(units_of([(None, None, None, line)])) == frozenset()
    assert not is_boilerplate(units_of([(None, None, None, line)])[0])


def test_quotes_are_never_the_hosts_preview_or_an_ad_for_the_show() -> None:
    preview = [
        "You'll meet Ada, whose sourdough starter bread uses rye flour, wild yeast and a sourdough starter.",
        "Join Ada and me to hear why rye flour and wheat flour feed the sourdough starter yeast and bread dough.",
    ]
    ads = [
        "Go to testcast.fm, click on friends of the show, win sourdough starter flour, bread flour and yeast.",
        "Try my sourdough starter course at testcast.fm slash bread, with rye flour, yeast and the bread dough.",
    ]
    rows = [
        *[(i * 10.0, None, None, line) for i, line in enumerate(preview)],
        (30.0, None, None, "This is Test Cast, episode 12, recorded in May."),
        *[(60.0 + i * 20, None, None, line) for i, line in enumerate([*ads, *["Right, sure."] * 30])],
        *[(700.0 + i * 20, None, None, line) for i, line in enumerate([*BREAD * 6, *CLUSTERS * 6])],
    ]
    made = summarize_rows(rows, "Rye sourdough")
    assert made.gist[0].text == preview[0]  # the preview is the gist
    quotes = [m.text for m in made.quotes]
    assert quotes and not set(quotes) & {*preview, *ads}
    assert not any("friends of the show" in q or "course" in q for q in quotes)


def summarize_rows(rows: list[tuple[float | None, float | None, str | None, str]], title: str):
    text = EpisodeText(1, "Test Cast", 1, title, None, None, None, (), None, rows)
    return summarize(text, lambda word: 1, 1000)


def test_show_notes_are_the_gist_and_the_transcript_gives_the_rest() -> None:
    notes = "Two bakers explain sourdough starters and why rye flour ferments faster. Links: example.com"
    rows = [(i * 30.0, None, None, text) for i, text in enumerate([*BREAD * 6, *CLUSTERS * 6])]
    text = EpisodeText(1, "Test Cast", 1, "Bread", None, None, None, (), notes, rows)
    made = summarize(text, lambda word: 1, 1000)
    assert made.source == "transcript"
    assert made.gist[0].text.startswith("Two bakers explain sourdough starters") and made.gist[0].start_seconds is None
    assert made.quotes and all(q.start_seconds is not None for q in made.quotes)
    assert len(made.chapters) >= 2 and {"cluster", "sourdough starter"} & set(made.keywords)


def test_a_notes_only_episode_gets_a_highlight_from_its_notes_in_the_daily_post() -> None:
    notes = (
        "Two beekeepers explain how pollinators help vegetable gardens grow. "
        "Hives placed near flowering plants feed the bees all summer long. Subscribe to the show."
    )
    text = EpisodeText(1, "Test Cast", 1, "Bees", None, None, None, (), notes, [(None, None, None, notes)])
    made = summarize(text, lambda word: 1, 1000)
    assert made.source == "notes" and not made.quotes
    highlight = notes_highlight(made)
    assert highlight is not None
    assert highlight.text == "Hives placed near flowering plants feed the bees all summer long."


async def test_a_transcripts_own_section_headings_are_its_chapters(store: Store, tmp_path: Path) -> None:
    turns = [
        "---",
        "title: Bread and clusters",
        "---",
        "## Introduction",
        "",
        "Ada Byron: 00:00:05",
        "",
        "Hello there.",
    ]
    turns += ["", "## Sourdough starters", ""]
    turns += [f"Carl Dough: 00:{1 + i:02}:00\n\n{BREAD[i % 6]}\n" for i in range(12)]
    turns += ["## Running Kubernetes", ""]
    turns += [f"Ada Byron: 00:{20 + i:02}:30\n\n{CLUSTERS[i % 6]}\n" for i in range(12)]
    write(tmp_path / "show", "bread.md", "\n".join(turns))
    await index_paths(store, [tmp_path / "show"])
    (episode,) = await store.list_episodes()
    made = await Summaries(store, Searcher(store)).summary(episode.id)
    assert [(c.start_seconds, c.title) for c in made.chapters] == [
        (5.0, "Introduction"),
        (60.0, "Sourdough starters"),
        (1230.0, "Running Kubernetes"),
    ]
    assert not any(m.text.startswith("##") for m in (*made.gist, *made.quotes))


def test_chapter_labels_are_short_phrases_or_the_opening_question_and_differ_from_their_neighbours() -> None:
    asked = "What does a Kubernetes deployment do for the pods?"
    lines = [*BREAD * 10, asked, *CLUSTERS * 10]
    rows = [(i * 30.0, None, "Ada" if text == asked else "Carl", text) for i, text in enumerate(lines)]
    made = summarize_rows(rows, "Bread and clusters")
    titles = [c.title for c in made.chapters]
    assert len(titles) >= 2 and asked in titles, titles
    assert all(len(t.split()) <= 3 or t.endswith("?") for t in titles), titles
    for before, after in itertools.pairwise(titles):
        assert not set(before.casefold().split()) & set(after.casefold().split()), titles


def test_a_number_names_the_episode_number_and_id_n_names_the_id(tmp_path: Path, capsys) -> None:
    write(tmp_path / "one", "test-cast-5.txt", transcript())
    write(tmp_path / "two", "other-cast-5.txt", transcript())
    db = str(tmp_path / "r.db")
    main(["index", str(tmp_path / "one"), str(tmp_path / "two"), "--db", db])
    capsys.readouterr()
    assert main(["summary", "#5", "--db", db]) == 2  # two shows have an episode 5
    err = capsys.readouterr().err
    assert "names 2 episodes; pick one as id:N" in err
    assert main(["episodes", "--db", db, "--json"]) == 0
    ids = [episode["id"] for episode in json.loads(capsys.readouterr().out)]
    assert main(["summary", f"id:{ids[1]}", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["episode_id"] == ids[1]


def concept(axis: int) -> bytes:
    """An int8 passage vector pointing along one axis (a topic), with a little in common with all."""
    vector = np.full(384, 0.02, dtype=np.float32)
    vector[axis] = 1.0
    return quantize(vector / np.linalg.norm(vector)).tobytes()


NEUTRAL = [
    "We went back and forth on that for quite a while before we settled on something.",
    "There were a few details we had to check first, and then the rest followed from there.",
    "Honestly the hardest part was deciding where to begin, once we began it went quickly.",
]


def segments_passage(first: int, size: int, switch: int) -> Passage:
    """A passage over `size` segments whose own vectors change topic at segment `switch`."""
    own = b"".join(concept(1 if i < switch else 2) for i in range(first, first + size))
    return Passage(first, first + size - 1, concept(1 if first + size // 2 < switch else 2), own)


@pytest.mark.parametrize(
    "passages",
    [
        tuple(Passage(i, i + 1, concept(1 if i < 30 else 2)) for i in range(0, 48, 2)),  # passage vectors only
        tuple(segments_passage(i, 4, 30) for i in range(0, 48, 4)),  # the change inside a passage (28-31)
    ],
)
def test_chapters_start_where_the_stored_vectors_change_topic_even_when_the_words_do_not(passages) -> None:
    rows = [(i * 10.0, None, "Ada" if i % 2 else "Carl", NEUTRAL[i % 3]) for i in range(48)]
    text = EpisodeText(1, None, None, "Somewhere to begin", None, None, None, (), None, rows, passages=passages)
    made = summarize(text, lambda word: 1, 1000)
    assert [c.start_seconds for c in made.chapters] == [0.0, 300.0]


def test_with_vectors_the_gist_passes_over_a_sentence_that_says_again_what_it_already_says() -> None:
    lines = [  # as many content words each, none shared: the word model cannot tell them apart
        "Compilers translate source programs into machine instructions.",
        "Interpreters convert written code into processor operations.",
        "Gardeners plant tomatoes after frost leaves spring.",
        "Orchards attract bees into blossoms opening early.",
    ]
    units = units_of([(float(i), None, None, line) for i, line in enumerate(lines)])
    expected = {s: 1.0 for u in units for s in u.stems}
    vectors = np.zeros((4, 384), dtype=np.float32)
    vectors[[0, 1], 1] = 1.0  # the first two say one thing, the last two another
    vectors[[2, 3], 2] = 1.0
    budget = units[0].words + units[1].words
    by_words = pick_gist(units, expected, chapter_starts=[0, 1, 2, 3], budget=budget)
    by_meaning = pick_gist(units, expected, chapter_starts=[0, 1, 2, 3], budget=budget, vectors=vectors)
    assert [u.index for u in by_words] == [0, 1]
    assert [u.index for u in by_meaning] == [0, 2]


def test_with_vectors_the_gist_leans_to_what_the_sentences_naming_the_title_are_about() -> None:
    lines = [  # as many content words each, none shared: the word model cannot tell them apart
        "Why do compilers matter to programmers?",  # names the title; a question, so never picked
        "Interpreters convert written code into processor operations.",
        "Gardeners plant tomatoes after frost leaves spring.",
        "Orchards attract bees into blossoms opening early.",
        "Farmers harvest pumpkins before autumn storms arrive.",
    ]
    units = units_of([(float(i), None, None, line) for i, line in enumerate(lines)])
    expected = {s: 1.0 for u in units for s in u.stems}
    vectors = np.zeros((5, 384), dtype=np.float32)
    vectors[[0, 1], 1] = 1.0  # the question and the next line say one thing, the three others another
    vectors[[2, 3, 4], 2] = 1.0
    budget = units[1].words

    def picked(title: str) -> list[int]:
        chosen = pick_gist(units, expected, chapter_starts=[0], budget=budget, vectors=vectors, title=title)
        return [u.index for u in chosen]

    assert picked("") == [2]  # nearest the episode's mean: the garden
    assert picked("Compilers") == [1]


def test_window_similarity_at_several_scales_dips_deepest_at_the_topic_change() -> None:
    vectors = np.zeros((60, 8), dtype=np.float32)
    vectors[:25, 1] = vectors[25:, 2] = 1.0
    vectors[::7, 3] = 0.5  # a little noise common to both topics
    values = _similarity_at_scales(vectors, window=6)
    assert len(values) == 60 - 2 * 6 + 1  # one value a gap, from the window to the end less the window
    assert 6 + int(np.argmin(values)) == 25
    assert values[0] > 0.9 and values[-1] > 0.9  # far from the change every window sees one topic


def test_sliding_word_windows_give_the_cosine_of_each_gaps_own_windows() -> None:
    units = units_of([(float(i), None, None, line) for i, line in enumerate([*BREAD, *CLUSTERS, *BREAD[:3]])])

    def cosine(a: Counter[str], b: Counter[str]) -> float:
        dot = sum(count * b[term] for term, count in a.items())
        return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))

    def bag(part: list[Unit]) -> Counter[str]:
        return Counter(s for u in part for s in u.stems)

    direct = [cosine(bag(units[gap - 4 : gap]), bag(units[gap : gap + 4])) for gap in range(4, len(units) - 3)]
    assert _word_similarity(units, 4) == pytest.approx(direct)


def test_keywords_are_the_same_whatever_the_hash_seed() -> None:
    script = (
        "from bot.summary.method import Weights, keywords; from bot.summary.units import units_of\n"
        "words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima'.split()\n"
        "pairs = enumerate(zip(words, words[1:]))\n"
        "units = units_of([(float(i), None, None, f'{a} and {b}.') for i, (a, b) in pairs])\n"
        "units = units * 2\n"
        "print(keywords(units, Weights.of(units, lambda word: 1, 1000), frozenset(), limit=3))\n"
    )
    found = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        ).stdout
        for seed in range(6)
    }
    assert len(found) == 1

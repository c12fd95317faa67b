"""Properties over generated hostile input: bounded query work, and output that never pings or formats."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import render
from bot.search.engine import BROAD_BUDGET, PRECISE_BUDGET, Hit, candidate_plan, term_group
from bot.search.query import QueryError, parse_query
from bot.search.vocabulary import Vocabulary
from storage.fts import match_expression

# A large index's vocabulary: Zipf-like counts over a million segments, common words first.
COMMON = "the and to of a i you that it in is was we so like for this but on with".split()
RARE = [f"{stem}{suffix}" for stem in ("lever", "gear", "quokka", "dopamine", "casino") for suffix in ("", "s", "ing")]
COUNTS = {word: 900_000 // (rank + 1) for rank, word in enumerate(COMMON + RARE)}
VOCABULARY = Vocabulary(COUNTS, 1_000_000)
FTS_SYNTAX = ['"', "(", ")", "*", "^", ":", "-", "+", "AND", "OR", "NOT", "NEAR", "NEAR(", "{", "}", "'", "\\"]
WORKING_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")
MARKDOWN = set("*_~`|>#[]()-\\")

queries = st.lists(
    st.one_of(
        st.sampled_from(COMMON + RARE + FTS_SYNTAX),
        st.sampled_from(RARE).map(lambda w: w[:-1] + "x"),  # a typo
        st.text(max_size=12),
    ),
    min_size=1,
    max_size=30,
).map(" ".join)


def cost(expression: str) -> int:
    """Postings an FTS5 expression walks, by the cost model the plan promises: an OR sums its
    branches, an AND costs its rarest branch, a phrase or a NEAR group its rarest word."""
    total, rest = _or(expression.strip())
    assert rest == "", f"unparsed: {rest!r}"
    return total


def _or(text: str) -> tuple[int, str]:
    total, text = _and(text)
    while text.startswith(" OR "):
        more, text = _and(text[4:])
        total += more
    return total, text


def _and(text: str) -> tuple[int, str]:
    least, text = _atom(text)
    while text.startswith(" AND "):
        more, text = _atom(text[5:])
        least = min(least, more)
    return least, text


def _atom(text: str) -> tuple[int, str]:
    if text.startswith("NEAR("):
        least, rest = _atom(text[5:])
        while rest.startswith(' "'):
            more, rest = _atom(rest[1:])
            least = min(least, more)
        end = re.match(r", \d+\)", rest)
        assert end, f"not a NEAR group: {rest!r}"
        return least, rest[end.end() :]
    if text.startswith("("):
        inner, rest = _or(text[1:])
        assert rest.startswith(")"), rest
        return inner, rest[1:]
    match = re.match(r'"((?:[^"]|"")*)"', text)
    assert match, f"not a quoted term: {text!r}"
    words = match.group(1).replace('""', '"').split()
    return min(VOCABULARY.documents(w) for w in words), text[match.end() :]


def known_runs(words: Sequence[str]) -> list[tuple[str, ...]]:
    """The runs of two or more indexed words, split at a word in no transcript."""
    runs = (tuple(run) for known, run in itertools.groupby(words, VOCABULARY.__contains__) if known)
    return [run for run in runs if len(run) > 1]


@settings(max_examples=500, deadline=None)
@given(queries)
@example("the levering leverinx")  # the correction of the misspelt word is typed too
def test_every_plan_stays_within_its_budgets_or_is_refused(text: str) -> None:
    try:
        plan = candidate_plan(parse_query(text), VOCABULARY)
    except QueryError:
        return
    query = parse_query(text)
    if cost(match_expression(plan.precise)) > PRECISE_BUDGET:  # a quote of common words: its phrase first...
        # ...each misspelt word spelt as its likeliest correction
        spelled = [w if w in VOCABULARY else next(iter(term_group(w, VOCABULARY)), w) for w in query.words]
        # ...or, when every word is typed right or its correction is typed too ("the lever levr"), as typed
        possible = [known_runs(spelled), known_runs(query.words)]
        phrases = list(plan.precise.phrases)
        assert len(query.words) >= 3 and any(runs and phrases[: len(runs)] == runs for runs in possible)
    if plan.broad is not None and cost(match_expression(plan.broad)) > BROAD_BUDGET:  # ...then its words near
        assert len(query.words) >= 3 and plan.broad.near


hostile_text = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.sampled_from(["@everyone", "@here", "<@", "<@&", "<#", ">", "**", "__", "`", "```", "||", "~~", "\\"])
        | st.from_regex(r"<@[!&]?\d{17,19}>", fullmatch=True)
        | st.text(alphabet="@<>&!#*_~`|\\ -()[]0123456789everyonhr", max_size=20),
        max_size=20,
    ).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(hostile_text)
def test_escaped_text_has_no_working_mention_and_no_live_markdown(text: str) -> None:
    shown = render.escape(text)
    assert not WORKING_MENTION.search(shown)
    assert not MARKDOWN & set(re.sub(r"\\.", "", shown, flags=re.DOTALL))


@settings(max_examples=200, deadline=None)
@given(hostile_text, hostile_text, hostile_text)
def test_a_hit_from_a_hostile_transcript_renders_inert(text: str, speaker: str, context: str) -> None:
    hit = Hit(
        1, 2, context, speaker or "x", 3, None, 61.0, speaker or None, text or "x", context, context, None, "s", 9
    )
    for shown in (render.quote_description(hit), render.hit_title(hit)):
        assert not WORKING_MENTION.search(shown)
        assert len(shown) <= render.EMBED_DESCRIPTION_LIMIT

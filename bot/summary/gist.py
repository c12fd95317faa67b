"""The gist: the host's own preview when there is one, else the sentences of the first minutes that
name the guests and the subject of the title, then, one per chapter, the sentences whose words a
written summary of the episode would most likely use.

Leading with the opening minutes is measured on the 20 Chaincode episodes with a human summary
(`bench/summary_eval.py`): content-word ROUGE-1 14.9 -> 21.6, and above the first 120 words on
each half of them (20.4 against 14.0, 22.9 against 18.0).

A written summary's words are predicted from the transcript alone: each word's expected count in
show notes is exp(COEFFICIENTS · features), the features being how often the episode says it, how
widely it is spread over the episode, whether the title has it, and whether it is a function word
of written prose or a marker of speech. The coefficients are a Poisson regression of 26 Talk Python
show notes' word counts on those features (`bench/fit_gist_model.py`, which also scores the method
with each episode's notes left out of the fit). Sentences are then added while they raise the
expected ROUGE-1 F1 of the gist, a word's later repeats being worth less: notes say "the" often,
"Cython" once or twice.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.summary.units import Unit, chapter_of, is_boilerplate, is_content, names_any, stem
from models.text import tokens

GIST_WORDS = 120
GIST_SLACK = 15  # a last sentence may run this far past GIST_WORDS
MOST_SENTENCES = 8
NOTES_WORDS = 100  # the length of the written summary the gist is measured against
NOTES_CONTENT_WORDS = 50  # of which content words
CONTENT_WEIGHT = 1.0  # content words count as much again: they say what the episode is about
COLD_OPEN_SHARE = 0.1  # a cold open ends before the show's stock intro, within this share of the episode
COLD_OPEN_PRECISION = 0.8  # share of a cold open's words in the notes (measured: lead-120 scores R1 79)
WRITTEN = frozenset(
    stem(w) for w in "the of and to a an in is for with as by on from that this which are its can how".split()
)
SPOKEN = frozenset(
    stem(w)
    for w in """yeah yep um uh oh okay ok like so right know think really just actually kind sort stuff gonna
    i my me mean guess pretty cool awesome whatever basically literally totally definitely""".split()
)
STOCK_INTRO = re.compile(
    r"\b(?:this is|welcome (?:back )?to|you'?re listening to|this (?:conversation|episode) is part of)\b"
    r"[^.?!]{0,60}\b(?:episode|podcast|show)\b"
    r"|\bi'?m your host\b",
    re.IGNORECASE,
)
OPENING_SECONDS = 180  # the host says who is on and what about in the first minutes
HOST_INTRO_SECONDS = 300  # a host's spoken intro may follow a sponsor read: looked for this far in
HOST_INTRO = re.compile(  # how a host says who is on and what about
    r"\b(?:the following is (?:a|my|our) (?:conversation|interview|discussion) with"
    r"|(?:today|tonight|this week|this time|on (?:this|today'?s) (?:episode|show)|in this episode),? (?:we'?re|we are|"
    r"i'?m|i am|we'?ll|i'?ll|we|i) (?:be |going to |gonna )?(?:talk|speak|chat|sit down|dive|jump)(?:ing)? "
    r"(?:to|with|about|into)"
    r"|(?:we'?re|we are|i'?m|i am) (?:going to |gonna )?(?:talk|speak|chat)(?:ing)? (?:to|with) [^.?!]{1,40}\babout"
    r"|(?:today|this week),? (?:we have|we'?ve got|i have|i'?ve got|(?:we'?re|i'?m) joined by)"
    r"|(?:my|our) guests? (?:today |this week |on (?:this|the) (?:episode|show) )?(?:is|are)"
    r"|joining (?:me|us) (?:today |this week |now )?(?:is|are)"
    r"|i(?:'ve| have)? (?:gotten|got|had) the (?:chance|pleasure|opportunity) to (?:sit down|talk|speak) with)\b",
    re.IGNORECASE,
)
GUEST_PRONOUNS = frozenset("he hes she shes his her him hers they theyre their them".split())
WELCOME = re.compile(r"^(?:hi|hello|hey)?[ ,]*(?:and )?welcome (?:back )?to\b", re.IGNORECASE)
INTRO_ENDS = re.compile(
    r"\b(?:and now,? here'?s|here'?s my conversation|without further ado|let'?s get (?:into|started))", re.IGNORECASE
)
INTRO_SHORTEST = 5  # words: "Hey, Murch." names a speaker but says nothing
# Maximal marginal relevance: a sentence's relevance is its similarity to the episode's mean vector
# and to the mean of the sentences naming the title's words (the title as a query, with no model),
# less its similarity to the sentences chosen; the word model's weight beside it. Measured in
# bench/summary_eval.py: meaning alone, or equal weights, lose ROUGE; the title as a query adds
# 0.8 ROUGE-1 and 0.8 content-word ROUGE-1 to body-only Talk Python gists (on each half of them).
CENTRAL_WEIGHT, TITLE_WEIGHT, REPEAT_WEIGHT = 0.5, 0.5, 0.3
WORDS_WEIGHT = 3.0
# Fitted by bench/fit_gist_model.py; the order is that of `word_features`.
COEFFICIENTS = (-0.03, 0.44, -0.15, 0.43, 0.75, -0.66, 0.37)


def cold_open(units: Sequence[Unit]) -> list[Unit]:
    """The host's own preview of the episode: what is said before the show's stock intro
    ("This is Talk Python to Me, episode 91"), when that intro comes early; else nothing."""
    early = units[: max(1, int(len(units) * COLD_OPEN_SHARE))]
    intro = next((u.index for u in early if STOCK_INTRO.search(u.text)), None)
    if intro is None or intro < 2:
        return []
    opening = list(units[:intro])
    return opening if sum(u.words for u in opening) >= 25 else []


def host_intro(
    units: Sequence[Unit],
    title: str,
    speakers: Sequence[str],
    show: frozenset[str],
    sponsors: frozenset[str],
    budget: int = GIST_WORDS,
) -> list[Unit]:
    """The host's spoken intro ("The following is a conversation with...", "Today we're talking to
    Ada about package relay", the rest of the turn after "Welcome to..."), found anywhere in the
    first minutes: from that sentence on, the same speaker's sentences while they go on about the
    guest or the subject (a pronoun for the guest, a word of the intro so far, of the `title` or
    of the `speakers`' names; the welcoming turn's first sentence must name the title or a speaker),
    until a question, housekeeping, a sponsor read or "here's my conversation with"; else nothing.
    The intro's own sentence is kept though it says "welcome to" too, unless it names a sponsor."""
    named = {stem(w) for text in (title, *speakers) for w in tokens(text) if is_content(w)}
    early = [u for u in units if u.start is not None and u.start <= HOST_INTRO_SECONDS]
    if all(u.start is None for u in units):
        early = list(units[: max(1, len(units) // 20)])
    for welcoming in (False, True):  # a spoken intro anywhere first, then a welcoming turn
        for position, unit in enumerate(early):
            if not welcoming and HOST_INTRO.search(unit.text) and not names_any(unit, sponsors):
                kept = [unit]
                about = named | set(unit.stems)
            elif welcoming and WELCOME.search(unit.text) and _same_turn(early, position):
                kept, about = [], set(named)  # the rest of the welcoming turn, from a sentence naming the subject
            else:
                continue
            for later in early[position + 1 :]:
                if (
                    later.speaker != unit.speaker
                    or later.is_question
                    or INTRO_ENDS.search(later.text)
                    or is_boilerplate(later, show)
                    or names_any(later, sponsors)
                    or sum(u.words for u in kept) + later.words > budget
                    or not _goes_on(later, bool(kept), about)
                ):
                    break
                kept.append(later)
                about.update(later.stems)
            if sum(u.words for u in kept) >= INTRO_SHORTEST * 2:
                return kept
    return []


def _goes_on(unit: Unit, started: bool, about: set[str]) -> bool:
    """Whether `unit` goes on about the guest (a pronoun, once the intro has `started`) or the
    subject (a stem `about` names)."""
    return bool((started and GUEST_PRONOUNS.intersection(unit.said)) or about.intersection(unit.stems))


def _same_turn(units: Sequence[Unit], position: int) -> bool:
    """Whether the unit after `position` is said by the same speaker (the turn goes on)."""
    return position + 1 < len(units) and units[position + 1].speaker == units[position].speaker


def opening_minutes(units: Sequence[Unit]) -> list[Unit]:
    """The units of the episode's first minutes (the first 5% when it is untimed)."""
    if all(u.start is None for u in units):
        return list(units[: max(1, len(units) // 20)])
    return [u for u in units if u.start is not None and u.start <= OPENING_SECONDS]


def introduction(early: Sequence[Unit], title: str, speakers: Sequence[str], budget: int = GIST_WORDS) -> list[Unit]:
    """Sentences of the opening that say who is on and what about ("Today we're talking to Ada about
    package relay"): greedily, the one naming the most words of the title and of the speakers' names
    not named yet, per square root of its length; in episode order."""
    wanted = {stem(w) for text in (title, *speakers) for w in tokens(text) if is_content(w)}
    pool = [u for u in early if u.words >= INTRO_SHORTEST and not u.is_question]
    chosen: list[Unit] = []
    named: set[str] = set()
    used = 0

    def naming(unit: Unit) -> float:
        return len((set(unit.stems) & wanted) - named) / math.sqrt(unit.words)

    while used < budget:
        fits = [u for u in pool if u not in chosen and used + u.words <= budget + GIST_SLACK]
        best = max(fits, key=naming, default=None)
        if best is None or naming(best) <= 0:
            break
        chosen.append(best)
        named |= set(best.stems)
        used += best.words
    return sorted(chosen, key=lambda u: u.index)


def word_features(units: Sequence[Unit], title: str) -> dict[str, tuple[float, ...]]:
    """For each stem the episode says: 1, log of its count, log of the episode's word count, log of
    the share of sentences saying it, and whether it is in the title, written prose's function
    words, or speech's markers."""
    said = Counter(stem(w) for unit in units for w in unit.said)
    spread = Counter(s for unit in units for s in {stem(w) for w in unit.said})
    size, sentences = math.log(sum(said.values()) or 1), len(units) or 1
    named = {stem(w) for w in tokens(title)}
    return {
        s: (
            1.0,
            math.log(count),
            size,
            math.log(spread[s] / sentences),
            float(s in named),
            float(s in SPOKEN),
            float(s in WRITTEN),
        )
        for s, count in said.items()
    }


def expected_counts(units: Sequence[Unit], title: str) -> dict[str, float]:
    """Each stem's expected count in a written summary of the episode."""
    return {
        s: math.exp(sum(c * x for c, x in zip(COEFFICIENTS, features, strict=True)))
        for s, features in word_features(units, title).items()
    }


@dataclass
class _Overlap:
    """The expected words shared between the gist so far and a written summary: all words, and
    content words alone (which say what the episode is about)."""

    expected: dict[str, float]
    counts: Counter[str] = field(default_factory=Counter)
    matched: float = 0.0
    length: int = 0
    matched_content: float = 0.0
    content_length: int = 0

    def gain(self, unit: Unit) -> tuple[float, float]:
        """Expected shared words `unit` adds, all and content: its k-th use of a word counts with
        P(notes use it >= k times)."""
        added: Counter[str] = Counter()
        total = content = 0.0
        for word in unit.said:
            s = stem(word)
            added[s] += 1
            p = _at_least(self.expected.get(s, 0.0), self.counts[s] + added[s])
            total += p
            content += p if is_content(word) else 0.0
        return total, content

    def score(self, matched: float, length: int, matched_content: float, content_length: int) -> float:
        words = 2 * matched / (NOTES_WORDS + length) if length else 0.0
        content = 2 * matched_content / (NOTES_CONTENT_WORDS + content_length) if content_length else 0.0
        return words + CONTENT_WEIGHT * content

    def f1_with(self, unit: Unit) -> float:
        total, content = self.gain(unit)
        return self.score(
            self.matched + total,
            self.length + len(unit.said),
            self.matched_content + content,
            self.content_length + len(unit.stems),
        )

    def add(self, unit: Unit, precision: float | None = None) -> None:
        """Count `unit` in; `precision` overrides the model's guess of its shared words."""
        total, content = self.gain(unit)
        if precision is not None:
            total, content = precision * len(unit.said), precision * len(unit.stems)
        self.matched += total
        self.matched_content += content
        self.length += len(unit.said)
        self.content_length += len(unit.stems)
        self.counts.update(stem(w) for w in unit.said)

    @property
    def f1(self) -> float:
        return self.score(self.matched, self.length, self.matched_content, self.content_length)


def _at_least(mean: float, k: int) -> float:
    """P(N >= k) for N ~ Poisson(mean)."""
    term = below = math.exp(-mean)
    for i in range(1, k):
        term *= mean / i
        below += term
    return max(0.0, 1.0 - below)


def pick_gist(
    candidates: Sequence[Unit],
    expected: dict[str, float],
    chapter_starts: Sequence[int],
    opening: Sequence[Unit] = (),
    budget: int = GIST_WORDS,
    vectors: np.ndarray | None = None,
    title: str = "",
) -> list[Unit]:
    """The cold open (within budget), then, from chapters not yet represented, the sentence that
    most raises the gist's expected overlap with written notes, while it does; in episode order.
    With `vectors` (one a unit) the choice also weighs meaning, by maximal marginal relevance:
    near the episode's mean vector and the `title`'s sentences, far from those already chosen."""
    chosen = leading(opening, budget)  # a written preview: kept whole, short sentences and all
    used = sum(u.words for u in chosen)
    most = len(chosen) + (used < budget // 2) if chosen else MOST_SENTENCES  # a short preview gets one more
    overlap = _Overlap(expected)
    for unit in chosen:
        overlap.add(unit, COLD_OPEN_PRECISION)
    chapters = {chapter_of(u.index, chapter_starts) for u in chosen}
    after = chosen[-1].index if chosen else -1
    relevance = None if vectors is None else _relevance(vectors, candidates, title)
    while len(chosen) < most and used < budget:
        fits = [
            u
            for u in candidates
            if u.index > after
            and u not in chosen
            and used + u.words <= budget + GIST_SLACK
            and chapter_of(u.index, chapter_starts) not in chapters
            and not u.is_question
        ]
        best = max(fits, key=lambda u: _worth(u, chosen, overlap, vectors, relevance), default=None)
        if best is None or overlap.f1_with(best) <= overlap.f1:
            break
        chosen.append(best)
        overlap.add(best)
        used += best.words
        chapters.add(chapter_of(best.index, chapter_starts))
    return sorted(chosen, key=lambda u: u.index)


def _relevance(vectors: np.ndarray, candidates: Sequence[Unit], title: str) -> np.ndarray:
    """Each unit's relevance by meaning: its similarity to the mean of all units, and to the mean of
    the candidates naming a content word of the title (the mean of all when none does)."""
    named = {stem(w) for w in tokens(title) if is_content(w)}
    naming = [u.index for u in candidates if named.intersection(u.stems)]
    central = _similarity(vectors, vectors.mean(axis=0))
    about = _similarity(vectors, vectors[naming].mean(axis=0)) if naming else central
    return CENTRAL_WEIGHT * central + TITLE_WEIGHT * about


def _similarity(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    return vectors @ (query / max(float(np.linalg.norm(query)), 1e-6))


def _worth(
    unit: Unit, chosen: Sequence[Unit], overlap: _Overlap, vectors: np.ndarray | None, relevance: np.ndarray | None
) -> float:
    """The expected overlap `unit` adds, plus (given vectors, and each unit's relevance by meaning)
    its marginal relevance."""
    gain = overlap.f1_with(unit) - overlap.f1
    if vectors is None or relevance is None:
        return gain
    repeated = max((float(vectors[unit.index] @ vectors[c.index]) for c in chosen), default=0.0)
    return float(relevance[unit.index]) - REPEAT_WEIGHT * repeated + WORDS_WEIGHT * gain


def leading(units: Iterable[Unit], budget: int = GIST_WORDS) -> list[Unit]:
    """The opening units that fit in `budget` words (the first one always)."""
    kept, used = [], 0
    for unit in units:
        if kept and used + unit.words > budget:
            break
        kept.append(unit)
        used += unit.words
    return kept

"""Sentence-like units of an episode, their content terms, and what is never summary material.

Units come from the stored segments, split at sentence ends; captions without punctuation were
already cut at pauses and length caps by the segmenter, so each unit is at most ~40 words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from bot.ingest.segmenter import sentences
from models.episodes import SegmentRow
from models.text import SPONSOR_PHRASES, SPONSOR_WORDS, tokens

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren as at be because been before being below
    between both but by can could couldn did didn do does doesn doing don down during each even ever every few for
    from further get gets getting got had hadn has hasn have haven having he her here hers herself him himself his
    how i if in into is isn it its itself just let ll me more most much must my myself need needs no nor not now of
    off on once one only or other our ours ourselves out over own really re s same say says said see she should
    so some something such t than that the their theirs them themselves then there these they thing things think
    this those through to too under until up us ve very was wasn way we were weren what when where which while
    who whom why will with won would wouldn you your yours yourself yourselves d m going go want like lot lots
    get know mean sort kind actually maybe probably pretty quite stuff guess gonna wanna yeah yes yep okay ok oh
    uh um hmm mm mhm right well sure cool great awesome totally exactly absolutely definitely basically literally
    people time times back take make makes made use used using come comes came look looks looking good new many
    first two three still around little bit something anything everything someone anyone
    thing re different sense able"""
    # German function words (accents folded, as tokens are): the index may hold too little German for
    # their counts to mark them.
    """ und der die das den dem des ein eine einer einen eines mit von fur ist sind nicht auf sich auch wir ihr
    sie zu zum zur im wie was oder aber bei nach noch nur uber um vor wird werden kann wenn dann dass als
    hat haben gibt mal ganz schon sehr viel diese dieser dieses euch uns unsere unser eure""".split()
)
_SPONSOR_PHRASE = "|".join(re.escape(phrase).replace(r"\ ", r"\s+") for phrase in SPONSOR_PHRASES)
SPONSOR_CUES = re.compile(  # the one sponsor word list (models.text), and how reads say the rest
    rf"\b(?:{'|'.join(sorted(SPONSOR_WORDS))}|{_SPONSOR_PHRASE}|promo code|discount code|free trial|offer code|"
    r"advertis\w*|/sponsor|\.fm/\w+|\.com/\w+)\b",
    re.IGNORECASE,
)
HOUSEKEEPING_CUES = re.compile(
    r"\b(?:welcome (?:back )?to|this is your host|i'?m your host|thanks? (?:you )?for listening|"
    r"subscribe|rate (?:us|the show)|leave (?:us )?a review|itunes|follow (?:me|us) on|twitter|"
    r"show notes|see you (?:next|in)|until next time|this has been|you'?re listening to|"
    r"recorded (?:on )?\w+ \d|episode (?:number )?\d+|thank(?:s| you) for (?:having|coming|being)|"
    r"welcome to the show|great to (?:be|have) (?:here|you)|friends? of the show|newsletter|"
    r"(?:my|our) (?:[\w-]+ ){0,8}courses?|try (?:my|our))\b",
    re.IGNORECASE,
)
WEB_ADDRESS = re.compile(r"\b[\w-]+\.(?:com|fm|org|io|net)\b", re.IGNORECASE)  # said or written: no quote
_SPONSORED_BY = re.compile(
    rf"\b(?:{_SPONSOR_PHRASE})\s+(?:(?:our|the) (?:friends|folks|people) (?:at|from|over at) )?"
    rf"(?P<names>(?:(?!{_SPONSOR_PHRASE})[^.;:!?()]){{2,80}})",  # up to the next sponsor's phrase
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*", re.IGNORECASE)
_NOT_NAME = re.compile(r"^(?:us|our|the|this|a|an|over|at|from|folks|you)\b", re.IGNORECASE)
_POINTS_BACK = re.compile(  # a sentence leaning on what was said before it
    r"^(?:that'?s|that is|that was|this is why|which|those|these|it'?s|it is|it was|they|them|their|he|she|his|"
    r"her|him|that|this|there'?s|because|also|exactly|same|otherwise|then|again|as i said|like i said)\b",
    re.IGNORECASE,
)
# In an episode's opening "This", "It's" and "There's" point at the episode ("This episode was made for...").
_POINTS_BACK_IN_OPENING = re.compile(
    r"^(?:that'?s|that is|that was|this is why|which|those|they|them|their|he|she|his|her|him|that|because|also|"
    r"exactly|same|otherwise|then|again|as i said|like i said)\b",
    re.IGNORECASE,
)
_HOST_PROMPT = re.compile(
    r"^(?:tell (?:us|me)|talk (?:to us )?about|walk (?:us|me)|give (?:us|me)|let'?s (?:talk|dive|start|get)|"
    r"maybe (?:you could|just)|(?:can|could|would) you|what about|how about|welcome)\b",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(
    r"^(?:(?:and|so|but|yeah|yes|well|okay|ok|oh|right|um|uh|now|I mean|you know|like|I think|I guess|I feel like|"
    r"actually|really|basically)\b[,.]?\s+)+",
    re.IGNORECASE,
)
# Spoken filler a reader does without (measured on body-only Talk Python gists: ROUGE-1 31.5 -> 32.5,
# content-word ROUGE-1 17.4 -> 18.3, as the 120 words hold more of what was said).
_INNER_FILLER = re.compile(
    r"(?:,?\s+\b(?:uh|um|you know|I mean|sort of|kind of|really|actually|basically|literally|definitely|totally|"
    r"just)\b,?)(?=\s)|,\s+like,(?=\s)",
    re.IGNORECASE,
)
_REPEATS = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.IGNORECASE)
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=131_072)
def stem(word: str) -> str:
    """The English Snowball stem of a folded word."""
    return _stemmer.stemWord(word)


def is_content(word: str) -> bool:
    """Whether a folded word carries meaning: not a stop word, filler, number or fragment."""
    return len(word) > 2 and word not in STOPWORDS and not word.isdigit()


@dataclass(frozen=True, slots=True)
class Unit:
    """A sentence-like piece of the transcript, in episode order."""

    index: int
    text: str
    start: float | None
    speaker: str | None
    words: int  # as shown, without filler (`tidy`)
    stems: tuple[str, ...]  # content stems, with repeats
    said: tuple[str, ...] = ()  # every word, folded as the index folds it
    segment: int = 0  # the index of the segment it comes from

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


def units_of(segments: Iterable[SegmentRow]) -> list[Unit]:
    """Split segments into sentence-like units with their content stems."""
    found: list[Unit] = []
    for segment, (start, _end, speaker, text) in enumerate(segments):
        for sentence in sentences(_URL.sub(" ", text)):
            said = tuple(tokens(sentence))
            stems = tuple(stem(w) for w in said if is_content(w))
            words = len(tidy(sentence).split())  # as a summary shows it
            found.append(Unit(len(found), sentence, start, speaker, words, stems, said, segment))
    return found


def is_boilerplate(unit: Unit, show_words: frozenset[str] = frozenset()) -> bool:
    """Sponsor reads, intros, outros and housekeeping: never a gist sentence or a quote."""
    if SPONSOR_CUES.search(unit.text) or HOUSEKEEPING_CUES.search(unit.text):
        return True
    named = {w for w in tokens(unit.text) if w in show_words}
    return len(show_words) > 1 and named >= show_words


def stands_alone(text: str, opening: bool = False) -> bool:
    """Whether a sentence can be shown out of context: it starts a sentence, does not point back at
    earlier talk ("That's why", "He said") and is not the host's prompt ("Tell us about...");
    `opening`: said in the episode's first minutes."""
    shown = tidy(text)
    if not shown or (text.lstrip()[:1].islower() and any(c.isupper() for c in text[1:])):
        return False  # a caption piece starting mid-sentence (captions with capitals start theirs)
    back = _POINTS_BACK_IN_OPENING if opening else _POINTS_BACK
    return not (back.match(shown) or _HOST_PROMPT.match(shown))


def names_any(unit: Unit, names: frozenset[str]) -> bool:
    """Whether the unit says one of `names` (folded, one or two words)."""
    said = " ".join(unit.said)
    return any(re.search(rf"\b{re.escape(name)}\b", said) for name in names)


def sponsor_names(units: Iterable[Unit]) -> frozenset[str]:
    """The names a transcript itself gives its sponsors ("brought to you by Linode and Sentry", "this
    show is presented by Cash App"), folded."""
    names = set()
    for unit in units:
        for found in _SPONSORED_BY.finditer(unit.text):
            for part in _NAME_SPLIT.split(found["names"]):
                words = part.split()[:2]
                if words and not _NOT_NAME.match(part) and words[0].casefold() not in STOPWORDS:
                    names.add(" ".join(tokens(" ".join(words))))
    return frozenset(name for name in names if name)


def tidy(text: str) -> str:
    """A spoken sentence made readable: leading filler, ums and stutters removed, capitalised."""
    text = _REPEATS.sub(r"\1", _INNER_FILLER.sub("", text))
    text = _LEADING_FILLER.sub("", text.strip()).strip(" ,")
    return text[:1].upper() + text[1:] if text else text


def chapter_of(index: int, starts: Sequence[int]) -> int:
    """Which chapter (counted from 1) the unit at `index` falls in, given the chapters' first units."""
    return sum(1 for start in starts if start <= index)


def show_words(show: str | None) -> frozenset[str]:
    """The folded content words of a show's name, which say nothing about one episode."""
    return frozenset(w for w in tokens(show or "") if w not in STOPWORDS and len(w) > 2)

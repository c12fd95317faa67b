"""The one text normaliser: tokens exactly as the FTS5 index makes them, for indexing, querying
and ranking alike (tests/test_text.py compares the two on a varied sample).

The index reads each segment with apostrophes removed (migration 7) through the `unicode61
remove_diacritics 2` tokenizer, which lower-cases letter by letter, folds final sigma, and strips
diacritics from Latin letters only: `Café` is `cafe`, but `й`, `ά`, `ß` and `ﬁ` stay as they are.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The words of a sponsor read: no quote worth sharing, no keyword of an episode.
SPONSOR_WORDS = frozenset("sponsor sponsored sponsors promo coupon discount patreon subscribe".split())
# The phrases a transcript introduces its sponsors' names with ("this episode is supported by X"):
# "supported by" alone is not one ("async is supported by Django").
_SPONSORED_THINGS = ("episode", "show", "podcast", "conversation", "program")
SPONSOR_PHRASES = (
    "brought to you by",
    "sponsored by",
    *(f"{thing} is {how} by" for thing in _SPONSORED_THINGS for how in ("supported", "presented", "underwritten")),
    *(f"support for this {thing} comes from" for thing in _SPONSORED_THINGS),
)
_APOSTROPHES = "'\u2019\u02bc"  # ' ’ ʼ: `don't`, `don’t` and `dont` are one word
_TOKEN = re.compile(rf"[^\W_]+(?:[{_APOSTROPHES}][^\W_]+)*")
_APOSTROPHE = re.compile(f"[{_APOSTROPHES}]")


def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _fold(word: str) -> str:
    if word.isascii():  # no accent, no final sigma, no other apostrophe: most words, without unicodedata
        return word.replace("'", "").lower()
    return _fold_unicode(word)


@lru_cache(maxsize=65_536)
def _fold_unicode(word: str) -> str:
    lowered = "".join(char.lower() for char in _APOSTROPHE.sub("", word)).replace("ς", "σ")
    kept: list[str] = []
    base = ""
    for char in unicodedata.normalize("NFD", lowered):
        if not unicodedata.combining(char):
            base = char
        elif _is_latin(base):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric runs, Latin accents and apostrophes dropped: `Don’t café` -> `dont`, `cafe`."""
    return [_fold(word) for word in _TOKEN.findall(text)]


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """Each token's start and end offset in `text`, with its folded form."""
    return [(m.start(), m.end(), _fold(m.group())) for m in _TOKEN.finditer(text)]


def normalised(text: str) -> str:
    """The tokens as one string, for comparing texts regardless of case, accents and punctuation."""
    return " ".join(tokens(text))

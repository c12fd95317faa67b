"""Tokens exactly as the FTS5 `unicode61 remove_diacritics 2` tokenizer makes them from the text
with apostrophes removed (the index reads it so: migration 7)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = "'\u2019\u02bc"  # ' ’ ʼ: `don't`, `don’t` and `dont` are one word
_TOKEN = re.compile(rf"[^\W_]+(?:[{_APOSTROPHES}][^\W_]+)*")
_APOSTROPHE = re.compile(f"[{_APOSTROPHES}]")


@lru_cache(maxsize=65_536)
def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _APOSTROPHE.sub("", word).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Lower-cased, accent-free alphanumeric runs, apostrophes dropped: `Don’t café` -> `dont`, `cafe`."""
    return [_fold(word) for word in _TOKEN.findall(text)]


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """Each token's start and end offset in `text`, with its folded form."""
    return [(m.start(), m.end(), _fold(m.group())) for m in _TOKEN.finditer(text)]

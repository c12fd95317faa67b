"""Tokens exactly as the FTS5 `unicode61 remove_diacritics 2` tokenizer makes them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65_536)
def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Lower-cased, accent-free alphanumeric runs: `Don't café` -> `don`, `t`, `cafe`."""
    return [_fold(word) for word in _TOKEN.findall(text)]


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """Each token's start and end offset in `text`, with its folded form."""
    return [(m.start(), m.end(), _fold(m.group())) for m in _TOKEN.finditer(text)]

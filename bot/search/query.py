"""Turn what a member typed into a safe FTS5 MATCH expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
_PHRASE = re.compile(r'"([^"]*)"?')
_WORD = re.compile(r"\w+(?:['’]\w+)*")


class QueryError(ValueError):
    """The query cannot be searched; the message is safe to show a member."""


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """Words and quoted phrases, lower-cased and stripped of FTS5 syntax."""

    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]

    def fts_expression(self) -> str:
        """Every word and phrase double-quoted and ANDed: FTS5 operators cannot get through."""
        parts = [_quote(" ".join(phrase)) for phrase in self.phrases]
        parts += [_quote(word) for word in self.words]
        return " ".join(parts)


def parse_query(text: str) -> ParsedQuery:
    """Split text into words and `"quoted phrases"`; reject blank or oversized queries."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"That query is too long: keep it under {MAX_QUERY_CHARS} characters.")
    phrases = []
    for match in _PHRASE.finditer(text):
        words = tuple(_words(match[1]))
        if len(words) > 1:
            phrases.append(words)
    remainder = _PHRASE.sub(lambda m: " " if len(_words(m[1])) > 1 else f" {m[1]} ", text)
    words = tuple(_words(remainder))
    if not words and not phrases:
        raise QueryError("Type a few words of the quote you remember.")
    if len(words) + sum(len(p) for p in phrases) > MAX_TERMS:
        raise QueryError(f"That query has too many words: use at most {MAX_TERMS}.")
    return ParsedQuery(words, tuple(phrases))


def _words(text: str) -> list[str]:
    return [w.casefold().replace("’", "'") for w in _WORD.findall(text)]


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'

"""Turn what a member typed into words, quoted phrases and filters. Nothing raw reaches the index."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from bot.errors import InvalidInput
from models.search import SearchFilters
from models.text import tokens

MAX_QUERY_CHARS = 1000
MAX_TERMS = 40
MAX_OPTION_CHARS = 200
_FILTER = re.compile(r'\b(show|speaker|episode|ep|after|since|before|until):(?:"([^"]*)"?|(\S+))', re.IGNORECASE)
_PHRASE = re.compile(r'"([^"]*)"?')
_KEYS = {"ep": "episode", "since": "after", "until": "before"}
_QUESTION_WORDS = frozenset("who what when where which whoever someone somebody remember".split())
_SAYING = frozenset("said say says saying talked talk talking mentioned mention explained discussed".split())
_FRAMING = frozenset("that the this a an something thing bit part quote line one about on like where how".split())
# Words that say nothing about which line is meant. A query of these alone names no moment in any
# index, so it is refused the same way everywhere, rather than answered with an arbitrary line in a
# small index and refused as too common in a large one; quoted, they are searched as a phrase.
_FUNCTION_WORDS = frozenset(
    """a an the and or but if so of to in on at by for with from as into about than then that this these those
    it its i me my we us our you your he him his she her they them their is are was were be been being am do does
    did have has had not no yes s t d ll m re ve what which who whom when where why how there here all any some
    just very too also can could will would shall should may might must""".split()
)
ONLY_COMMON = 'Those words are too common to search: add a rarer word or two, or put the exact words in "quotes".'


class QueryError(InvalidInput):
    """The query cannot be searched; the message is safe to show a member."""


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """The words (FTS tokens, in order), the quoted phrases, and the filters of a query."""

    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...] = ()
    filters: SearchFilters = field(default_factory=SearchFilters)

    @property
    def text(self) -> str:
        """The words as one normalised string, for fuzzy comparison."""
        return " ".join(self.words)


def parse_query(text: str, filters: SearchFilters | None = None) -> ParsedQuery:
    """Parse `text`; raise QueryError for blank, oversized or unusable queries or filters."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"That query is too long: keep it under {MAX_QUERY_CHARS} characters.")
    checked_value("query", text)
    if filters is not None:
        checked_filters(filters)
    found = SearchFilters()
    for match in _FILTER.finditer(text):
        found = _with_filter(found, _KEYS.get(match[1].lower(), match[1].lower()), (match[2] or match[3] or "").strip())
    rest = _FILTER.sub(" ", text)
    phrases = tuple(p for p in (tuple(tokens(m[1])) for m in _PHRASE.finditer(rest)) if len(p) > 1)
    words = strip_question(tuple(tokens(rest)))
    if not words:
        raise QueryError("Type a few words of the quote you remember.")
    if not phrases and all(word in _FUNCTION_WORDS for word in words):
        raise QueryError(ONLY_COMMON)
    if len(words) > MAX_TERMS:
        raise QueryError(f"That query has too many words: use at most {MAX_TERMS}.")
    return ParsedQuery(words, phrases, checked_filters(found.merged_over(filters or SearchFilters())))


def checked_filters(filters: SearchFilters) -> SearchFilters:
    """The filters when every value can be searched; QueryError names the one that cannot."""
    for name in ("show", "episode", "speaker"):
        checked_value(name, getattr(filters, name))
    if filters.episode:
        episode_reference(filters.episode)
    return filters


def checked_value(name: str, value: str | None) -> str | None:
    """A typed value that is valid text (no undecodable bytes, no control characters) of a sane length."""
    if value is None:
        return None
    if len(value) > MAX_OPTION_CHARS and name != "query":
        raise QueryError(f"The {name} is too long: keep it under {MAX_OPTION_CHARS} characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(f"The {name} is not valid UTF-8 text.") from None
    if any((ord(c) < 32 and c not in "\t\n") or 0x7F <= ord(c) < 0xA0 for c in value):
        raise QueryError(f"The {name} has control characters: type it as plain text.")
    return value


def episode_reference(text: str) -> tuple[str, int] | None:
    """`id:7` as ("id", 7), `#12` or `12` as ("number", 12); None for a title. QueryError for digits
    that are no episode number: `²`, `①`, `٣`, or a number past 64 bits."""
    cleaned = text.strip().lstrip("#")
    kind, digits = ("id", cleaned[3:].strip()) if cleaned.lower().startswith("id:") else ("number", cleaned)
    if not digits or not any(c.isdigit() or c.isnumeric() for c in digits):
        if kind == "id":
            raise QueryError(f"`{text.strip()[:40]}` is not an episode id: use id:N with N a number.")
        return None
    if not (digits.isascii() and digits.isdigit()):
        if kind == "number" and not all(c.isdigit() or c.isnumeric() for c in digits):
            return None  # a title with a number in it, such as `Part ²`
        raise QueryError(f"`{text.strip()[:40]}` is not an episode number: use the digits 0-9.")
    if len(digits) > 18:
        raise QueryError(f"`{text.strip()[:40]}` is not an episode number: it is far too large.")
    return kind, int(digits)


def strip_question(words: tuple[str, ...]) -> tuple[str, ...]:
    """`who said that thing about dopamine and slot machines` -> `dopamine and slot machines`.

    Only a question that opens with a question word and a saying verb within its first eight
    words is trimmed, so a quote that merely contains `said` is searched as typed.
    """
    if len(words) < 3 or words[0] not in _QUESTION_WORDS:
        return words
    verb = next((i for i, word in enumerate(words[:8]) if word in _SAYING), None)
    if verb is None:
        return words
    rest = list(words[verb + 1 :])
    while rest and rest[0] in _FRAMING:
        rest.pop(0)
    return tuple(rest) if len(rest) >= 2 else words


def _with_filter(filters: SearchFilters, key: str, value: str) -> SearchFilters:
    if not value:
        return filters
    if key in ("after", "before"):
        day = date_bound(value, end=key == "before")
        if day is None:
            raise QueryError(f"`{key}:{value}` is not a date: use YYYY, YYYY-MM or YYYY-MM-DD.")
        return replace(filters, **{key: day})
    return replace(filters, **{key: value})


def date_bound(value: str, *, end: bool = False) -> dt.date | None:
    """`2020`, `2020-05` or `2020-05-17` as a date (the last day of the span when `end`)."""
    parts = value.strip().split("-")
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 3:
        return None
    try:
        if len(parts) == 3:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 2:
            year, month = int(parts[0]), int(parts[1])
            first = dt.date(year, month, 1)
            return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)) if end else first
        return dt.date(int(parts[0]), 12, 31) if end else dt.date(int(parts[0]), 1, 1)
    except ValueError:
        return None

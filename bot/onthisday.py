"""What came out on this calendar day in earlier years, and the post that presents it.

Choosing is pure and tested with fixed dates; building the post adds each episode's one-line
summary and a highlight quote from the summary work.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.config import FALLBACKS
from bot.errors import InvalidInput
from bot.limits import clip
from bot.ports import Catalogue
from bot.search.engine import is_quotable
from bot.summary import Moment, Summary
from bot.summary.service import Summaries
from models.episodes import EpisodeRow
from models.shapes import fields_of
from models.text import tokens

WEEK_DAYS = 3  # "this week": up to three days either side
MOST_EPISODES = 10
SUMMARY_CHARACTERS = 200
_REBROADCAST = re.compile(
    r"\[\s*(?:RB|rebroadcast|re-?run|replay|encore|repeat|best of)\s*\]"
    r"|\(\s*(?:rebroadcast|re-?run|replay|encore|repeat|best of)\s*\)"
    r"|^\s*(?:rebroadcast|re-?run|replay|encore|best of)\s*[:\-–|]",
    re.IGNORECASE,
)
_COMPLETE = re.compile(r"^[\"“']?[A-Z0-9].*[.!?][\"”']?$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class DayEpisodes:
    """Episodes for a day: `kind` says how they were found (exact, week, archive or none)."""

    day: dt.date
    kind: str
    episodes: tuple[EpisodeRow, ...]


def published_on(row: EpisodeRow) -> dt.date | None:
    """An episode's date, or None when unknown or malformed."""
    try:
        return dt.date.fromisoformat(row.published) if row.published else None
    except ValueError:
        return None


def anniversary_in(year: int, published: dt.date) -> dt.date:
    """The day an episode is remembered in `year`: February 29 falls on the 28th in other years."""
    if published.month == 2 and published.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return published.replace(year=year)


def is_rebroadcast(title: str) -> bool:
    """Whether a title marks a rerun: `[RB]`, `(Rebroadcast)`, `Replay: ...`."""
    return bool(_REBROADCAST.search(title))


def _title_key(title: str) -> str:
    return " ".join(tokens(_REBROADCAST.sub(" ", title)))


def originals_first(rows: Sequence[EpisodeRow]) -> list[EpisodeRow]:
    """Originals oldest first, each title once; then reruns whose original is not among them."""
    seen: set[str] = set()
    chosen = []
    by_date = sorted(rows, key=lambda r: (r.published or "", r.number or 0, r.id))
    for row in [r for r in by_date if not is_rebroadcast(r.title)] + [r for r in by_date if is_rebroadcast(r.title)]:
        if (key := _title_key(row.title)) not in seen:
            seen.add(key)
            chosen.append(row)
    return chosen[:MOST_EPISODES]


def choose(rows: Sequence[EpisodeRow], day: dt.date, fallbacks: Sequence[str] = FALLBACKS) -> DayEpisodes:
    """Episodes from this month and day in earlier years; failing that the fallbacks in order:
    `week` (three days either side, earlier years), then `archive` (one pick, stable all day)."""
    dated = [(row, date) for row in rows if (date := published_on(row)) is not None and date.year < day.year]
    exact = [row for row, date in dated if anniversary_in(day.year, date) == day]
    if exact:
        return DayEpisodes(day, "exact", tuple(originals_first(exact)))
    for fallback in fallbacks:
        if fallback == "week":
            near = [row for row, date in dated if abs((anniversary_in(day.year, date) - day).days) <= WEEK_DAYS]
            if near:
                return DayEpisodes(day, "week", tuple(originals_first(near)))
        elif fallback == "archive" and dated:
            pool = sorted((row for row, _ in dated if not is_rebroadcast(row.title)), key=lambda r: r.id)
            pick = random.Random(day.toordinal()).choice(pool or [row for row, _ in dated])
            return DayEpisodes(day, "archive", (pick,))
    return DayEpisodes(day, "none", ())


@dataclass(frozen=True, slots=True)
class Anniversary:
    """One episode in the day's post."""

    episode_id: int
    title: str
    number: int | None
    published: str | None
    show: str | None
    years_ago: int
    summary: str | None
    highlight: Moment | None

    def as_json(self) -> dict[str, object]:
        plain = fields_of(self, "episode_id", "title", "number", "published", "show", "years_ago", "summary")
        return plain | {"highlight": None if self.highlight is None else _highlight_json(self.highlight)}


def _highlight_json(moment: Moment) -> dict[str, object]:
    return {"text": moment.text, "start_seconds": moment.start_seconds, "url": moment.url}


@dataclass(frozen=True, slots=True)
class DailyPost:
    """What the daily post shows, and what `rewind onthisday` prints."""

    day: dt.date
    kind: str
    episodes: tuple[Anniversary, ...]

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of `rewind onthisday --json`."""
        return {"date": self.day.isoformat(), "kind": self.kind, "episodes": [e.as_json() for e in self.episodes]}


def standalone(quotes: Sequence[Moment]) -> Moment | None:
    """The first quote that reads as a complete, content-rich sentence on its own; failing that
    (captions without punctuation) the first one, marked as an excerpt."""
    for quote in quotes:
        if _COMPLETE.match(quote.text) and is_quotable(quote.text):
            return quote
    if not quotes:
        return None
    first = quotes[0]
    return Moment(f"…{first.text.rstrip('.,;: …')}…", first.start_seconds, first.speaker, first.url)


def notes_highlight(summary: Summary) -> Moment | None:
    """For an episode known only from its notes: a complete sentence of them after the one the post
    already shows as its summary."""
    if summary.source != "notes":
        return None
    return next((m for m in summary.gist[1:] if _COMPLETE.match(m.text) and is_quotable(m.text)), None)


async def build_post(
    store: Catalogue, summaries: Summaries, day: dt.date, fallbacks: Sequence[str] = FALLBACKS
) -> DailyPost:
    """The post for `day`: the chosen episodes with a one-line summary and a highlight each."""
    chosen = choose(await store.list_episodes(), day, fallbacks)
    entries = []
    for row in chosen.episodes:
        summary = await summaries.summary(row.id)
        published = published_on(row)
        entries.append(
            Anniversary(
                row.id,
                row.title,
                row.number,
                row.published,
                row.show,
                day.year - published.year if published else 0,
                clip(summary.gist[0].text, SUMMARY_CHARACTERS) if summary and summary.gist else None,
                (standalone(summary.quotes) or notes_highlight(summary)) if summary else None,
            )
        )
    return DailyPost(day, chosen.kind, tuple(entries))


def parse_day(text: str, today: dt.date) -> dt.date:
    """`MM-DD` (this year) or `YYYY-MM-DD`; InvalidInput with a plain message otherwise."""
    try:
        if re.fullmatch(r"\d{1,2}-\d{1,2}", text):
            month, day = map(int, text.split("-"))
            if (month, day) == (2, 29) and not calendar.isleap(today.year):
                return dt.date(today.year, 2, 28)
            return dt.date(today.year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date: use MM-DD or YYYY-MM-DD") from None

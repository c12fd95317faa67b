"""Episode summaries made offline from the transcript (or the show notes): no model, no download."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.search.links import deep_link
from bot.summary.gist import (
    GIST_WORDS,
    cold_open,
    expected_counts,
    host_intro,
    introduction,
    leading,
    opening_minutes,
    pick_gist,
)
from bot.summary.meaning import Passage, unit_vectors
from bot.summary.method import Weights, gist_candidates, keywords, pick_quotes, readable
from bot.summary.sections import Section, sections
from bot.summary.units import (
    STOPWORDS,
    WEB_ADDRESS,
    SegmentRow,
    Unit,
    is_boilerplate,
    names_any,
    show_words,
    sponsor_names,
    stands_alone,
    stem,
    units_of,
)
from models.episodes import Episode, episode_fields
from models.shapes import fields_of
from models.text import SPONSOR_WORDS, tokens

# Never keywords (nor chapter labels): sponsor and show vocabulary, verbs every conversation uses, praise
# ("super interesting") and goodbyes ("Bye", "Thank" labelled closing chapters).
NOT_KEYWORDS = SPONSOR_WORDS | frozenset(
    """podcast episode talk welcome
    run runs running called call calls work works working put find start try give tell told talking ask asked
    interesting super easy hard big huge nice important simple fun crazy amazing fantastic wonderful neat
    deal whole similar specific certain particular ago guy guys named done
    bye goodbye thank thanks moment show""".split()
)


NOTES_GIST_WORDS = 12  # shorter notes (a title again, a link) leave the gist to the transcript


@dataclass(frozen=True, slots=True)
class EpisodeText(Episode):
    """What a summary is made from: the episode and its text."""

    description: str | None
    segments: Sequence[SegmentRow]
    chapters: tuple[tuple[float, str], ...] = ()  # from a chapters file: start seconds, title
    passages: tuple[Passage, ...] = ()  # search by meaning's vectors, when the episode has them


@dataclass(frozen=True, slots=True)
class Moment:
    """A sentence of the episode with its time (and a link to that second where the media is known)."""

    text: str
    start_seconds: float | None
    speaker: str | None = None
    url: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"text": self.text, "start_seconds": self.start_seconds, "speaker": self.speaker, "url": self.url}


@dataclass(frozen=True, slots=True)
class Chapter:
    start_seconds: float | None
    title: str

    def as_json(self) -> dict[str, object]:
        return {"start_seconds": self.start_seconds, "title": self.title}


_EPISODE_KEYS = ("title", "show", "number", "published", "duration_seconds", "url")  # shown as they are


@dataclass(frozen=True, slots=True)
class Summary(Episode):
    """What `/episode summary` and `rewind summary` show: the episode and what it is about."""

    gist: tuple[Moment, ...]
    keywords: tuple[str, ...]
    chapters: tuple[Chapter, ...]
    quotes: tuple[Moment, ...]
    source: str  # transcript | notes | none

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of `rewind summary --json`."""
        return {"episode_id": self.id, **fields_of(self, *_EPISODE_KEYS)} | {
            "speakers": list(self.speakers),
            "gist": [m.as_json() for m in self.gist],
            "keywords": list(self.keywords),
            "chapters": [c.as_json() for c in self.chapters],
            "quotes": [m.as_json() for m in self.quotes],
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict) -> Summary:
        """Rebuild a summary from `as_json` output (the cache)."""
        return cls(
            id=data["episode_id"],
            **{k: data[k] for k in _EPISODE_KEYS},
            speakers=tuple(data["speakers"]),
            gist=tuple(Moment(**m) for m in data["gist"]),
            keywords=tuple(data["keywords"]),
            chapters=tuple(Chapter(**c) for c in data["chapters"]),
            quotes=tuple(Moment(**m) for m in data["quotes"]),
            source=data["source"],
        )


def summarize(episode: EpisodeText, documents: Callable[[str], int], total_segments: int) -> Summary:
    """Summarize an episode; `documents(word)` is how many indexed segments contain the word."""
    units = units_of(episode.segments)
    source = "transcript"
    untimed = all(row[0] is None for row in episode.segments)  # a feed item's notes stored as text
    if episode.description and (len(units) < 5 or untimed):
        units, source = units_of([(None, None, None, episode.description)]), "notes"
    if not units:
        return _summary(episode, (), (), (), (), "none")
    sponsors = sponsor_names(units)
    banned = show_words(episode.show) | NOT_KEYWORDS | _speaker_words(episode.speakers) | _words_of(sponsors)
    weights = Weights.of(units, documents, total_segments, min_count=1 if source == "notes" else 2)
    if source == "notes":
        gist = _notes_gist(units, episode.show) or leading(units)
        return _summary(episode, _moments(gist, episode), keywords(units, weights, banned), (), (), source)
    candidates = gist_candidates(units, show_words(episode.show), sponsors)
    vectors = unit_vectors(units, episode.passages)
    if episode.chapters:  # the show's own chapters beat topic segmentation
        chapters = tuple(Chapter(start, title) for start, title in episode.chapters)
        starts = [_first_unit_at(units, start) for start, _ in episode.chapters]
    else:
        found = sections(units, weights, banned, vectors)
        chapters = tuple(Chapter(units[c.first].start, c.title) for c in found)
        starts = [c.first for c in found]
    notes = _notes_gist(units_of([(None, None, None, episode.description or "")]), episode.show)
    expected = expected_counts(units, episode.title)
    opening = _opening(units, episode, sponsors)
    gist = notes or pick_gist(candidates, expected, starts, opening=opening, vectors=vectors, title=episode.title)
    return _summary(
        episode,
        _moments(gist, episode),
        keywords(units, weights, banned),
        chapters,
        _moments(pick_quotes(_after_opening(candidates, opening, gist), weights, starts[1:]), episode),
        source,
    )


def _notes_gist(notes: Sequence[Unit], show: str | None) -> list[Unit]:
    """The show notes' own summary: their opening sentences, without housekeeping; none when the
    notes are too short to say what the episode is about."""
    kept = leading([u for u in notes if not is_boilerplate(u, show_words(show))])
    return kept if sum(u.words for u in kept) >= NOTES_GIST_WORDS else []


def _opening(units: Sequence[Unit], episode: EpisodeText, sponsors: frozenset[str]) -> list[Unit]:
    """What the gist leads with: the host's own preview before the stock intro, else the host's
    spoken intro of the first minutes ("The following is a conversation with...") with the
    sentences of the first minutes that name the guests and the subject it does not (a preview
    said by someone else than the one who introduces them is a clip of the guest)."""
    preview = cold_open(units)
    spoken = host_intro(units, episode.title, episode.speakers, show_words(episode.show), sponsors)
    capitalised = sum(not u.text.lstrip()[:1].islower() for u in units) > len(units) / 2
    usable = [
        u
        for u in opening_minutes(units)
        if stands_alone(u.text, opening=True)
        and not (capitalised and u.text.lstrip()[:1].islower())  # where sentences start with capitals
        and not is_boilerplate(u, show_words(episode.show))
        and not names_any(u, sponsors)
    ]
    left = GIST_WORDS - sum(u.words for u in spoken)  # the intro, then sentences naming what it does not
    named = introduction([u for u in usable if u not in spoken], episode.title, episode.speakers, left)
    intro = sorted({*spoken, *named}, key=lambda u: u.index)
    return preview if preview and (not intro or preview[0].speaker == intro[0].speaker) else intro or preview


def _after_opening(candidates: Sequence[Unit], opening: Sequence[Unit], gist: Sequence[Unit]) -> list[Unit]:
    """Quote candidates: none from the host's preview or intro (the gist has it), none in the gist,
    none giving a web address ("go over to example.fm")."""
    after = max((u.index for u in opening), default=-1)
    return [u for u in candidates if u.index > after and u not in gist and not WEB_ADDRESS.search(u.text)]


def _first_unit_at(units: Sequence[Unit], seconds: float) -> int:
    """The index of the first unit said at or after `seconds` (the last unit when none is)."""
    return next((u.index for u in units if u.start is not None and u.start >= seconds), units[-1].index)


def _speaker_words(speakers: Sequence[str]) -> frozenset[str]:
    return frozenset(w for name in speakers for w in tokens(name) if w not in STOPWORDS)


def _words_of(names: frozenset[str]) -> frozenset[str]:
    """The words of sponsor names, and their stems (labels and keywords ban both)."""
    words = {w for name in names for w in name.split() if w not in STOPWORDS}
    return frozenset(words | {stem(w) for w in words})


def _moments(units: Sequence[Unit], episode: EpisodeText) -> tuple[Moment, ...]:
    return tuple(
        Moment(text, u.start, u.speaker, deep_link(episode.url, u.start) if episode.url else None)
        for u, text in readable(units)
    )


def _summary(
    episode: EpisodeText,
    gist: tuple[Moment, ...],
    words: Sequence[str],
    chapters: tuple[Chapter, ...],
    quotes: tuple[Moment, ...],
    source: str,
) -> Summary:
    duration = episode.duration_seconds
    if duration is None:
        ends = [row[1] or row[0] for row in episode.segments if (row[1] or row[0]) is not None]
        duration = max(ends) if ends else None
    return Summary(
        **episode_fields(episode, duration_seconds=duration),
        gist=gist,
        keywords=tuple(words),
        chapters=chapters,
        quotes=quotes,
        source=source,
    )


__all__ = ["Chapter", "EpisodeText", "Moment", "Section", "Summary", "summarize"]

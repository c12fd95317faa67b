"""Find the moment a half-remembered quote was said.

Misspelt words are replaced by their closest spellings in the index's own vocabulary. A precise
FTS5 query (the rarest words ANDed or close together, or the quote as a phrase) gathers
candidates by bm25; when none of them is close enough, a broad one (all but one or two of the
rarest words) adds more, and as a last resort the quote without its rarest word (the likeliest
to be misremembered) or the words in no transcript. All are bounded up front by the vocabulary's
counts. rapidfuzz then scores each candidate, alone and joined with its neighbour, against the
whole query, so a quote with a word missing, two words swapped, a typo, or one that spans two
captions still finds its moment.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.ports import SearchStore
from bot.search.links import deep_link
from bot.search.query import (
    ParsedQuery,
    QueryError,
    checked_filters,
    checked_value,
    episode_reference,
    parse_query,
)
from bot.search.vocabulary import Vocabulary
from bot.semantic.embedder import DEFAULT, Default, Embedder, default_embedder
from bot.semantic.hybrid import SAME_MOMENT_SECONDS, MeaningSearch, fuse, remembered_idea, topic_subject
from bot.summary.units import STOPWORDS
from models.episodes import Candidate
from models.errors import QueryTimeout
from models.search import IndexVersion, SearchFilters, SegmentFilter, TermQuery
from models.shapes import fields_of
from models.text import SPONSOR_PHRASES, SPONSOR_WORDS, normalised, token_spans, tokens

CANDIDATES = 150  # bm25 order is weak among many rows holding common words: the fuzzy score decides
FAST_QUOTE_CHARACTERS = 64  # a quote rapidfuzz aligns quickly (see QuoteScorer)
SHORTLIST = 20  # a longer quote's new candidates aligned in full: those sharing most of its words
MAX_AND_TERMS = 6
LONG_QUOTE = 16  # words: a quote this long may span several segments
RUN_WORDS = 8  # words of a long quote that likely lie in one segment
NEAR_TERMS = 4  # the rarest words of a common quote that must lie close together
BROAD_TERMS = 5  # the broad plan asks for all but one or two of this many rarest terms
STAGE_SECONDS = 0.5  # a last resort: the plans' postings budget is what keeps queries fast
PRECISE_BUDGET = 30_000  # postings of the rarest term a precise plan may walk
RANK_BUDGET = 4_000  # rows bm25 may score before a precise plan narrows itself to the phrase
BROAD_BUDGET = 10_000  # postings the broad plan's AND groups may walk, summed
STOPWORD_SHARE = 0.1  # words in more segments than this never join a precise AND
CONFIDENT = 70.0  # a precise candidate scoring this well ends the search
MIN_SCORE = 45.0  # candidates scoring below this are not shown
PARTIAL_FLOOR = 75.0  # a partial match (the quote less a word) must score this to be shown
NEAR_SECONDS = 20.0  # hits closer than this in one episode are one moment
CHANGE_CHECK_SECONDS = 1.0
RELOAD_SPACING = 10.0  # a vocabulary reload waits this many times the last one's length after it
RANDOM_TRIES = 4  # random points tried for a quotable line
FILLER = frozenset(
    "yeah yes yep no okay ok right uh um hmm mhm so well thanks thank you sure cool great awesome totally "
    "exactly absolutely bye hi hello".split()
)
TOO_COMMON = "Those words are too common to search: add a rarer word or two."
RARE_SHARE = 0.002  # a word in at most this share of segments is rare enough to fetch meaning candidates by
RARE_WORDS = 3  # the rarest words of a query whose lines search by meaning ranks too
RARE_BUDGET = 4_000  # postings those words' lines may walk, summed


@dataclass(frozen=True, slots=True)
class Hit:
    """One moment that matches a search."""

    episode_id: int
    segment_id: int
    show: str | None
    title: str
    number: int | None
    published: str | None
    start_seconds: float | None
    speaker: str | None
    text: str
    context_before: str | None
    context_after: str | None
    url: str | None
    source: str
    score: float
    highlights: tuple[tuple[int, int], ...] = ()
    match: str = "literal"  # or "meaning": found by a passage close in meaning (score: similarity x 100)

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of `rewind search --json`."""
        plain = ("episode_id", "show", "title", "number", "published", "start_seconds", "speaker", "text")
        return fields_of(self, *plain, "context_before", "context_after", "url", "source") | {
            "score": round(self.score, 2),
            "highlights": [list(span) for span in self.highlights],
            "match": self.match,
        }


class Searcher:
    """Quote search over a store, with the vocabulary cached until the index changes."""

    def __init__(
        self,
        store: SearchStore,
        *,
        recheck_seconds: float = CHANGE_CHECK_SECONDS,
        embedder: Embedder | Default | None = DEFAULT,
    ) -> None:
        self.store = store
        embedder = default_embedder() if isinstance(embedder, Default) else embedder
        self.meaning = MeaningSearch(store, embedder) if embedder is not None else None
        self.recheck_seconds = recheck_seconds
        self._vocabulary: Vocabulary | None = None
        self._marker: IndexVersion | None = None
        self._checked = 0.0
        self._refresh: asyncio.Task[None] | None = None
        self._seen: IndexVersion | None = None  # the index's version when last looked at
        self._next_load = 0.0  # no reload starts before this (time.monotonic)
        self._in_background = False  # set by start(): the first load is never waited for

    def start(self) -> None:
        """Load the vocabulary in the background, and answer searches meanwhile without it (the
        bot, at start-up). Without this, a first search waits for it (a one-off CLI search)."""
        self._in_background = True
        self._begin_load()

    def _begin_load(self) -> None:
        if self._vocabulary is None and self._refresh is None:
            self._refresh = asyncio.create_task(self._load(None))

    async def vocabulary(self) -> Vocabulary:
        """The current vocabulary, waiting only when none was ever loaded; a changed index starts
        a reload behind it (see `_check`)."""
        await self._check()
        if self._vocabulary is None:
            self._begin_load()
            assert self._refresh is not None
            await asyncio.shield(self._refresh)
        assert self._vocabulary is not None
        return self._vocabulary

    async def refreshed(self) -> Vocabulary:
        """The vocabulary of the index as it is now, waiting for a load (benches and tests)."""
        while True:
            if self._refresh is not None:
                await asyncio.shield(self._refresh)
                continue
            self._seen = await self.store.change_marker()
            if self._vocabulary is not None and self._seen == self._marker:
                return self._vocabulary
            self._refresh = asyncio.create_task(self._load(self._seen))

    async def _check(self) -> None:
        """Start a reload in the background when the index has changed since the last load.

        Writes through this store's connection are noticed at once; another connection's (the
        bot's reindex, a CLI `index` while the bot runs) within `recheck_seconds`. The old
        vocabulary serves until the new one is ready: a load reads every term through a
        connection of its own in a worker thread and takes seconds on a large index (2.7 s at 1M
        segments, 6 s at 3M), and waiting for it made the first search after a reindex that slow.
        Loads are spaced (RELOAD_SPACING times the last one's length): a reindex commits every
        few seconds, and reloading after each commit kept a core busy for the whole reindex.
        """
        now = time.monotonic()
        if self._vocabulary is not None and now < self._checked + self.recheck_seconds and self._marker_is_current():
            return
        self._seen = await self.store.change_marker()
        self._checked = now
        if self._seen != self._marker and self._refresh is None and now >= self._next_load:
            self._refresh = asyncio.create_task(self._load(self._seen))

    async def _load(self, marker: IndexVersion | None) -> None:
        began = time.monotonic()
        try:
            marker = marker or await self.store.change_marker()
            counts, segments = await self.store.vocabulary_snapshot()
            self._vocabulary = await asyncio.to_thread(Vocabulary, counts, segments)
            if self.meaning is not None:
                await self.meaning.reload()
            self._marker = marker  # read before the snapshot: a later write is noticed again
        finally:
            self._refresh = None
            self._next_load = time.monotonic() + RELOAD_SPACING * (time.monotonic() - began)

    async def _fresh_for(self, query: ParsedQuery) -> Vocabulary:
        """The vocabulary to plan `query` with, never waiting for a load: while one is under way
        (or before the first), the words the current vocabulary lacks are counted in the index
        itself, so a word a reindex just added is found; spelling corrections come with the load."""
        if self._vocabulary is None and not self._in_background:
            return await self.vocabulary()
        await self._check()
        vocabulary = self._vocabulary
        if vocabulary is not None and self._seen == self._marker:
            return vocabulary
        words = [w for phrase in query.phrases for w in phrase] + list(query.words)
        missing = [w for w in dict.fromkeys(words) if vocabulary is None or w not in vocabulary]
        if vocabulary is not None and not missing:
            return vocabulary
        counts, segments = await self.store.term_counts(missing)
        return Vocabulary(counts, segments) if vocabulary is None else vocabulary.with_counts(counts)

    def _marker_is_current(self) -> bool:
        return self._marker is not None and self._marker.own == self.store.writes

    async def search(self, text: str, *, limit: int = 5, filters: SearchFilters | None = None) -> list[Hit]:
        """The best `limit` moments for `text`; QueryError explains unusable input. With search by
        meaning on, a close literal match stands alone, else literal and meaning hits are fused; a
        topic question ("the episode about X") lists episodes, each at its best moment."""
        query = parse_query(text, filters)
        where = await self._segment_filter(query.filters)
        if where is None:
            return []
        meaning = self.meaning
        subject = topic_subject(text) if meaning is not None else None
        idea = remembered_idea(text) if meaning is not None and subject is None else text
        if subject is not None or idea != text:  # searched for what it asks about, not how it asks
            query = parse_query(subject or idea, query.filters)
        started: asyncio.Future[list[tuple[Candidate, float]]] | None = None

        def unsure() -> None:  # no close match yet: search by meaning while the literal search goes on
            nonlocal started
            if started is None and meaning is not None and meaning.index is not None:
                rare = rare_words(query.words, self._vocabulary)
                started = meaning.start(query.text, where, limit, topic=subject is not None, rare=rare)

        if subject is not None or idea != text:
            unsure()  # a topic, or a memory framed as one ("the bit where they said..."): from the start
        try:
            hits = await self._literal(query, where, limit, unsure)
        except QueryError:
            if meaning is None or not meaning.ready:
                raise
            hits = []
        if meaning is None or not meaning.ready or (subject is None and hits and hits[0].score >= CONFIDENT):
            if started is not None:
                started.cancel()  # not needed: a close literal match stands alone
            return hits
        unsure()
        assert started is not None
        found = await started
        meant = [_hit(c, 100 * similarity, (), "meaning") for c, similarity in found]
        return meant if subject is not None else fuse(hits, meant, _same_moment, limit)

    async def _literal(
        self, query: ParsedQuery, where: SegmentFilter, limit: int, unsure: Callable[[], None] = lambda: None
    ) -> list[Hit]:
        vocabulary = await self._fresh_for(query)
        plan = candidate_plan(query, vocabulary)
        scorer = QuoteScorer(query.text)
        found: list[Candidate] = []
        try:
            found = await self.store.candidates(plan.precise, where, CANDIDATES, time_limit=STAGE_SECONDS)
        except QueryTimeout as error:  # a precise plan of common words may be too slow
            if plan.broad is None and plan.partial is None:
                raise QueryError(TOO_COMMON) from error
        hits = rank(query, found, vocabulary, limit, scorer)
        if hits and hits[0].score >= CONFIDENT:
            return hits
        unsure()
        if plan.broad is not None:
            try:
                found += await self._more(plan.broad, where, found)
            except QueryTimeout as error:
                if hits:
                    return hits
                raise QueryError(TOO_COMMON) from error
            hits = rank(query, found, vocabulary, limit, scorer)
        if plan.partial is None or (hits and hits[0].score >= CONFIDENT):
            return hits
        try:
            partial = await self._more(plan.partial, where, found)
        except QueryTimeout:
            return hits
        return rank(query, [*found, *(c for c in partial if scorer(c) >= PARTIAL_FLOOR)], vocabulary, limit, scorer)

    async def _more(self, plan: TermQuery, where: SegmentFilter, found: list[Candidate]) -> list[Candidate]:
        """Candidates for `plan` that are not in `found` already."""
        seen = {c.segment_id for c in found}
        more = await self.store.candidates(plan, where, CANDIDATES, time_limit=STAGE_SECONDS)
        return [c for c in more if c.segment_id not in seen]

    async def random_quote(
        self, filters: SearchFilters | None = None, *, rng: random.Random | None = None
    ) -> Hit | None:
        """A random line worth quoting: a full sentence, not filler, not a sponsor read. QueryError
        when every try ran past its time limit (a busy machine)."""
        where = await self._segment_filter(checked_filters(filters or SearchFilters()))
        if where is None:
            return None
        rng = rng or random.Random()
        timed_out = 0
        for _ in range(RANDOM_TRIES):
            try:
                found = await self.store.random_candidates(where, 200, rng.random())
            except QueryTimeout:
                timed_out += 1
                continue
            # the first quotable line in a random order: as fair as choosing among all of them,
            # without checking all 200 (that was most of the time a pick took)
            quote = next((c for c in rng.sample(found, len(found)) if is_quotable(c.text)), None)
            if quote is not None:
                return _hit(quote, 0.0, ())
        if timed_out == RANDOM_TRIES:
            raise QueryError("The archive is busy right now: try again in a moment.")
        return None

    async def _segment_filter(self, filters: SearchFilters) -> SegmentFilter | None:
        """Resolve show and episode names to ids; None when a filter matches nothing."""
        show_ids = None
        if filters.show:
            show_ids = match_names(filters.show, await self.store.show_titles())
            if not show_ids:
                return None
        episode_ids = None
        if filters.episode:
            episode_ids = await self._episode_ids(filters.episode, show_ids)
            if not episode_ids:
                return None
        return SegmentFilter(
            show_ids=show_ids,
            episode_ids=episode_ids,
            speaker=filters.speaker,
            after=filters.after.isoformat() if filters.after else None,
            before=filters.before.isoformat() if filters.before else None,
        )

    async def resolve_episode(self, episode: str) -> tuple[int, ...]:
        """Ids of the episodes `episode` names: an autocomplete `id:N`, a number, or a title.
        QueryError for a value that cannot name one (invalid text, digits past 64 bits, `²`)."""
        return await self._episode_ids(checked_value("episode", episode) or "", None)

    async def _episode_ids(self, episode: str, show_ids: tuple[int, ...] | None) -> tuple[int, ...]:
        reference = episode_reference(episode)
        if reference is not None and reference[0] == "id":  # an autocomplete choice
            return (reference[1],)
        if reference is not None:
            return tuple(await self.store.episode_ids(reference[1], show_ids))
        rows = [(row[0], row[1]) for row in await self.store.episode_titles()]
        return match_names(episode, rows)


WORDS_FOUND = 2 / 3  # of a fuzzy name's words of 3+ letters, the share that must be (nearly) in the match


def match_names(
    wanted: str, rows: Sequence[tuple[int, str]], cutoff: float = 80.0, margin: float = 5.0
) -> tuple[int, ...]:
    """Ids whose name has `wanted`'s words exactly (ignoring case and punctuation) or, failing that,
    the closest fuzzy matches: those within `margin` of the best score."""
    names = {row_id: normalised(name) for row_id, name in rows if name}
    folded = normalised(wanted)
    exact = tuple(row_id for row_id, name in names.items() if name == folded)
    if exact or not folded:
        return exact
    found = [
        (score, key)
        for name, score, key in process.extract(folded, names, scorer=fuzz.WRatio, score_cutoff=cutoff, limit=10)
        if _words_found(folded.split(), name.split()) >= WORDS_FOUND  # not one shared word ("episode")
    ]
    return tuple(key for score, key in found if score >= found[0][0] - margin)


def _words_found(wanted: Sequence[str], name: Sequence[str]) -> float:
    """The share of `wanted`'s words of 3+ letters that `name` has, typos allowed."""
    words = [w for w in wanted if len(w) >= 3] or list(wanted)
    found = sum(1 for w in words if process.extractOne(w, name, scorer=fuzz.ratio, score_cutoff=80) is not None)
    return found / len(words) if words else 0.0


@dataclass(frozen=True, slots=True)
class CandidatePlan:
    """Bounded candidate queries: a precise one tried first, a broad one if it falls short, and a
    partial one (the quote less the word likeliest to be wrong) if nothing is close yet."""

    precise: TermQuery
    broad: TermQuery | None
    partial: TermQuery | None = None


def candidate_plan(query: ParsedQuery, vocabulary: Vocabulary) -> CandidatePlan:
    """Plan the candidate queries for `query` over this vocabulary.

    Costs are bounded up front, from the vocabulary's counts, because FTS5 does not stop for
    SQLite's progress handler inside its own loops. An AND costs about the postings of its
    rarest term (FTS5 skips through the others), and bm25 then scores every matching row, so:
    precise is the rarest terms ANDed (a quote typed right is in their intersection), or, when
    that intersection could be large, the rarest words close together or the quote as a phrase
    (see _close_together); broad, for quotes misremembered
    past correction, is the segments holding all but one or two of the rarest uncommon terms;
    partial is precise again without the words in no transcript or, failing those, the rarest
    word (in a quote of common words and one rare one, broad is that word alone). Quoted
    phrases are required by all three.
    """
    groups = sorted(
        {group for word in dict.fromkeys(query.words) if (group := term_group(word, vocabulary))},
        key=lambda group: (_documents(group, vocabulary), group),
    )
    if not groups:
        raise QueryError("None of those words are in any transcript: check the spelling.")
    rare = [g for g in groups if not any(vocabulary.is_common(term) for term in g)]
    matches = _documents(groups[0], vocabulary)
    phrases = [p for p in query.phrases if all(w in vocabulary for w in p)]
    close = _close_together(query, groups, phrases, vocabulary) if matches > RANK_BUDGET else None
    if close is None and matches > PRECISE_BUDGET:
        raise QueryError(TOO_COMMON)
    partial = _partial_expression(query.words, groups, phrases, vocabulary)
    if close is not None:
        precise, broad = close
    else:
        precise, broad = _precise_expression([query.words], groups, phrases, vocabulary), None
        assert precise is not None  # one run of every word, the rarest within budget
    if broad is None and len(query.words) >= LONG_QUOTE:
        broad = _runs_expression(query.words, phrases, vocabulary)
    elif broad is None:
        broad = _broad_expression(rare[:BROAD_TERMS], phrases, vocabulary)
    return CandidatePlan(precise, broad, partial if partial != precise else None)


def _close_together(
    query: ParsedQuery, groups: list[tuple[str, ...]], phrases: list[tuple[str, ...]], vocabulary: Vocabulary
) -> tuple[TermQuery, TermQuery | None] | None:
    """For a quote of common words, a precise and a fallback plan: its rarest words typed right
    within the quote's length of each other (NEAR, so a word dropped or two swapped still match),
    after the quote as a phrase (split at words in no transcript) when every word is typed right
    or past correction and those words are common or over budget (they are close together in too
    many rows, and the phrase is the cheaper query), or, when a word is misspelt and even the rarest
    word or correction is over budget, the phrase spelt as each word's likeliest correction.
    None when nothing fits. The phrase alone failed
    every such quote with a word dropped or misspelt, and an AND of such words matches tens of
    thousands of rows in a large archive."""
    if len(query.words) < 3:
        return None
    typed = [group[0] for group in groups if group[0] in query.words]  # rarest first
    near = tuple(typed[:NEAR_TERMS])
    close = TermQuery(phrases=tuple(phrases), near=near, within=len(query.words)) if len(near) >= 2 else None
    within_budget = close is not None and vocabulary.documents(near[0]) <= PRECISE_BUDGET
    runs = _known_runs([query.words], vocabulary)
    if len(typed) == len(groups) and runs and not (within_budget and not all(map(vocabulary.is_common, near))):
        return TermQuery(phrases=(*runs, *phrases)), close
    if within_budget:
        return close, None
    if len(typed) == len(groups) or _documents(groups[0], vocabulary) <= PRECISE_BUDGET:
        return None  # a word is misspelt, the rest too common to be near: the plans below
    # ...and even its corrections are too common to fetch rows by, where the plans below refuse the
    # quote: its phrase, each misspelt word spelt as its likeliest correction ("like hwat is the")
    spelled = [word if word in vocabulary else next(iter(term_group(word, vocabulary)), word) for word in query.words]
    spelled_runs = _known_runs([spelled], vocabulary)
    return (TermQuery(phrases=(*spelled_runs, *phrases)), None) if spelled_runs else None


def _precise_expression(
    runs: Sequence[Sequence[str]], groups: list[tuple[str, ...]], phrases: list[tuple[str, ...]], vocabulary: Vocabulary
) -> TermQuery | None:
    """The rarest `groups` ANDed or, when even the rarest is in many rows, the `runs` of words as
    phrases, split at words in no transcript, with the spellings of those words; None when nothing
    fits PRECISE_BUDGET."""
    matches = _documents(groups[0], vocabulary) if groups else PRECISE_BUDGET + 1
    if matches > PRECISE_BUDGET:
        return None
    if matches > RANK_BUDGET and sum(map(len, runs)) >= 3:
        # a misspelt word would make a phrase match nothing: the runs around it, and its spellings
        corrected = {g for w in itertools.chain(*runs) if w not in vocabulary and (g := term_group(w, vocabulary))}
        long_runs = _known_runs(runs, vocabulary)
        within = tuple(sorted(g for g in corrected if _documents(g, vocabulary) <= PRECISE_BUDGET))
        if long_runs:
            return TermQuery(within, phrases=(*long_runs, *phrases))
    # the commonest words would make bm25 load long position lists for every match
    narrowing = [g for g in groups if _documents(g, vocabulary) <= STOPWORD_SHARE * vocabulary.segments]
    return TermQuery(tuple((narrowing or groups)[:MAX_AND_TERMS]), tuple(phrases))


def _known_runs(runs: Sequence[Sequence[str]], vocabulary: Vocabulary) -> list[tuple[str, ...]]:
    """The runs of two or more words in the vocabulary that `runs` hold, split at the others."""
    known = (tuple(part) for run in runs for typed, part in itertools.groupby(run, vocabulary.__contains__) if typed)
    return [run for run in known if len(run) > 1]


def _partial_expression(
    words: Sequence[str], groups: list[tuple[str, ...]], phrases: list[tuple[str, ...]], vocabulary: Vocabulary
) -> TermQuery | None:
    """The precise expression for `words` less those in no transcript or, if every word is in
    one, less the rarest."""
    unknown = {w for w in words if not term_group(w, vocabulary)}
    dropped = unknown or {w for w in words if term_group(w, vocabulary) == groups[0]}
    kept = groups if unknown else groups[1:]
    runs = [list(run) for left_out, run in itertools.groupby(words, key=dropped.__contains__) if not left_out]
    return _precise_expression(runs, kept, phrases, vocabulary)


def _runs_expression(words: Sequence[str], phrases: list[tuple[str, ...]], vocabulary: Vocabulary) -> TermQuery | None:
    """For a long quote, which may span several segments: those holding the two rarest words of
    any run of RUN_WORDS consecutive words (runs overlap by half, so each segment the quote spans
    holds a run, or most of one), dropping the costliest runs to fit BROAD_BUDGET."""
    options: dict[tuple[tuple[str, ...], ...], int] = {}
    for start in range(0, max(1, len(words) - RUN_WORDS // 2), RUN_WORDS // 2):
        run = {group for word in words[start : start + RUN_WORDS] if (group := term_group(word, vocabulary))}
        rarest = tuple(sorted(run, key=lambda group: (_documents(group, vocabulary), group))[:2])
        if rarest:
            options[rarest] = min(_documents(group, vocabulary) for group in rarest)
    kept = sorted(options, key=options.__getitem__)
    while kept and sum(options[option] for option in kept) > BROAD_BUDGET:
        kept.pop()
    return TermQuery(phrases=tuple(phrases), alternatives=tuple(kept)) if kept else None


def _broad_expression(
    rarest: list[tuple[str, ...]], phrases: list[tuple[str, ...]], vocabulary: Vocabulary
) -> TermQuery | None:
    """Segments holding all but one or two of `rarest`, dropping the commoner terms until the
    postings walked fit BROAD_BUDGET; None when even the rarest alone does not."""
    while rarest:
        needed = len(rarest) - 2 if len(rarest) >= 4 else max(1, len(rarest) - 1)
        combinations = list(itertools.combinations(rarest, needed))
        if sum(min(_documents(g, vocabulary) for g in combo) for combo in combinations) <= BROAD_BUDGET:
            return TermQuery(phrases=tuple(phrases), alternatives=tuple(combinations))
        rarest = rarest[:-1]
    return None


def term_group(word: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The indexed terms a query word stands for: itself, or its closest spellings."""
    return (word,) if word in vocabulary else vocabulary.corrections(word)


def _documents(group: tuple[str, ...], vocabulary: Vocabulary) -> int:
    return sum(vocabulary.documents(term) for term in group)


class QuoteScorer:
    """How closely each candidate (alone or spanned with a neighbour) says the quote, each scored
    once however many of a search's stages rank it again.

    rapidfuzz aligns a quote of more than 64 characters slowly (~250 us a window, against ~3 us for
    a short one: its bit-parallel path holds 64), so of a long quote's new candidates only the
    SHORTLIST that share the most of its words with their span are aligned.
    """

    def __init__(self, text: str) -> None:
        self.wanted = normalised(text)
        self._words = frozenset(self.wanted.split())
        self._scores: dict[int, float] = {}
        self._texts: dict[int, tuple[str, str, str]] = {}  # own, before, after: normalised, "" when absent

    def __call__(self, candidate: Candidate) -> float:
        score = self._scores.get(candidate.segment_id)
        if score is None:
            score = self._scores[candidate.segment_id] = _window_score(self.wanted, *self._texts_of(candidate))
        return score

    def worth_scoring(self, candidates: Sequence[Candidate]) -> list[tuple[int, Candidate]]:
        """The candidates to score, with their places in bm25's order."""
        ordered = list(enumerate(candidates))
        if len(self.wanted) <= FAST_QUOTE_CHARACTERS:
            return ordered
        new = [pair for pair in ordered if pair[1].segment_id not in self._scores]
        if len(new) <= SHORTLIST:
            return ordered
        sharing = sorted(
            new, key=lambda pair: -len(self._words.intersection(" ".join(self._texts_of(pair[1])).split()))
        )
        kept = {pair[1].segment_id for pair in sharing[:SHORTLIST]}
        return [pair for pair in ordered if pair[1].segment_id in kept or pair[1].segment_id in self._scores]

    def _shared_words(self, candidate: Candidate) -> int:
        return len(self._words.intersection(" ".join(self._texts_of(candidate)).split()))

    def _texts_of(self, candidate: Candidate) -> tuple[str, str, str]:
        texts = self._texts.get(candidate.segment_id)
        if texts is None:
            before, after = (normalised(text) if text else "" for text in (candidate.before, candidate.after))
            texts = self._texts[candidate.segment_id] = (normalised(candidate.text), before, after)
        return texts


def rank(
    query: ParsedQuery,
    candidates: Sequence[Candidate],
    vocabulary: Vocabulary,
    limit: int,
    scorer: QuoteScorer | None = None,
) -> list[Hit]:
    """Score candidates against the whole query, best first, near-duplicates merged."""
    if not candidates:
        return []
    scorer = scorer or QuoteScorer(query.text)
    scored = [(scorer(candidate) - order * 0.01, candidate) for order, candidate in scorer.worth_scoring(candidates)]
    # (bm25's order breaks ties)
    scored.sort(key=lambda pair: pair[0], reverse=True)
    marked = {term for word in query.words for term in (term_group(word, vocabulary) or (word,))}
    marked = {w for w in marked if not vocabulary.is_common(w) or len(marked) < 3}
    hits: list[Hit] = []
    seen_texts: set[str] = set()
    for score, candidate in scored:
        if score < MIN_SCORE or len(hits) >= limit:
            break
        text = normalised(candidate.text)
        if text in seen_texts or any(_near(candidate, hit) for hit in hits):
            continue
        seen_texts.add(text)
        hits.append(_hit(candidate, score, highlight(candidate.text, marked)))
    return hits


def _window_score(wanted: str, own: str, before: str, after: str) -> float:
    windows = [own]
    if after:
        windows.append(f"{own} {after}")
    best = max(
        fuzz.partial_ratio(wanted, window) if len(window) >= len(wanted) else fuzz.ratio(wanted, window)
        for window in windows
    )
    if before and best < 100:  # a quote that began in the previous segment belongs to that one
        best = max(best, fuzz.partial_ratio(wanted, f"{before} {own}") - 1.0)
        if after and wanted.count(" ") >= LONG_QUOTE - 1:  # a long quote may run on into the next
            spanned = f"{before} {own} {after}"
            scorer = fuzz.partial_ratio if len(spanned) >= len(wanted) else fuzz.ratio
            best = max(best, scorer(wanted, spanned) - 1.0)
    return best


def _near(candidate: Candidate, hit: Hit) -> bool:
    return _close(candidate, hit, NEAR_SECONDS, segments=1)


def _close(a: Candidate | Hit, b: Hit, seconds: float, *, segments: int) -> bool:
    """Whether two moments of one episode lie within `seconds` (within `segments` rows when untimed)."""
    if a.episode_id != b.episode_id:
        return False
    if a.start_seconds is None or b.start_seconds is None:
        return abs(a.segment_id - b.segment_id) <= segments
    return abs(a.start_seconds - b.start_seconds) < seconds


def highlight(text: str, words: set[str]) -> tuple[tuple[int, int], ...]:
    """Character spans of the words of `text` that the query asked for."""
    return tuple((start, end) for start, end, folded in token_spans(text) if folded in words)


def is_quotable(text: str) -> bool:
    """A complete sentence of some substance: not filler, not a sponsor read."""
    if not text.rstrip().endswith((".", "!", "?")):
        return False
    words = tokens(text)
    if not 8 <= len(words) <= 60:
        return False
    said = f" {' '.join(words)} "
    if SPONSOR_WORDS.intersection(words) or any(f" {phrase} " in said for phrase in SPONSOR_PHRASES):
        return False
    substantive = [w for w in words if w not in FILLER and len(w) > 3]
    return len(substantive) >= 4 and words[0] not in FILLER


def rare_words(words: Sequence[str], vocabulary: Vocabulary | None) -> tuple[str, ...]:
    """Up to RARE_WORDS of `words`, rarest first, each in at most RARE_SHARE of the segments and
    together in at most RARE_BUDGET (none before the vocabulary is loaded): names and rare terms
    the model may not know, whose lines search by meaning ranks beside the nearest passages."""
    if vocabulary is None:
        return ()
    ceiling = RARE_SHARE * vocabulary.segments
    known = {w for w in words if w not in STOPWORDS and 0 < vocabulary.documents(w) <= ceiling}
    kept: list[str] = []
    walked = 0
    for word in sorted(known, key=lambda w: (vocabulary.documents(w), w))[:RARE_WORDS]:
        walked += vocabulary.documents(word)
        if walked > RARE_BUDGET:
            break
        kept.append(word)
    return tuple(kept)


def _same_moment(meaning: Hit, literal: Hit) -> bool:
    return _close(meaning, literal, SAME_MOMENT_SECONDS, segments=2)


# A hit's fields that are its candidate's, as they are.
_FROM_CANDIDATE = "episode_id segment_id show title number published start_seconds speaker text source".split()


def _hit(candidate: Candidate, score: float, highlights: tuple[tuple[int, int], ...], match: str = "literal") -> Hit:
    return Hit(
        **fields_of(candidate, *_FROM_CANDIDATE),
        context_before=candidate.before,
        context_after=candidate.after,
        url=deep_link(candidate.url, candidate.start_seconds),
        score=score,
        highlights=highlights,
        match=match,
    )

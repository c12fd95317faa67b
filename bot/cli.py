"""The `rewind` command line: index, episodes, search, random, summary, onthisday, rebuild, feeds, migrate,
indexer, run."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from dotenv import dotenv_values, find_dotenv, load_dotenv
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from bot.config import Settings, SettingsError, database_target, is_database_url
from bot.errors import InvalidInput
from bot.feeds import FeedFollower, PollReport
from bot.ingest.indexer import IndexReport, index_paths
from bot.jobs import report_of
from bot.onthisday import DailyPost, build_post, parse_day
from bot.reindex import EXIT_LOCKED, work_through
from bot.render import daily_heading, timestamp
from bot.search.engine import Hit, Searcher
from bot.search.query import QueryError, checked_filters
from bot.summary import Summary
from bot.summary.service import Summaries
from models.episodes import EpisodeRow
from models.errors import StoreError
from models.jobs import IndexJob
from models.search import SearchFilters
from models.state import FeedRow
from storage import Store  # noqa: TID251 (a composition root)
from storage.errors import database_problem  # noqa: TID251 (a composition root)
from storage.locks import indexer_lock  # noqa: TID251 (a composition root)
from storage.opening import open_store  # noqa: TID251 (a composition root)
from storage.postgres import shown_url  # noqa: TID251 (a composition root)
from storage.postgres.copy import copy_sqlite_into  # noqa: TID251 (a composition root)

log = logging.getLogger(__name__)

TOKEN_HELP = """\
No DISCORD_TOKEN is set, so the bot cannot connect to Discord yet. To get a token:
  1. Open https://discord.com/developers/applications and create an application.
  2. Under "Bot", press "Reset Token" and copy the token.
  3. Put it in .env as DISCORD_TOKEN=... (copy .env.example to .env first).
  4. Invite the bot with the link in README.md ("Invite the bot").
Meanwhile, here is Rewind working on its bundled sample transcripts:"""
SAMPLE_QUERY = "fix the bugs before the users find them"
NEXT_STEPS = """
Next:
  rewind index ~/podcast/transcripts      index your own folder (or set TRANSCRIPT_DIRS in .env)
  rewind search "a line you remember"     search it
  put DISCORD_TOKEN=... in .env, then: rewind run   (README.md: "Invite the bot")"""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rewind` script."""
    dotenv = find_dotenv(usecwd=True)  # the .env of the folder the operator runs from, or above it
    in_file = dotenv_values(dotenv) if dotenv else {}
    # Paths set by the environment itself (not by this .env) are relative to the current folder.
    from_cwd = frozenset(key for key, value in os.environ.items() if in_file.get(key) != value)
    load_dotenv(dotenv)
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_environment(Path(dotenv) if dotenv else None, from_cwd)
    except SettingsError as error:
        print(f"rewind: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(args.handler(args, settings))
    except StoreError as error:
        print(f"rewind: {error}", file=sys.stderr)
        return 1
    except InvalidInput as error:  # a query, an option value, a date or a feed that cannot be used: one line, exit 2
        print(f"rewind: {error}", file=sys.stderr)
        return 2
    except sqlite3.Error as error:  # locked by another writer, made read-only, or damage found by a query
        print(f"rewind: {database_problem(getattr(args, 'db', None) or settings.database, error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rewind", description="Search your podcast's transcripts.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    index = commands.add_parser("index", help="index transcript files and folders")
    index.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _add_common(index)
    index.set_defaults(handler=_index)

    episodes = commands.add_parser("episodes", help="list the indexed episodes")
    _add_common(episodes)
    episodes.set_defaults(handler=_episodes)

    search = commands.add_parser("search", help="find a quote")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=5, help="how many hits (1-25)")
    _add_filters(search)
    _add_common(search)
    search.set_defaults(handler=_search)

    random_quote = commands.add_parser("random", help="a random quotable line")
    _add_filters(random_quote)
    _add_common(random_quote)
    random_quote.set_defaults(handler=_random)

    summary = commands.add_parser("summary", help="summarize an episode")
    summary.add_argument("episode", metavar="EPISODE", help="an episode id, number, or (part of) its title")
    _add_common(summary)
    summary.set_defaults(handler=_summary)

    today = commands.add_parser("onthisday", help="what the daily post would show for a day")
    today.add_argument("--date", help="MM-DD or YYYY-MM-DD (default: today)")
    _add_common(today)
    today.set_defaults(handler=_onthisday)

    rebuild = commands.add_parser(
        "rebuild", help="set a damaged database aside and index the transcripts again into a new one"
    )
    rebuild.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="default: TRANSCRIPT_DIRS from .env")
    rebuild.add_argument("--force", action="store_true", help="rebuild even a healthy database")
    _add_common(rebuild)
    rebuild.set_defaults(handler=_rebuild)

    feeds = commands.add_parser("feeds", help="follow podcast feeds: add, remove, list, poll")
    actions = feeds.add_subparsers(required=True, metavar="ACTION")
    for name, helped in (("add", "follow a feed"), ("remove", "stop following a feed and forget its downloads")):
        action = actions.add_parser(name, help=helped)
        action.add_argument("url", metavar="URL")
        _add_common(action)
        action.set_defaults(handler=_feeds, action=name)
    for name, helped in (("list", "the followed feeds and how their last poll went"),
                         ("poll", "poll every feed now and index what changed")):  # fmt: skip
        action = actions.add_parser(name, help=helped)
        _add_common(action)
        action.set_defaults(handler=_feeds, action=name)

    migrate = commands.add_parser(
        "migrate", help="copy a SQLite index and its settings into an empty PostgreSQL database"
    )
    migrate.add_argument("--to", required=True, metavar="URL", help="postgresql://... of an empty database")
    _add_common(migrate)
    migrate.set_defaults(handler=_migrate)

    indexer = commands.add_parser(
        "indexer", help="run the index jobs `/admin reindex` enqueues (one indexer per database; exit 3 if one runs)"
    )
    indexer.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="default: TRANSCRIPT_DIRS, UPLOAD_DIR, FEED_CACHE_DIR"
    )
    indexer.add_argument("--once", action="store_true", help="run the pending jobs, then exit")
    _add_common(indexer)
    indexer.set_defaults(handler=_indexer)

    run = commands.add_parser("run", help="run the Discord bot (a sample demo when no token is set)")
    run.set_defaults(handler=_run, db=None)
    return parser


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--show", help="only this show (name, fuzzy)")
    parser.add_argument("--speaker", help="only lines by this speaker")
    parser.add_argument("--episode", help="only this episode (number or title)")


def _filters(args: argparse.Namespace) -> SearchFilters:
    return SearchFilters(show=args.show, speaker=args.speaker, episode=args.episode)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=database_target, help="database file or postgresql:// URL (default: REWIND_DB from .env)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


async def _open(args: argparse.Namespace, settings: Settings, *, read_only: bool = False) -> Store:
    """The existing index (read-only when the command only reads); never a new empty one."""
    return await open_store(args.db or settings.database, create=False, read_only=read_only)


def _with_kept_folders(paths: Sequence[Path], settings: Settings) -> list[Path]:
    """The given paths, plus the uploads and feed downloads folders when they exist."""
    extra = [f for f in (settings.upload_dir, settings.feed_cache_dir) if f.is_dir() and f not in paths]
    return [*paths, *extra]


async def _index(args: argparse.Namespace, settings: Settings) -> int:
    store = await open_store(args.db or settings.database)
    try:
        paths = _with_kept_folders(args.paths, settings)
        report, earlier = await _index_into(store, paths, settings, quiet=args.json)
    finally:
        await store.close()
    return _report(args, report, earlier, args.paths)


async def _index_into(
    store: Store, paths: Sequence[Path], settings: Settings, *, quiet: bool
) -> tuple[IndexReport, list[tuple[str, str]]]:
    """Index `paths` showing progress; also return the files still rejected from earlier runs."""
    display = ProgressDisplay(quiet=quiet)
    with logging_redirect_tqdm():  # warnings print above the bar, not into it
        try:
            report = await index_paths(store, paths, workers=settings.index_workers, progress=display)
        finally:
            display.close()
    shown = {r.path for r in report.rejects}
    earlier = [(path, reason) for path, reason in await store.rejected_sources(limit=100) if path not in shown]
    return report, earlier


def _report(
    args: argparse.Namespace, report: IndexReport, earlier: Sequence[tuple[str, str]], paths: Sequence[Path]
) -> int:
    """Print an index run's outcome; 1 when a named path is missing (the others are indexed), else 0."""
    print(json.dumps(report.as_json(), indent=2) if args.json else _describe_report(report, earlier))
    missing = [path for path in paths if not path.exists()]
    for path in missing:
        print(f"rewind: {path} does not exist", file=sys.stderr)
    return 1 if missing else 0


class ProgressDisplay:
    """An index run's progress: a tqdm bar on a terminal, a plain line per tenth of the way otherwise."""

    def __init__(self, *, quiet: bool = False, label: str = "indexing") -> None:
        self.quiet = quiet
        self.label = label
        self._bar: tqdm | None = None
        self._tenths = -1
        self._embedding: ProgressDisplay | None = None

    def __call__(self, done: int, total: int, report: IndexReport) -> None:
        if self.quiet:
            return
        if report.embedding is not None:
            self._embedding = self._embedding or ProgressDisplay(label="embedding")
            self._embedding.show(report.embedding.done, report.embedding.total, "episode")
            return
        self.show(done, total, "file", rejected=len(report.rejects))

    def show(self, done: int, total: int, unit: str, *, rejected: int | None = None) -> None:
        """Move the bar, or print a line when another tenth is done."""
        if sys.stderr.isatty():
            if self._bar is None:
                self._bar = tqdm(total=total, desc=self.label, unit=unit, file=sys.stderr)
            if rejected is not None:
                self._bar.set_postfix(rejected=rejected, refresh=False)
            self._bar.total = max(self._bar.total, total)
            self._bar.update(done - self._bar.n)
        elif (tenths := done * 10 // max(total, 1)) > self._tenths:
            self._tenths = tenths
            extra = "" if rejected is None else f", {rejected} rejected"
            print(f"{self.label} {done}/{total} {unit}s{extra}", file=sys.stderr)

    def close(self) -> None:
        """End the bars."""
        if self._bar is not None:
            self._bar.close()
        if self._embedding is not None:
            self._embedding.close()


def _describe_report(report: IndexReport, earlier: Sequence[tuple[str, str]] = ()) -> str:
    lines = [
        f"{report.files} files: {report.indexed} indexed, {report.unchanged} unchanged, "
        f"{report.twins} duplicates of another format, {len(report.rejects)} rejected, {report.removed} removed",
        f"{report.episodes} episodes and {report.segments} segments written in {report.seconds:.1f} s",
    ]
    lines += [f"  rejected {r.path}: {r.reason}" for r in report.rejects]
    lines += [f"  still rejected {path}: {reason}" for path, reason in earlier]
    return "\n".join(lines)


async def _indexer(args: argparse.Namespace, settings: Settings) -> int:
    folders = args.paths or _with_kept_folders(list(settings.transcript_dirs), settings)
    if not folders:
        print("rewind: name the transcript folders, or set TRANSCRIPT_DIRS in .env", file=sys.stderr)
        return 2
    store = await open_store(args.db or settings.database)
    lock = indexer_lock(store)
    try:
        if not await lock.acquire():
            holder = await lock.holder() or "it just stopped: try again"
            print(f"rewind: another indexer is already running on this database ({holder})", file=sys.stderr)
            return EXIT_LOCKED
        main = asyncio.current_task()
        assert main is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)

        def told(job: IndexJob) -> None:
            print(_describe_job(job, json_lines=args.json), flush=True)

        try:
            failed = await work_through(store, folders, settings.index_workers, once=args.once, told=told)
        except asyncio.CancelledError:  # SIGTERM: the running job is marked stopped
            return 0
        finally:
            await lock.release()
    finally:
        await store.close()
    return 1 if failed and args.once else 0


def _describe_job(job: IndexJob, *, json_lines: bool) -> str:
    """A finished job as one line (JSON with --json)."""
    if json_lines:
        return json.dumps({**job.as_json(), "report": json.loads(job.report) if job.report else None})
    if job.status == "failed":
        return f"job {job.id} ({job.kind}, asked by {job.requested_by}) failed: {job.error}"
    report = report_of(job)
    assert report is not None
    return f"job {job.id} ({job.kind}, asked by {job.requested_by}) done: " + _describe_report(report).replace(
        "\n", "; "
    )


async def _episodes(args: argparse.Namespace, settings: Settings) -> int:
    store = await _open(args, settings, read_only=True)
    try:
        episodes = await store.list_episodes()
    finally:
        await store.close()
    if args.json:
        print(json.dumps([e.as_json() for e in episodes], indent=2, ensure_ascii=False))
    else:
        print(format_episode_table(episodes))
    return 0


def format_episode_table(episodes: Sequence[EpisodeRow]) -> str:
    """A readable table of episodes."""
    if not episodes:
        return "No episodes yet: run `rewind index FOLDER` first."
    rows = [f"{'id':>5}  {'show':<24}  {'#':>5}  {'date':<10}  {'length':>8}  {'segs':>5}  title"]
    for e in episodes:
        rows.append(
            f"{e.id:>5}  {(e.show or '-')[:24]:<24}  {'' if e.number is None else e.number:>5}  "
            f"{e.published or '':<10}  {timestamp(e.duration_seconds):>8}  {e.segments:>5}  {e.title[:60]}"
        )
    return "\n".join(rows)


async def _search(args: argparse.Namespace, settings: Settings) -> int:
    store = await _open(args, settings, read_only=True)
    try:
        hits = await Searcher(store).search(args.query, limit=max(1, min(args.limit, 25)), filters=_filters(args))
    finally:
        await store.close()
    if args.json:
        print(json.dumps([h.as_json() for h in hits], indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(format_hit(h) for h in hits) or "No matching quote.")
    return 0


async def _random(args: argparse.Namespace, settings: Settings) -> int:
    filters = checked_filters(_filters(args))  # a value that cannot be used: exit 2, as for search
    store = await _open(args, settings, read_only=True)
    try:
        hit = await Searcher(store).random_quote(filters)
    except QueryError as error:
        print(f"rewind: {error}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    if args.json:
        print(json.dumps(hit.as_json() if hit else None, indent=2, ensure_ascii=False))
    else:
        print(format_hit(hit) if hit else "No quotable line found.")
    return 0


def format_hit(hit: Hit) -> str:
    """A hit as readable lines: where, when, who, and the words with the matched ones in brackets."""
    where = f"{hit.show or 'Unknown show'} - {hit.title}"
    if hit.published:
        where += f" ({hit.published})"
    when = f" @ {timestamp(hit.start_seconds)}" if hit.start_seconds is not None else ""
    who = f"{hit.speaker}: " if hit.speaker else ""
    text = hit.text
    for start, end in reversed(hit.highlights):
        text = f"{text[:start]}[{text[start:end]}]{text[end:]}"
    lines = [f"{where}{when}", f"    {who}{text}"]
    if hit.url:
        lines.append(f"    {hit.url}")
    return "\n".join(lines)


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    source = args.db or settings.database
    if isinstance(source, str) or not is_database_url(args.to):
        print("rewind: migrate copies a SQLite file (--db or REWIND_DB) --to a postgresql:// URL", file=sys.stderr)
        return 2
    await (await Store.open(source, create=False)).close()  # brings the file to the latest schema first
    target = await open_store(args.to)
    try:
        copied = await copy_sqlite_into(source, target)
    finally:
        await target.close()
    if args.json:
        print(json.dumps(copied, indent=2))
    else:
        counts = ", ".join(f"{count} {table}" for table, count in copied.items())
        print(f"Copied {source} into {shown_url(args.to)}: {counts}; every table counted on both sides.")
    return 0


async def _rebuild(args: argparse.Namespace, settings: Settings) -> int:
    folders = _with_kept_folders(args.paths or list(settings.transcript_dirs), settings)
    if not folders:
        print("rewind: name the transcript folders, or set TRANSCRIPT_DIRS in .env", file=sys.stderr)
        return 2
    database = args.db or settings.database
    if isinstance(database, str):
        print("rewind: rebuild sets a damaged SQLite file aside; REWIND_DB is a PostgreSQL database", file=sys.stderr)
        return 2
    readable = await _readable(database)
    if readable and not args.force:
        message = f"rewind: {database} is healthy: `rewind index` updates it; `rewind rebuild --force` starts over"
        print(message, file=sys.stderr)
        return 2
    kept = set_aside(database)
    if kept:
        print(f"The old database is kept as {kept}.", file=sys.stderr)
    store = await Store.open(database)
    try:
        if kept and readable:
            copied = await store.keep_settings_of(kept)
            print(f"Kept from the old database: {', '.join(copied) or 'nothing'}.", file=sys.stderr)
        report, earlier = await _index_into(store, folders, settings, quiet=args.json)
    finally:
        await store.close()
    return _report(args, report, earlier, args.paths or list(settings.transcript_dirs))


async def _readable(database: Path) -> bool:
    """Whether the database exists and passes its checks (migrated first, as any open does)."""
    try:
        store = await Store.open(database, check=True, create=False)
    except (StoreError, sqlite3.DatabaseError):
        return False
    await store.close()
    return True


def set_aside(database: Path) -> Path | None:
    """Move a database and its WAL files to `NAME.damaged-TIMESTAMP*`; return the new name, if any."""
    if not database.exists():
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    target = database.with_name(f"{database.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{database}{suffix}")
        if part.exists():
            part.rename(f"{target}{suffix}")
    return target


async def _summary(args: argparse.Namespace, settings: Settings) -> int:
    store = await _open(args, settings)
    try:
        searcher = Searcher(store)
        ids = await searcher.resolve_episode(args.episode)
        if len(ids) > 1:
            named = [row for row in await store.list_episodes() if row.id in ids]
            print(f"rewind: {args.episode!r} names {len(ids)} episodes; pick one as id:N:", file=sys.stderr)
            print(format_episode_table(named), file=sys.stderr)
            return 2
        made = await Summaries(store, searcher).summary(ids[0]) if ids else None
    finally:
        await store.close()
    if made is None:
        print(f"rewind: no episode matches {args.episode!r}; see `rewind episodes`", file=sys.stderr)
        return 2
    print(json.dumps(made.as_json(), indent=2, ensure_ascii=False) if args.json else format_summary(made))
    return 0


def format_summary(summary: Summary) -> str:
    """A summary as readable lines: the episode, its gist, keywords, chapters and quotes."""
    number = f" #{summary.number}" if summary.number is not None else ""
    facts = ", ".join(f for f in (summary.published, timestamp(summary.duration_seconds)) if f)
    lines = [f"{summary.show or 'Unknown show'}{number} – {summary.title}" + (f" ({facts})" if facts else "")]
    if summary.speakers:
        lines.append("Speakers: " + ", ".join(summary.speakers))
    lines += ["", "Gist:"] + [f"  {_at(m.start_seconds)}{m.text}" for m in summary.gist]
    if summary.keywords:
        lines += ["", "Keywords: " + ", ".join(summary.keywords)]
    if summary.chapters:
        lines += ["", "Chapters:"] + [f"  {_at(c.start_seconds)}{c.title}" for c in summary.chapters]
    if summary.quotes:
        lines += ["", "Quotes:"] + [f"  {_at(m.start_seconds)}\u201c{m.text}\u201d" for m in summary.quotes]
    if not summary.gist:
        lines.append("  (no transcript or show notes to summarize)")
    return "\n".join(lines)


def _at(seconds: float | None) -> str:
    return f"{timestamp(seconds):>8}  " if seconds is not None else ""


async def _onthisday(args: argparse.Namespace, settings: Settings) -> int:
    today = dt.date.today()  # noqa: DTZ011 - the operator's own calendar day
    day = parse_day(args.date, today) if args.date else today
    store = await _open(args, settings)
    try:
        searcher = Searcher(store)
        post = await build_post(store, Summaries(store, searcher), day, settings.onthisday_fallbacks)
    finally:
        await store.close()
    print(json.dumps(post.as_json(), indent=2, ensure_ascii=False) if args.json else format_post(post))
    return 0


def format_post(post: DailyPost) -> str:
    """The daily post as readable lines."""
    if not post.episodes:
        return f"Nothing came out on {post.day:%B} {post.day.day} in earlier years."
    lines = [daily_heading(post)]
    for entry in post.episodes:
        number = f" #{entry.number}" if entry.number is not None else ""
        lines += ["", f"{entry.published} · {entry.show or 'Unknown show'}{number} – {entry.title}"]
        if entry.summary:
            lines.append(f"  {entry.summary}")
        if entry.highlight:
            at = f" ({timestamp(entry.highlight.start_seconds)})" if entry.highlight.start_seconds is not None else ""
            lines.append(f"  \u201c{entry.highlight.text}\u201d{at}")
            if entry.highlight.url:
                lines.append(f"  {entry.highlight.url}")
    return "\n".join(lines)


async def _feeds(args: argparse.Namespace, settings: Settings) -> int:
    store = await Store.open(args.db or settings.database)  # `feeds add` may be the first command
    try:
        follower = FeedFollower(
            store,
            settings.feed_cache_dir,
            lambda paths: index_paths(store, paths),
            poll_minutes=settings.feed_poll_minutes,
        )
        if args.action == "poll":
            reports = await follower.poll_all()
            print(json.dumps([r.as_json() for r in reports], indent=2) if args.json else format_polls(reports))
            return 1 if reports and all(r.status == "error" for r in reports) else 0
        if args.action == "list":
            rows = await follower.feeds.feeds()
            print(json.dumps([r.as_json() for r in rows], indent=2) if args.json else format_feeds(rows))
            return 0
        row = await (follower.add(args.url) if args.action == "add" else follower.remove(args.url))
    finally:
        await store.close()
    done = "Following" if args.action == "add" else "No longer following"
    print(json.dumps(row.as_json()) if args.json else f"{done} {row.url}.")
    return 0


def format_feeds(rows: Sequence[FeedRow]) -> str:
    """The followed feeds, one line each, with the last poll's trouble beneath."""
    if not rows:
        return "No feeds followed yet: `rewind feeds add URL`."
    lines = []
    for row in rows:
        lines.append(f"{row.url}  {row.status}, {row.items} items, last polled {row.last_polled_at or 'never'}")
        if row.last_error:
            lines.append(f"    {row.last_error} (failed {row.failures}x; next try {row.next_poll_at})")
        lines += [f"    download {url}: {reason}" for url, reason in row.failed_downloads]
    return "\n".join(lines)


def format_polls(reports: Sequence[PollReport]) -> str:
    """What a poll of every feed did."""
    if not reports:
        return "No feeds followed yet: `rewind feeds add URL`."
    lines = []
    for r in reports:
        lines.append(f"{r.url}: {r.status}, {r.items} items, {len(r.new_episodes)} new, "
                     f"{r.transcripts_fetched} transcripts fetched")  # fmt: skip
        lines += [f"    {url}: {reason}" for url, reason in r.errors]
    return "\n".join(lines)


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.token is None and os.environ.get("INVOCATION_ID"):  # a systemd unit: fail it, say why
        print("rewind: DISCORD_TOKEN is not set; put the bot token in .env (see README.md)", file=sys.stderr)
        return 2
    if settings.token is None:
        print(TOKEN_HELP)
        await run_sample_demo()
        print(NEXT_STEPS)
        return 0
    from bot.client import run_bot  # imported late: only this path needs discord.py loaded

    await run_bot(settings)
    return 0


async def run_sample_demo() -> None:
    """Index the bundled samples into a throw-away database and answer one search."""
    sample = resources.files("bot") / "sample"
    with resources.as_file(sample) as folder, tempfile.TemporaryDirectory() as scratch:
        store = await Store.open(Path(scratch) / "sample.db")
        try:
            report = await index_paths(store, [folder])
            print(_describe_report(report))
            hits = await Searcher(store).search(SAMPLE_QUERY, limit=1)
            print(f'\nSearching for "{SAMPLE_QUERY}":')
            print("\n".join(format_hit(h) for h in hits) or "No matching quote.")
        finally:
            await store.close()

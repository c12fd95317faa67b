"""Indexing cost against the number of files: many small transcripts in one folder.

    python bench/many_files_bench.py [--files 20000] [--steps 4] [--no-embed]

Writes N tiny SRT files (two cues each) into one scratch folder and indexes them into a fresh
database, for N = files/steps, 2*files/steps ... files, then runs the same index again (all
unchanged). Prints seconds and files per second for each size; linear cost shows as a steady rate.
The time spent embedding passages for search by meaning is printed apart (`--no-embed` skips it).
Anchor (issue 13, before the fix): 4,000 files 16 s, 8,000 files 46 s, 20,000 did not finish in 150 s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.ingest import indexer  # noqa: E402
from bot.ingest.indexer import index_paths  # noqa: E402
from storage import Store  # noqa: E402

CUES = (
    "1\n00:00:01,000 --> 00:00:03,000\nFile {n} talks about topic {n}.\n\n"
    "2\n00:00:04,000 --> 00:00:06,000\nAnd then it ends.\n\n"
)


def write_files(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"ep-{n}-small-talk.srt").write_text(CUES.format(n=n), encoding="utf-8")


EMBEDDING = [0.0]


def time_embedding(embed_pending):
    async def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return await embed_pending(*args, **kwargs)
        finally:
            EMBEDDING[0] += time.perf_counter() - started

    return timed


async def index_once(folder: Path, database: Path) -> tuple[float, int, int, float]:
    store = await Store.open(database)
    EMBEDDING[0] = 0.0
    try:
        started = time.perf_counter()
        report = await index_paths(store, [folder])
        return time.perf_counter() - started, report.indexed, report.unchanged, EMBEDDING[0]
    finally:
        await store.close()


async def run(files: int, steps: int) -> None:
    print(f"{'files':>7}  {'first run s':>11}  {'embedding s':>11}  {'files/s':>8}  {'again s':>8}  indexed/unchanged")
    for step in range(1, steps + 1):
        count = files * step // steps
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch) / "show"
            write_files(folder, count)
            database = Path(scratch) / "rewind.db"
            seconds, indexed, _, embedding = await index_once(folder, database)
            again, _, unchanged, _ = await index_once(folder, database)
            rate = count / max(seconds - embedding, 1e-9)  # files a second, embedding aside
            print(
                f"{count:>7}  {seconds:>11.1f}  {embedding:>11.1f}  {rate:>8.0f}  {again:>8.1f}  {indexed}/{unchanged}"
            )
    print("anchor before the fix: 4,000 files 16 s, 8,000 files 46 s, 20,000 > 150 s (not finished)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--no-embed", action="store_true", help="skip embedding passages (another feature's cost)")
    args = parser.parse_args()
    if args.no_embed:
        indexer.default_embedder = lambda: None
    indexer.embed_pending = time_embedding(indexer.embed_pending)
    asyncio.run(run(args.files, args.steps))


if __name__ == "__main__":
    main()

"""Feed polling cost and the event loop while a feed is fetched and indexed, through the bot's code.

    python bench/feed_bench.py [--feeds 50] [--items 300] [--transcripts 50] [--cues 600]

A publisher runs in a separate process on 127.0.0.1 (so its CPU is not counted). Two measures:

1. Polling `--feeds` feeds of `--items` items each when nothing changed (each answers 304): the
   CPU time (user + system) of this process for one round. Anchor: under 1 s for 50 x 300.
2. The worst event-loop lag (how late a 5 ms ticker wakes) while one new feed of `--items` items,
   `--transcripts` of them with a VTT transcript of `--cues` cues, is fetched and indexed through
   `Reindexer.index` (as the bot does). Anchor: under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aiohttp import web  # noqa: E402

from bot.feeds import FeedFollower  # noqa: E402
from bot.reindex import Reindexer  # noqa: E402
from storage import Store  # noqa: E402
from tests.feed_server import Publisher, item, rss, vtt  # noqa: E402

TICK = 0.005


def publisher(feeds: int, items: int, transcripts: int, cues: int) -> Publisher:
    served = Publisher()
    for f in range(feeds):
        episodes = [item(n, f"Episode {n} of show {f}") for n in range(1, items + 1)]
        served.feeds[f"/f{f}.xml"] = rss(f"Show {f}", episodes)
        served.validators[f"/f{f}.xml"] = "etag"
    lines = [f"Line {c} of a long conversation about lighthouses and the sea." for c in range(cues)]
    served.files.update({f"/t/{n}.vtt": vtt(*lines) for n in range(1, transcripts + 1)})
    episodes = [
        item(n, f"Big episode {n}", transcripts=((f"/t/{n}.vtt", "text/vtt"),) if n <= transcripts else ())
        for n in range(1, items + 1)
    ]
    served.feeds["/big.xml"] = rss("Big Show", episodes)
    served.validators["/big.xml"] = "etag"
    return served


def serve(port: int, sizes: tuple[int, int, int, int]) -> None:
    served = publisher(*sizes)
    served.base = f"http://127.0.0.1:{port}"
    web.run_app(served.app(), host="127.0.0.1", port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise SystemExit("the publisher did not start")


async def measure(args: argparse.Namespace, base: str, scratch: Path) -> None:
    database = scratch / "rewind.db"
    store = await Store.open(database)
    reindexer = Reindexer(database, [], 0)
    follower = FeedFollower(store, scratch / "feeds", reindexer.index)
    for f in range(args.feeds):
        await follower.add(f"{base}/f{f}.xml")
    started = time.perf_counter()
    first = await follower.poll_all()
    print(f"first poll of {args.feeds} feeds x {args.items} items: {time.perf_counter() - started:.1f} s wall, "
          f"{sum(r.items for r in first)} items, statuses {sorted({r.status for r in first})}")  # fmt: skip

    cpu = time.process_time()
    wall = time.perf_counter()
    again = await follower.poll_all()
    cpu = time.process_time() - cpu
    print(f"unchanged round: {cpu:.3f} s CPU (anchor < 1 s), {time.perf_counter() - wall:.3f} s wall, "
          f"statuses {sorted({r.status for r in again})}")  # fmt: skip

    lags: list[float] = []

    async def ticker() -> None:
        while True:
            due = time.perf_counter() + TICK
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - due)

    ticking = asyncio.create_task(ticker())
    await follower.add(f"{base}/big.xml")
    wall = time.perf_counter()
    (big,) = await follower.poll_all(due_only=True)
    elapsed = time.perf_counter() - wall
    ticking.cancel()
    lags.sort()
    print(f"new feed of {big.items} items, {big.transcripts_fetched} transcripts of {args.cues} cues fetched and "
          f"indexed in {elapsed:.1f} s; errors {big.errors[:2]}")  # fmt: skip
    print(f"event-loop lag: worst {lags[-1] * 1000:.1f} ms (anchor < 100 ms), "
          f"p99 {lags[int(len(lags) * 0.99)] * 1000:.1f} ms, median {lags[len(lags) // 2] * 1000:.1f} ms")  # fmt: skip
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--transcripts", type=int, default=50)
    parser.add_argument("--cues", type=int, default=600)
    args = parser.parse_args()
    port = free_port()
    sizes = (args.feeds, args.items, args.transcripts, args.cues)
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(port, sizes), daemon=True)
    server.start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            asyncio.run(wait_for(port))
            asyncio.run(measure(args, f"http://127.0.0.1:{port}", Path(scratch)))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()

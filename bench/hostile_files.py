"""Time and peak memory of indexing hostile files, each in a fresh `rewind index` process.

    python bench/hostile_files.py

Writes each file into a scratch folder (the 200 MB one is sparse on disk), indexes it with the
real CLI in a subprocess, and prints what happened, the wall time and the process's peak RSS,
beside a normal hour-long transcript for scale.
"""

from __future__ import annotations

import gzip
import io
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def normal(path: Path) -> None:
    path.write_text("".join(f"{i // 3600:02}:{i // 60 % 60:02}:{i % 60:02} A sentence said at second {i}.\n"
                            for i in range(0, 3600, 4)), encoding="utf-8")  # fmt: skip


def one_line(path: Path) -> None:
    with path.open("wb") as handle:
        handle.write(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n")
        handle.seek(200 * 1024 * 1024)
        handle.write(b"word\n")


def long_line(path: Path) -> None:  # just under the size limit: read and parsed
    path.write_bytes(b"00:00:01 " + b"word " * 3_000_000 + b"\n")


def tiny_cues(path: Path) -> None:
    path.write_text("WEBVTT\n\n" + "".join(f"00:{i // 60 % 60:02}.{i % 1000:03} --> 00:59.999\nx\n\n"
                                           for i in range(1_000_000)), encoding="utf-8")  # fmt: skip


def laughs(path: Path) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' * 10 + '">' for i in range(1, 10)
    )
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>&lol9;</title>'
        "<item><title>&lol9;</title><description>&lol9;</description></item></channel></rss>",
        encoding="utf-8",
    )


def gzip_bomb(path: Path) -> None:
    path.write_bytes(gzip.compress(b"WEBVTT\n\n" + b"0" * 100_000_000))


def zip_bomb(path: Path) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.vtt", b"\0" * 200_000_000)
    path.write_bytes(packed.getvalue())


def binary(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40_000)


def broken_utf8(path: Path) -> None:
    good = "".join(f"00:00:{i % 60:02} Line {i} about the lever.\n" for i in range(2000)).encode()
    path.write_bytes(good[:20_000] + b"\xff\xfe\xc3\x28\x80" * 100 + good[20_000:])


CASES = {
    "normal hour (900 lines)": ("normal.txt", normal),
    "200 MB in one line": ("one-line.vtt", one_line),
    "15 MB in one line": ("long-line.txt", long_line),
    "10^6 tiny cues": ("tiny.vtt", tiny_cues),
    "billion laughs feed": ("laughs.xml", laughs),
    "gzip bomb as .vtt": ("bomb.vtt", gzip_bomb),
    "zip bomb as .vtt": ("zipped.vtt", zip_bomb),
    "binary": ("binary.srt", binary),
    "invalid UTF-8 inside": ("broken.txt", broken_utf8),
}


# One process per file: the CLI, then the peak RSS (MB) of it and of its parse workers.
MEASURED = """
import contextlib, resource, sys
from bot.cli import main
with contextlib.redirect_stderr(None):
    main(["index", sys.argv[1], "--db", sys.argv[2], "--json"])
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(peak / 1024, file=sys.stderr)
"""


def main() -> None:
    print("| file | outcome | seconds | peak RSS MB |\n|---|---|---|---|")
    for name, (filename, make) in CASES.items():
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch) / "in"
            folder.mkdir()
            # Made in a process of its own: Linux children inherit their parent's peak RSS, so
            # building a 200 MB bomb here would inflate every later measurement.
            maker = multiprocessing.get_context("spawn").Process(target=make, args=(folder / filename,))
            maker.start()
            maker.join()
            command = [sys.executable, "-c", MEASURED, str(folder), f"{scratch}/r.db"]
            began = time.perf_counter()
            run = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
            seconds = time.perf_counter() - began
            peak = float(run.stderr.strip().splitlines()[-1]) if run.returncode == 0 else float("nan")
            report = json.loads(run.stdout) if run.returncode == 0 else {}
            outcome = (
                f"rejected: {report['rejected'][0]['reason'][:60]}"
                if report.get("rejected")
                else f"indexed, {report.get('segments', '?')} segments"
                if report
                else f"exit {run.returncode}"
            )
            print(f"| {name} | {outcome} | {seconds:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()

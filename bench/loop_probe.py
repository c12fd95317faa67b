"""What holds an event loop up, for bench/reindex_load.py --explain.

Each late wake-up of a ticker is split by the loop thread's own scheduler statistics
(/proc/thread-self/schedstat) into time on a CPU (the loop's own work: a long callback), time
runnable but waiting for a CPU (the machine's load) and time asleep past the tick (waiting for the
GIL, which another thread holds, or for a blocking call). A sampling thread notes what the loop
thread runs every few milliseconds, and every callback that runs longer than the threshold is
recorded with its thread CPU time (what asyncio's debug mode logs as a slow callback, without the
cost of debug mode's tracebacks).
"""

from __future__ import annotations

import asyncio
import collections
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = str(Path(__file__).resolve().parents[1])
SAMPLE_SECONDS = 0.005


def schedstat(path: str = "/proc/thread-self/schedstat") -> tuple[float, float]:
    """Seconds this thread (or the one at `path`) has run on a CPU and waited runnable for one."""
    try:
        with open(path) as file:
            ran, waited, _ = file.read().split()
    except OSError:  # not Linux, or the thread has ended
        return 0.0, 0.0
    return int(ran) / 1e9, int(waited) / 1e9


def others_ran() -> dict[str, float]:
    """CPU seconds of each of this process's other threads so far."""
    me = str(threading.get_native_id())
    try:
        tasks = [t for t in os.listdir("/proc/self/task") if t != me]
    except OSError:
        return {}
    return {t: schedstat(f"/proc/self/task/{t}/schedstat")[0] for t in tasks}


@dataclass
class Late:
    """One late wake-up: how late, and where the time went."""

    lag: float
    ran: float
    queued: float
    frames: collections.Counter[str] = field(default_factory=collections.Counter)
    sampler_gap: float = 0.0
    siblings: float = 0.0  # CPU time this process's other threads had meanwhile

    @property
    def asleep(self) -> float:
        return max(0.0, self.lag - self.ran - self.queued)


def where(frame: object) -> str:
    """The innermost frame of the project's own code under `frame`, and the innermost of all."""
    innermost = None
    own = None
    while frame is not None:
        code = frame.f_code  # type: ignore[attr-defined]
        label = f"{code.co_name} ({Path(code.co_filename).name}:{frame.f_lineno})"  # type: ignore[attr-defined]
        innermost = innermost or label
        if own is None and code.co_filename.startswith(REPO) and "/.venv/" not in code.co_filename:
            own = label
        frame = frame.f_back  # type: ignore[attr-defined]
    return innermost if own in (None, innermost) else f"{own} > {innermost}"


class LoopProbe:
    """Ticks on the loop, samples the loop thread, times its callbacks."""

    def __init__(self, tick: float, threshold: float) -> None:
        self.tick, self.threshold = tick, threshold
        self.lags: list[float] = []
        self.late: list[Late] = []
        self.slow_callbacks: list[tuple[float, float, str]] = []  # wall, thread CPU, callback
        self._samples: collections.deque[tuple[float, str]] = collections.deque(maxlen=4000)
        self._gaps: collections.deque[tuple[float, float]] = collections.deque(maxlen=4000)
        self._loop_thread = threading.get_ident()
        self._sampling = threading.Event()
        self._patched = False

    def _sample(self) -> None:
        last = time.perf_counter()
        while not self._sampling.wait(SAMPLE_SECONDS):
            now = time.perf_counter()
            frame = sys._current_frames().get(self._loop_thread)
            self._samples.append((now, where(frame) if frame is not None else "?"))
            self._gaps.append((now, now - last))
            last = now

    def _time_callbacks(self) -> None:
        run = asyncio.events.Handle._run
        probe = self

        def timed(handle: asyncio.Handle) -> None:
            wall, cpu = time.perf_counter(), time.thread_time()
            run(handle)
            wall = time.perf_counter() - wall
            if wall > probe.threshold:
                probe.slow_callbacks.append((wall, time.thread_time() - cpu, repr(handle)[:160]))

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]
        self._restore = run
        self._patched = True

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop`, recording every wake-up's lag and explaining the late ones."""
        self._time_callbacks()
        sampler = threading.Thread(target=self._sample, daemon=True, name="loop-probe")
        sampler.start()
        try:
            while not stop.is_set():
                ran, queued = schedstat()
                before = others_ran()
                asked = time.perf_counter()
                await asyncio.sleep(self.tick)
                woke = time.perf_counter()
                lag = woke - asked - self.tick
                self.lags.append(lag)
                if lag > self.threshold:
                    ran2, queued2 = schedstat()
                    late = Late(lag, ran2 - ran, queued2 - queued)
                    late.siblings = sum(t - before.get(tid, t) for tid, t in others_ran().items())
                    late.frames.update(label for at, label in list(self._samples) if asked <= at <= woke)
                    late.sampler_gap = max((gap for at, gap in list(self._gaps) if asked <= at <= woke), default=0.0)
                    self.late.append(late)
        finally:
            self._sampling.set()
            sampler.join()
            if self._patched:
                asyncio.events.Handle._run = self._restore  # type: ignore[method-assign]

    def report(self, worst: int = 8) -> list[str]:
        """Lines explaining the late wake-ups, the worst first."""
        lines = []
        if self.late:
            total = sum(late.lag for late in self.late)
            ran = sum(late.ran for late in self.late)
            queued = sum(late.queued for late in self.late)
            siblings = sum(late.siblings for late in self.late)
            lines.append(
                f"late wake-ups (> {1000 * self.threshold:.0f} ms): {len(self.late)}, {1000 * total:.0f} ms in all: "
                f"loop thread on a CPU {100 * ran / total:.0f}%, waiting for a CPU {100 * queued / total:.0f}%, "
                f"asleep (the GIL, a blocking call) {100 * max(0.0, total - ran - queued) / total:.0f}%; "
                f"meanwhile the process's other threads ran {100 * siblings / total:.0f}% of that time"
            )
        for late in sorted(self.late, key=lambda late: -late.lag)[:worst]:
            seen = ", ".join(f"{label} x{n}" for label, n in late.frames.most_common(3))
            lines.append(
                f"  {1000 * late.lag:.0f} ms late: ran {1000 * late.ran:.0f}, queued {1000 * late.queued:.0f}, "
                f"asleep {1000 * late.asleep:.0f} ms; other threads ran {1000 * late.siblings:.0f} ms; "
                f"sampler's longest gap {1000 * late.sampler_gap:.0f} ms; "
                f"loop thread seen in: {seen or 'nothing (the sampler never ran)'}"
            )
        for wall, cpu, callback in sorted(self.slow_callbacks, reverse=True)[:worst]:
            lines.append(f"  slow callback {1000 * wall:.0f} ms (thread CPU {1000 * cpu:.0f} ms): {callback}")
        return lines

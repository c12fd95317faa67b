"""Process-wide settings for the numpy and onnxruntime work of search by meaning."""

from __future__ import annotations

import contextlib
import ctypes


def one_blas_thread() -> None:
    """Keep numpy's BLAS to one thread for the whole process: for products as small as the scan's
    its threads cost more than they save (a 1,700 x 384 product took 3.9 ms of CPU with two
    threads, 0.06 ms with one, on the shared machine), and the bot's two cores have other work."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def release_freed_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's malloc_trim; elsewhere nothing):
    loading the model and the vectors frees large temporaries that malloc would otherwise keep
    (about 60 and 90 MB at a million segments)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)

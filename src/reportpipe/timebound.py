"""Work on one untrusted input, bounded in time.

Python-Markdown is super-linear on some input (a long line of `[`, many `*a`): a 2 MB
chapter could take hours. Each chapter is therefore converted in a forked worker
process with a deadline; a worker past it is killed and the chapter reported, so one
hostile file costs at most the bound, and the message names it. Where the platform has
no fork, the work runs in-process (bounded only by the command's --timeout).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: The bound per content file for the Markdown stage, in seconds; the environment
#: variable REPORTPIPE_MARKDOWN_SECONDS overrides it (tests use a short one).
MARKDOWN_SECONDS = 10.0


def markdown_seconds() -> float:
    try:
        value = float(os.environ.get("REPORTPIPE_MARKDOWN_SECONDS", MARKDOWN_SECONDS))
    except ValueError:
        return MARKDOWN_SECONDS
    return value if 0 < value <= 3600 else MARKDOWN_SECONDS


class TookTooLongError(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s")
        self.seconds = seconds


class DeepRecursionError(Exception):
    """The work ran out of stack (input nested too deeply)."""


class WorkerFailedError(Exception):
    pass


def run_bounded(work: Callable[[], T], seconds: float) -> T:
    """`work()`, run in a forked process and killed after `seconds`. Raises
    TookTooLongError, DeepRecursionError (for a RecursionError in the work) or
    WorkerFailedError (for anything else it raised, or a worker that died)."""
    if not hasattr(os, "fork"):
        try:
            return work()
        except RecursionError:
            raise DeepRecursionError from None
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        status = 0
        try:
            os.close(reader)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            try:
                outcome: tuple[str, object] = ("ok", work())
            except RecursionError:
                outcome = ("recursion", None)
            except Exception as exc:
                outcome = ("failed", f"{type(exc).__name__}: {exc}")
            data = pickle.dumps(outcome)
            view = memoryview(data)
            while view:
                view = view[os.write(writer, view) :]
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(writer)
    done = False
    try:
        answer = _read_until(reader, time.monotonic() + seconds)
        if answer is None:
            raise TookTooLongError(seconds)
        data = answer
        os.waitpid(pid, 0)
        done = True
    finally:
        os.close(reader)
        if not done:
            _kill(pid)
    if not data:
        raise WorkerFailedError("the worker ended without an answer")
    kind, value = pickle.loads(data)
    if kind == "recursion":
        raise DeepRecursionError
    if kind == "failed":
        raise WorkerFailedError(str(value))
    result: T = value
    return result


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to `fd` until it closes, or None at the deadline."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)

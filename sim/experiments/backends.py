"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

Like a court that can hand files to colleagues in the same office or to another
court by commission (委托), a backend takes a list of independent tasks and hands
back each result with its position in the list. The caller puts them back in
order, so the tables do not depend on who computed what, or when.

A backend is opened once and may serve many experiments (a capacity or staffing
search runs dozens); close it with ``with`` or :meth:`Backend.close`. The process
pool and the Dask client are created on first use, never at import.

Local workers die with the process that started them: each watches its parent and
exits as soon as it is gone (a ``kill -9`` of ``courtsim run --jobs 2`` used to leave
its workers running for minutes, 210 MB each).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol, TypeVar

__all__ = [
    "Backend",
    "DaskBackend",
    "ProcessBackend",
    "SerialBackend",
    "die_with_parent",
    "make_backend",
    "worker_count",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Backend(Protocol):
    """Runs ``func`` over ``items`` and yields ``(index, result)`` as each finishes.

    A backend whose workers see this process's files says so with ``shares_files = True``
    (the shipped ones: this process, a local pool, a Dask LocalCluster); a run's workers then
    keep their own replications in its results folder (:mod:`sim.experiments.resume`). One
    without the attribute is taken not to share them.
    """

    name: str
    workers: int

    def imap(self, func: Callable[[T], R], items: Sequence[T]) -> Generator[tuple[int, R], None, None]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Backend: ...

    def __exit__(self, *exc: object) -> None: ...


def worker_count(jobs: int) -> int:
    """``jobs`` worker processes, ``0`` meaning all cores of this machine."""
    if jobs < 0:
        raise ValueError(f"jobs must be 0 (all cores) or a positive number (got {jobs})")
    return (os.cpu_count() or 1) if jobs == 0 else jobs


class _Closing:
    """``with backend:`` closes it at the end."""

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        """Release the workers."""


class SerialBackend(_Closing):
    """Everything in this process, in order (one worker; easiest to debug and profile)."""

    name = "serial"
    workers = 1
    shares_files = True

    def imap(self, func: Callable[[T], R], items: Sequence[T]) -> Generator[tuple[int, R], None, None]:
        """Yield ``(i, func(items[i]))`` for each item in turn."""
        for index, item in enumerate(items):
            yield index, func(item)


class ProcessBackend(_Closing):
    """A pool of local worker processes, kept open across experiments until closed.

    Workers are started the platform's default way (``fork`` on Linux up to Python
    3.13, ``forkserver`` from 3.14, ``spawn`` elsewhere); with the latter two, a
    script must guard its entry point with ``if __name__ == "__main__":``.
    """

    name = "processes"
    shares_files = True

    def __init__(self, jobs: int = 0) -> None:
        self.workers = worker_count(jobs)
        self._pool: ProcessPoolExecutor | None = None

    def imap(self, func: Callable[[T], R], items: Sequence[T]) -> Generator[tuple[int, R], None, None]:
        """Submit every item, then yield results as they complete."""
        if self.workers == 1 or len(items) <= 1:
            yield from SerialBackend().imap(func, items)
            return
        pool = self._open()
        futures: dict[Future[R], int] = {pool.submit(func, item): i for i, item in enumerate(items)}
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                batch = sorted(done, key=futures.__getitem__)
                del done
                while batch:
                    # Each future is let go once its result is handed on: a future holds its
                    # result, and a caller that keeps the results elsewhere (or drops them: the
                    # tables of a run kept on disk) must not find them all held here until the end.
                    future = batch.pop(0)
                    index, result = futures.pop(future), future.result()
                    del future
                    yield index, result
                    del result
        finally:
            # Interrupted or failed: drop queued work instead of running it to the end.
            for future in futures:
                future.cancel()

    def _open(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(),
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def close(self) -> None:
        """Stop the workers (queued tasks are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


PARENT_CHECK_SECONDS = 0.5
"""How often a worker looks for its parent: an orphan lives at most this long (plus a replication's
current Python bytecode, which is interrupted at once: the check runs in its own thread)."""


def die_with_parent(parent: int) -> None:
    """In a worker: exit as soon as process ``parent`` is gone (it was killed, or crashed).

    A daemon thread compares :func:`os.getppid` with ``parent`` (an orphan is adopted by
    init or a subreaper, so its parent id changes) and ends the process with
    :func:`os._exit`, which needs no cooperation from the replication running. A thread
    rather than Linux's ``PR_SET_PDEATHSIG``: that signal fires when the *thread* that
    started the worker ends, which may be long before its process does, and it is Linux only.
    """
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="courtsim-parent-watch", daemon=True).start()


class DaskBackend(_Closing):
    """Tasks on a Dask cluster: an existing scheduler (``tcp://host:port``) or a LocalCluster.

    ``address="local"`` starts a LocalCluster of ``jobs`` single-threaded worker
    processes (the model holds the GIL, so threads would not help) and stops it
    on close. Needs ``dask[distributed]``.
    """

    name = "dask"

    def __init__(self, address: str = "local", jobs: int = 0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("the Dask backend needs dask[distributed]: pip install 'dask[distributed]'") from exc
        self.address = address
        self.shares_files = address == "local"  # a LocalCluster's workers run on this machine
        self._cluster: Any = None
        self._quieted: int | None = None
        if address == "local":
            # The scheduler lives in this process and logs every worker and client at INFO;
            # keep that out of a user's terminal while the cluster lives. A dashboard on a
            # free port (":0") never collides with another cluster's 8787.
            distributed_log = logging.getLogger("distributed")
            self._quieted = distributed_log.level
            distributed_log.setLevel(max(logging.WARNING, distributed_log.getEffectiveLevel()))
            options = {
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": ":0",
                "silence_logs": logging.WARNING,
            }
            self._cluster = LocalCluster(n_workers=worker_count(jobs), **options)  # type: ignore[no-untyped-call]
            self._client: Any = Client(self._cluster)  # type: ignore[no-untyped-call]
        else:
            self._client = Client(address, timeout="30s")  # type: ignore[no-untyped-call]
        self.workers = max(1, sum(w["nthreads"] for w in self._client.scheduler_info()["workers"].values()))

    def imap(self, func: Callable[[T], R], items: Sequence[T]) -> Generator[tuple[int, R], None, None]:
        """Scatter the items as tasks (``pure=False``: never deduplicated) and yield as they finish."""
        from distributed import as_completed

        futures = self._client.map(func, list(items), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                yield index[future.key], future.result()
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        """Close the client, and the LocalCluster if this backend started it."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        if self._quieted is not None:
            logging.getLogger("distributed").setLevel(self._quieted)
            self._quieted = None


def make_backend(jobs: int = 0, scheduler: str | None = None) -> SerialBackend | ProcessBackend | DaskBackend:
    """The backend the CLI options ask for.

    Parameters
    ----------
    jobs : int
        Local worker processes (``0`` = all cores); with ``scheduler="local"`` the
        number of Dask workers.
    scheduler : str, optional
        ``None`` for the local process pool; ``"local"`` for a Dask LocalCluster;
        ``"tcp://HOST:PORT"`` (or any Dask address) for a running Dask scheduler.
    """
    if scheduler is None:
        return SerialBackend() if worker_count(jobs) == 1 else ProcessBackend(jobs)
    if scheduler != "local" and "://" not in scheduler:
        raise ValueError(f"--scheduler must be 'local' or an address like tcp://HOST:PORT (got {scheduler!r})")
    return DaskBackend(scheduler, jobs)

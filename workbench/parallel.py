"""An ordered, bounded map over forked worker processes, for pure-Python stages of a report.

:func:`ordered_map` runs ``fn(item)`` for every item of an iterable on ``workers`` processes
(default: one per available core) and yields the results **in the order of the items**, so the
output is the same whatever the number of workers. This process works too (every ``workers``-th
item is run here, the others on ``workers − 1`` forked workers) and at most ``2 · workers`` items
are in flight, so memory holds a few items, not the whole input (a ``Pool.imap`` would read every
item into its task queue at once).

The workers are forked: ``fn`` and anything it reads from module globals (a compiled lexicon, a
registry) are inherited, never pickled; only the items and results travel. Without ``fork``
(Windows, macOS' default) or with one core, or for fewer than ``min_items`` items, the map runs in
this process, with the same results.
"""
from __future__ import annotations

import gc
import os
from collections import deque
from itertools import islice
from typing import Callable, Iterable, Iterator, TypeVar

__all__ = ["ordered_map", "available_cpus"]

T = TypeVar("T")
R = TypeVar("R")


def available_cpus() -> int:
    """Cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _freeze() -> None:
    """Pool initializer: exempt everything inherited from the parent from the cyclic GC (a full
    collection would walk, and so copy-on-write, all of the parent's memory)."""
    gc.freeze()


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None,
                min_items: int = 2) -> Iterator[R]:
    """``fn(item)`` for each item, in order, on ``workers`` processes (see the module docstring).

    ``fn`` must be a module-level function (forked workers call it by reference). An exception in
    a worker is raised here, and the workers are stopped.
    """
    import multiprocessing as mp

    n_proc = available_cpus() if workers is None else max(1, int(workers))
    it = iter(items)
    head = list(islice(it, max(int(min_items), 1)))
    if n_proc <= 1 or len(head) < min_items or "fork" not in mp.get_all_start_methods():
        for item in head:
            yield fn(item)
        for item in it:
            yield fn(item)
        return

    def numbered() -> Iterator[tuple[int, T]]:
        yield from enumerate(head)
        for i, item in enumerate(it, start=len(head)):
            yield i, item

    source = numbered()
    window: deque = deque()
    pool = mp.get_context("fork").Pool(n_proc - 1, initializer=_freeze)

    def fill() -> None:
        while len(window) < 2 * n_proc:
            nxt = next(source, None)
            if nxt is None:
                return
            i, item = nxt
            window.append((True, item) if i % n_proc == 0 else (False, pool.apply_async(fn, (item,))))

    try:
        fill()
        while window:
            here, job = window.popleft()
            result = fn(job) if here else job.get()
            fill()
            yield result
        pool.close()
        pool.join()
    finally:
        pool.terminate()

"""The process backend hands each result on and keeps no reference to it (the page's memory)."""

from __future__ import annotations

import gc
import weakref

from sim.experiments.backends import ProcessBackend


class Box:
    """A result that can be watched with a weak reference (a tuple cannot)."""

    def __init__(self, value: int) -> None:
        self.value = value


def boxed(value: int) -> Box:
    return Box(value)


def test_a_result_handed_on_is_not_held_by_the_pool() -> None:
    with ProcessBackend(2) as pool:
        results = pool.imap(boxed, [0, 1, 2, 3])
        index, first = next(results)
        watched = weakref.ref(first)
        del first
        seen = [index, next(results)[0]]  # the generator resumes: it lets the first result go
        gc.collect()
        assert watched() is None, "the pool still holds a result it has handed on"
        seen += [i for i, _ in results]
    assert sorted(seen) == [0, 1, 2, 3]

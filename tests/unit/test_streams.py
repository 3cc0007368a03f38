"""Named random streams: a stream's numbers depend only on (seed, replication, name)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import sim.streams
from sim.streams import Streams, stream_key


def draws(streams: Streams, name: str, n: int = 8) -> np.ndarray:
    return streams.get(name).random(n)


def test_same_seed_replication_and_name_give_identical_draws() -> None:
    a, b = Streams(2024, 3), Streams(2024, 3)
    np.testing.assert_array_equal(draws(a, "cases.interarrival"), draws(b, "cases.interarrival"))


@pytest.mark.parametrize(
    ("other", "name"),
    [
        ((2024, 3), "cases.amount_cny"),
        ((2024, 4), "cases.interarrival"),
        ((2025, 3), "cases.interarrival"),
    ],
    ids=["name", "replication", "seed"],
)
def test_changing_name_replication_or_seed_changes_draws(other: tuple[int, int], name: str) -> None:
    base = draws(Streams(2024, 3), "cases.interarrival")
    assert not np.array_equal(base, draws(Streams(*other), name))


def test_issuing_another_stream_in_between_shifts_nothing() -> None:
    plain = Streams(7, 0)
    x, y = draws(plain, "x"), draws(plain, "y")
    busy = Streams(7, 0)
    busy.get("extra.team_only_in_scenario_b").random(1000)  # consumed heavily, too
    y2 = draws(busy, "y")
    busy.get("another")
    x2 = draws(busy, "x")
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


def test_seed_derivation_is_pinned() -> None:
    """Regression: a change of hashing or spawn-key layout would change every result."""
    first = Streams(2024, 0).get("cases.interarrival").random()
    assert first == 0.9497968088427614


def test_reusing_a_name_raises() -> None:
    streams = Streams(1, 0)
    streams.get("effort.verify_filing")
    with pytest.raises(ValueError, match=r"'effort\.verify_filing' already issued"):
        streams.get("effort.verify_filing")
    assert streams.issued == ("effort.verify_filing",)


def test_a_key_collision_is_reported_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.streams, "stream_key", lambda name: 42)
    streams = Streams(1, 0)
    streams.get("a")
    with pytest.raises(ValueError, match="'b' collides with 'a'"):
        streams.get("b")


def test_stream_key_is_stable_and_64_bit() -> None:
    # Computed once from blake2b; Python's salted hash() would differ between processes.
    assert stream_key("cases.interarrival") == 18236203229694121832
    assert stream_key("执行.财产处置") == stream_key("执行.财产处置")
    assert 0 <= stream_key("执行.财产处置") < 2**64


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"base_seed": -1, "replication": 0}, "base_seed"),
        ({"base_seed": 1, "replication": -2}, "replication"),
        ({"base_seed": 1.5, "replication": 0}, "base_seed"),
        ({"base_seed": 1, "replication": True}, "replication"),
    ],
)
def test_seed_and_replication_must_be_non_negative_integers(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(ValueError, match=f"^{argument} must be a non-negative integer"):
        Streams(**kwargs)  # type: ignore[arg-type]


def test_seed_and_replication_are_read_only() -> None:
    streams = Streams(np.int64(5), 2)  # type: ignore[arg-type]
    assert (streams.base_seed, streams.replication) == (5, 2)
    assert type(streams.base_seed) is int
    with pytest.raises(AttributeError):
        streams.base_seed = 6  # type: ignore[misc]


def test_empty_name_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        Streams(1, 0).get("")


names = st.text(min_size=1, max_size=40)


@given(a=names, b=names, seed=st.integers(0, 2**63), rep=st.integers(0, 10_000))
def test_distinct_names_give_distinct_streams(a: str, b: str, seed: int, rep: int) -> None:
    assume(a != b)
    streams = Streams(seed, rep)
    assert not np.array_equal(draws(streams, a), draws(streams, b))


@given(first=names, second=names, seed=st.integers(0, 2**63))
def test_draws_do_not_depend_on_issue_order(first: str, second: str, seed: int) -> None:
    assume(first != second)
    forward, backward = Streams(seed, 1), Streams(seed, 1)
    f1, f2 = draws(forward, first), draws(forward, second)
    b2, b1 = draws(backward, second), draws(backward, first)
    np.testing.assert_array_equal(f1, b1)
    np.testing.assert_array_equal(f2, b2)

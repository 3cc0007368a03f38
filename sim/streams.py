"""Named random-number streams for one replication.

Think of a stream as a numbered roll of raffle tickets kept for one purpose only:
"case arrivals", "effort for verify_filing". Each roll is printed from
(base seed, replication, name), so adding a roll for a new purpose, or a team that
exists in one scenario only, never reshuffles the tickets on the other rolls. That is
what keeps the i-th case identical across scenarios (common random numbers) and runs
reproducible whatever else changes.

The seeds come from :class:`numpy.random.SeedSequence` with
``spawn_key=(replication, stream_key(name))``; ``stream_key`` hashes the name with
BLAKE2b rather than Python's ``hash()``, which is salted per process.
"""

from __future__ import annotations

import hashlib
import operator

import numpy as np

__all__ = ["Streams", "stream_key"]


def stream_key(name: str) -> int:
    """Stable 64-bit key for a stream name.

    Parameters
    ----------
    name
        The stream's name, e.g. ``"cases.interarrival"``.

    Returns
    -------
    int
        The first 8 bytes of BLAKE2b(UTF-8 name), little-endian, in [0, 2**64).

    Notes
    -----
    Built-in ``hash()`` changes between processes, so parallel workers would disagree;
    a 32-bit key (e.g. CRC-32) would start colliding at about 10**5 names (one stream
    per case), while 64 bits keep collisions out of reach.
    """
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _non_negative_int(value: int, argument: str) -> int:
    # operator.index accepts int and numpy integers but not floats or strings; bools are
    # ints to Python but never a meaningful seed, so they are refused explicitly.
    if isinstance(value, bool):
        raise ValueError(f"{argument} must be a non-negative integer (got {value!r})")
    try:
        number = operator.index(value)
    except TypeError:
        raise ValueError(f"{argument} must be a non-negative integer (got {value!r})") from None
    if number < 0:
        raise ValueError(f"{argument} must be a non-negative integer (got {number})")
    return number


class Streams:
    """Independent random-number streams for one replication, addressed by name.

    Parameters
    ----------
    base_seed
        The experiment's seed, >= 0.
    replication
        The replication number, >= 0.

    Notes
    -----
    Each name may be issued once per ``Streams`` object: two consumers sharing a
    generator would make each one's draws depend on the other's, which is exactly the
    coupling named streams exist to prevent.
    """

    __slots__ = ("_base_seed", "_issued", "_replication")

    def __init__(self, base_seed: int, replication: int) -> None:
        self._base_seed = _non_negative_int(base_seed, "base_seed")
        self._replication = _non_negative_int(replication, "replication")
        self._issued: dict[int, str] = {}

    @property
    def base_seed(self) -> int:
        """The experiment's seed."""
        return self._base_seed

    @property
    def replication(self) -> int:
        """The replication number."""
        return self._replication

    @property
    def issued(self) -> tuple[str, ...]:
        """Names issued so far, in issue order (for run manifests and debugging)."""
        return tuple(self._issued.values())

    def get(self, name: str) -> np.random.Generator:
        """Issue the generator for ``name``.

        Its numbers depend only on (base_seed, replication, name), never on which
        other streams were issued or in what order.

        Raises
        ------
        ValueError
            If ``name`` is empty, or was already issued (or its 64-bit key collides
            with a name already issued) by this object.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"stream name must be a non-empty string (got {name!r})")
        key = stream_key(name)
        if key in self._issued:  # one consumer per stream; also catches key collisions
            earlier = self._issued[key]
            detail = "already issued" if earlier == name else f"collides with {earlier!r}"
            raise ValueError(f"stream {name!r} {detail}; use a distinct name per consumer")
        self._issued[key] = name
        seq = np.random.SeedSequence(self._base_seed, spawn_key=(self._replication, key))
        return np.random.default_rng(seq)

    def __repr__(self) -> str:
        return f"Streams(base_seed={self._base_seed}, replication={self._replication}, issued={len(self._issued)})"

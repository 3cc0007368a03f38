"""Extensions on every worker: your own KPIs, policy rules and distribution families.

Like a court's standing orders sent with every file handed to a colleague, each task
sent to a worker process (a local pool or a Dask cluster) carries a *manifest* of the
registries of the process that sent it: the KPI register (:data:`sim.metrics.KPIS`),
the triage, dispatch and handler rules (:mod:`sim.rules`) and the distribution
families (:data:`sim.config.distspec.DISTRIBUTIONS`). Every entry not defined in
``sim`` itself is sent **by reference** (module and name; pickling imports the module
in the worker, which registers it); the worker then makes its registries exactly the
sender's, in the same order, so a KPI table has the same rows whoever computed it.

An extension a worker cannot import (defined in ``__main__``: a notebook cell, a
script run directly; or inside a function) is refused before any work is sent, with
a message saying what to do. In this process (one worker) nothing needs sending.

The manifest's :func:`fingerprint` (the KPI ids in order, and each extension's module
path with a hash of its module's source) is part of the replication cache's key, so
adding, removing or editing a KPI or rule never serves numbers computed without it.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import marshal
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sim.config.distspec import DISTRIBUTIONS
from sim.metrics import KPI, KPIS
from sim.rules import DISPATCH, HANDLERS, TRIAGE, Registry

__all__ = ["ExtensionError", "Manifest", "Shipped", "extensions", "fingerprint", "install", "manifest", "shipped"]

T = TypeVar("T")
R = TypeVar("R")

_RULES: dict[str, Registry[Any]] = {registry.kind: registry for registry in (TRIAGE, DISPATCH, HANDLERS, DISTRIBUTIONS)}
"""The rule registries a manifest carries, by the kind its messages name."""


class ExtensionError(ValueError):
    """An extension that worker processes could not import."""


@dataclass(frozen=True)
class Manifest:
    """What a worker needs to hold the sender's registries.

    ``kpis`` and each of ``rules`` give every registered name in order, with the entry
    itself for the extensions (entries defined outside ``sim``; ``None`` for built-ins,
    which every worker has).
    """

    kpis: tuple[tuple[str, KPI | None], ...]
    rules: tuple[tuple[str, tuple[tuple[str, Callable[..., Any] | None], ...]], ...]


def _is_extension(func: Callable[..., Any]) -> bool:
    module = getattr(func, "__module__", None) or ""
    return not (module == "sim" or module.startswith("sim."))


def manifest() -> Manifest:
    """This process's registries, extensions by reference (see :class:`Manifest`)."""
    kpis = tuple((kpi_id, kpi if _is_extension(kpi.func) else None) for kpi_id, kpi in KPIS.items())
    rules = tuple(
        (kind, tuple((name, rule if _is_extension(rule) else None) for name, rule in registry.items()))
        for kind, registry in _RULES.items()
    )
    return Manifest(kpis, rules)


def extensions(of: Manifest | None = None) -> Iterator[tuple[str, str, Callable[..., Any]]]:
    """Every extension as ``(kind, name, function)``: KPIs first, then rules by kind."""
    of = of or manifest()
    for kpi_id, kpi in of.kpis:
        if kpi is not None:
            yield "KPI", kpi_id, kpi.func
    for kind, entries in of.rules:
        for name, rule in entries:
            if rule is not None:
                yield ("distribution family" if kind == "distribution" else f"{kind} rule"), name, rule


def _where(func: Callable[..., Any]) -> str:
    return f"{getattr(func, '__module__', '?')}:{getattr(func, '__qualname__', '?')}"


def check_importable(of: Manifest | None = None) -> None:
    """Refuse (:class:`ExtensionError`) an extension that another process cannot import by name."""
    for kind, name, func in extensions(of):
        module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
        if module in (None, "__main__") or "<" in qualname:
            place = (
                "in __main__ (a notebook cell or a script run directly)"
                if module == "__main__"
                else "inside a function"
            )
            raise ExtensionError(
                f"{kind} {name!r} ({_where(func)}) is defined {place}, so worker processes cannot import it. "
                "Put it in a module of its own (a .py file importable from here, e.g. beside the notebook), "
                "import that module, and run again; or run in this process with jobs=1."
            )
        try:
            found: Any = importlib.import_module(module)
            for part in qualname.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError) as exc:
            raise ExtensionError(
                f"{kind} {name!r} names {_where(func)}, which cannot be imported ({exc}); "
                "worker processes find extensions by that name"
            ) from None
        if found is not func:
            raise ExtensionError(
                f"{kind} {name!r} is not the function {_where(func)} a worker would import under that name "
                "(replaced or patched after import?); register the function the module defines, or run with jobs=1"
            )


def install(shipped_manifest: Manifest) -> None:
    """Make this process's registries exactly the sender's (a worker, before each task)."""
    kpis: dict[str, KPI] = {}
    for kpi_id, kpi in shipped_manifest.kpis:
        entry = kpi if kpi is not None else KPIS.get(kpi_id)
        if entry is None:
            raise ExtensionError(
                f"built-in KPI {kpi_id!r} is not registered in this worker (another courtsim version?)"
            )
        kpis[kpi_id] = entry
    for kind, entries in shipped_manifest.rules:
        registry = _RULES[kind]
        rules = []
        for name, rule in entries:
            entry_rule = rule if rule is not None else (registry[name] if name in registry else None)  # noqa: SIM401 -- a Registry has no .get
            if entry_rule is None:
                raise ExtensionError(f"built-in {kind} rule {name!r} is not registered in this worker")
            rules.append((name, entry_rule))
        registry.mirror(rules)
    KPIS.clear()
    KPIS.update(kpis)


def _source_hash(func: Callable[..., Any]) -> str:
    """A hash of the source of the module that defines ``func`` (its code if there is no file)."""
    module = sys.modules.get(getattr(func, "__module__", "") or "")
    try:
        text = inspect.getsource(module) if module is not None and module.__name__ != "__main__" else None
    except (OSError, TypeError):
        text = None
    if text is None:
        try:
            text = inspect.getsource(func)
        except (OSError, TypeError):
            code = getattr(func, "__code__", None)
            data = marshal.dumps(code) if code is not None else repr(func).encode()
            return hashlib.sha256(data).hexdigest()[:16]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


_FINGERPRINTS: dict[tuple[Any, ...], str] = {}


def fingerprint() -> str:
    """16 hex digits over the KPI ids in order and each extension's path and source hash.

    Built-in entries are covered by the cache's code fingerprint; this adds what a
    session registered (or removed). Memoised on the registries' contents.
    """
    state = (
        tuple((kpi_id, id(kpi.func)) for kpi_id, kpi in KPIS.items()),
        tuple((kind, tuple((name, id(rule)) for name, rule in registry.items())) for kind, registry in _RULES.items()),
    )
    known = _FINGERPRINTS.get(state)
    if known is not None:
        return known
    digest = hashlib.sha256()
    digest.update("\0".join(KPIS).encode() + b"\1")
    for kind, registry in _RULES.items():
        digest.update(kind.encode() + b"\0" + "\0".join(registry.names()).encode() + b"\1")
    for kind, name, func in extensions():
        digest.update(f"{kind}\0{name}\0{_where(func)}\0{_source_hash(func)}\1".encode())
    _FINGERPRINTS[state] = value = digest.hexdigest()[:16]
    return value


@dataclass(frozen=True)
class Shipped(Generic[T, R]):
    """``func`` with the sender's registries: in another process, installs them first."""

    func: Callable[[T], R]
    manifest: Manifest
    origin: int

    def __call__(self, item: T) -> R:
        if os.getpid() != self.origin:
            install(self.manifest)
        return self.func(item)


def shipped(func: Callable[[T], R], local: bool = False) -> Callable[[T], R]:
    """``func`` ready for a backend: ``local`` (this process only) as is, else with the manifest.

    Raises :class:`ExtensionError` if an extension could not be imported by a worker.
    """
    if local:
        return func
    sent = manifest()
    check_importable(sent)
    return Shipped(func, sent, os.getpid())

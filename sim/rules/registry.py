"""Rules by name: what a scenario's ``[policy]`` lists, and where each rule's code lives.

Like the court's book of standing orders, a registry holds the rules of one kind
(triage, dispatch, handler assignment) under the names scenarios use. A rule is
a module-level function registered with a decorator where it is defined::

    from sim.rules import TRIAGE

    @TRIAGE.register("labelled_standard")
    def labelled_standard(case, scenario, chance):
        return False if case.labelled else None

Importing the module registers the rule; a scenario can then name it, and an
unknown name is refused when the scenario is validated, with the list of
registered names. Rules are plain module-level functions, so they pickle by
reference and a worker process finds them by :meth:`Registry.path`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

__all__ = ["Registry"]

R = TypeVar("R", bound=Callable[..., Any])

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Registry(Generic[R]):
    """The registered rules of one ``kind`` (e.g. ``"triage"``), by name, in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._rules: dict[str, R] = {}

    def register(self, name: str) -> Callable[[R], R]:
        """Decorator: register a module-level function as the rule ``name``.

        Names are lower-case identifiers. A name may be registered again only by
        the same function (a module imported twice); another function under a taken
        name is refused, so two rules can never answer to one name.
        """
        if not _NAME.match(name):
            raise ValueError(f"{self.kind} rule name {name!r} must be a lower-case identifier like 'small_claim'")

        def decorate(rule: R) -> R:
            if "<" in rule.__qualname__:
                raise ValueError(
                    f"{self.kind} rule {name!r} must be a module-level function (got {rule.__qualname__}), "
                    "so that worker processes can import it"
                )
            taken = self._rules.get(name)
            if taken is not None and _path(taken) != _path(rule):
                raise ValueError(f"{self.kind} rule {name!r} is already registered by {_path(taken)}")
            self._rules[name] = rule
            return rule

        return decorate

    def __getitem__(self, name: str) -> R:
        rule = self._rules.get(name)
        if rule is None:
            raise KeyError(self.unknown(name))
        return rule

    def __contains__(self, name: object) -> bool:
        return name in self._rules

    def names(self) -> tuple[str, ...]:
        """The registered names, built-in rules first."""
        return tuple(self._rules)

    def path(self, name: str) -> str:
        """Where rule ``name`` lives, as ``module:function`` (importable in another process)."""
        return _path(self[name])

    def items(self) -> tuple[tuple[str, R], ...]:
        """Every ``(name, rule)`` in registration order (what a worker process is sent)."""
        return tuple(self._rules.items())

    def mirror(self, rules: Iterable[tuple[str, R]]) -> None:
        """Make this registry hold exactly ``rules``, in their order.

        For worker processes only (:mod:`sim.experiments.extensions`): they take the
        registry of the process that sent the work, whatever they imported themselves,
        so a rule registered or replaced there after the workers started is the one used.
        """
        self._rules = dict(rules)

    def unknown(self, name: str) -> str:
        """The message for an unregistered ``name``, listing the registered ones."""
        return f"unknown {self.kind} rule {name!r} (expected one of: {', '.join(self._rules)})"

    def check(self, name: str) -> str:
        """``name`` if registered, else ``ValueError`` naming the registered rules (for validators)."""
        if name not in self._rules:
            raise ValueError(self.unknown(name))
        return name


def _path(rule: Callable[..., Any]) -> str:
    return f"{rule.__module__}:{rule.__qualname__}"

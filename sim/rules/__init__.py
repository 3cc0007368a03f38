"""Policies as named rules: triage, dispatch and handler assignment.

A scenario's ``[policy]`` names the rules it applies; each is a small function
registered under its name (:class:`~sim.rules.registry.Registry`) and testable
alone, without a replication. Add a rule by writing one function in the
module of its kind and decorating it, e.g. ``@TRIAGE.register("my_rule")``. This
layer sits just above the vocabulary: it imports nothing else from ``sim``, so
the scenario schema can check rule names when a scenario is validated.
"""

from __future__ import annotations

from sim.rules.dispatch import DEFAULT_DISPATCH, DISPATCH, DispatchRule
from sim.rules.handlers import DEFAULT_HANDLER_ASSIGNMENT, HANDLERS, HandlerRule
from sim.rules.registry import Registry
from sim.rules.triage import PLAN_TRIAGE, TRIAGE, Chance, TriageRule

__all__ = [
    "DEFAULT_DISPATCH",
    "DEFAULT_HANDLER_ASSIGNMENT",
    "DISPATCH",
    "HANDLERS",
    "PLAN_TRIAGE",
    "TRIAGE",
    "Chance",
    "DispatchRule",
    "HandlerRule",
    "Registry",
    "TriageRule",
]

"""What is wrong with a scenario: one :class:`Problem` per field, all raised at once in a :class:`ScenarioError`.

The bottom of :mod:`sim.config`: the loader (:mod:`sim.config.load`) and the cross-field
checks (:mod:`sim.config.checks`) both report problems, and the loader runs the checks,
so the problem type lives here, below both, and imports nothing from :mod:`sim`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "ScenarioError"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario, located by its dotted path (and by its ``file`` when
    that is not the file asked about: a ``base`` it inherits from)."""

    path: str
    message: str
    got: str | None = None
    expected: str | None = None
    file: str | None = None
    zh: str | None = None
    """The message in Chinese, in plain words (what to change); printed first by the command line."""

    def describe(self, chinese: bool = True) -> str:
        """For people: ``path: 中文`` and below it :meth:`__str__`'s English line (``path: English
        (got …; expected …)``); the English alone when ``chinese`` is false or no Chinese is known.
        The path is followed by an ASCII ``": "`` in both lines, so that a problem is located by the
        same pattern whichever language is read (editors and scripts match ``^  path: ``)."""
        if not chinese or not self.zh:
            return str(self)
        where = f" [在 {self.file} 中]" if self.file else ""
        return f"{self.path or '(文件)'}: {self.zh}{where}\n    {self}"

    def __str__(self) -> str:
        details = "; ".join(
            part
            for part in (
                f"got {self.got}" if self.got is not None else "",
                f"expected {self.expected}" if self.expected else "",
            )
            if part
        )
        where = self.path or "(file)"
        text = f"{where}: {self.message}" + (f" ({details})" if details else "")
        return text + (f" [in {self.file}]" if self.file else "")


class ScenarioError(Exception):
    """A scenario could not be read or is invalid; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))

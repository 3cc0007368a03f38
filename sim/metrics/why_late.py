"""为什么超期: each deadline clock's time split into what the case was doing.

Like the 超期原因分析 a court's oversight team writes for every overdue case: for
each deadline clock of each counted case, the days between its start and its end
are split into

``effort``
    staff working on the case (a task's start to its end, in calendar time: the
    nights and weekends inside a task that runs over them count here);
``queue``
    waiting for staff (a task's ``queued`` to its ``start``), by the desk's team
    and the roles the task needed at once (the log does not say which of
    several roles was the one missing, so ``officer+clerk`` is its own row);
``outside``
    waiting on an outside party (post, banks, appraisers, auctions, the debtor),
    by kind: the wait's step name in the log (``service``, ``registry_answers``,
    ``auction_1`` …);
``handoff``
    交接: the court's own hand-over waits when a case changes teams (the
    reform's in-tray wait ``handoff_wait``, the paper file in transit
    ``paper_transfer``, waiting for the e-file's scans ``e_file_wait``;
    :mod:`sim.flow.mechanisms`): internal, not an outside party, and no staff is
    held (the re-reading that follows is ``read_file`` effort);
``floor``
    the statutory floor: the 终本 case waiting for its 3 months since filing
    (终本规定 art. 1(4); the log's ``zhongben_floor`` wait);
``excluded``
    for the 6-month limit only: time the limit does not count (审限规定 art. 9:
    appraisal, auction, sell-off), which can make no case late;
``other``
    time in the clock with no step of the case logged: the day's papers waiting
    for the next working morning's hand-over, a case waiting on work beside it.
    Work still waiting or under way at the end of the log is in the run's
    ``unfinished`` table, not its steps: given it (``unfinished=``), its days are
    queue and effort like any other (without it, an overloaded run's censored
    clocks put months of queueing here).

The parts of one clock do not overlap and add up to its length (the steps of a
case's own path follow one another; where two overlap, the earlier part in the
list ``floor, excluded, outside, handoff, effort, queue`` takes the time). Work that runs
beside the case (scanning, archiving, an objection) is not on its path: it is
counted only for the deadlines that are about it (``scan``, ``objection``).

**Attribution rule.** A late clock is *explained* by a part (or one of its
details) when removing that part's days alone, nothing else moving, would have
ended it by its due: ``days(part) >= end - due``. A clock can be explained by
several parts (each alone is enough) or by none (only a combination is): the
row ``part = "none"`` gives that share. ``main_share`` names one part per late
clock, the one with the most days, so that those shares add up to 1. The rule
is a first-order counterfactual: removing one wait would also move the queues
downstream, which only a rerun (:mod:`sim.experiments.marginal`) measures.

Counted cases only. A clock that never ended because its case closed first is
moot and left out; one still running past its due at the end of the log is late,
measured to the end of the log (``censored``). The 6-month limit is the case's
filing to closing with its excluded periods (:func:`sim.metrics.limit_clocks`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from sim.config.schema import Scenario
from sim.metrics.sla import limit_clocks
from sim.vocab import DEADLINE_NAMES, ROLE_ZH, TEAM_ZH, Deadline, Task
from sim.workcalendar import WorkCalendar

__all__ = [
    "BESIDE_STEPS",
    "FLOOR_STEPS",
    "HANDOFF_STEPS",
    "PARTS",
    "PART_NAMES",
    "WHY_LATE_COLUMNS",
    "clock_parts",
    "detail_label",
    "why_late",
]

PARTS: tuple[str, ...] = ("effort", "queue", "outside", "handoff", "floor", "excluded", "other")
"""The parts of a clock's time, in the order tables list them."""

PART_NAMES: Mapping[str, tuple[str, str]] = {
    "effort": ("办理用时", "staff effort"),
    "queue": ("排队等人", "queueing for staff"),
    "outside": ("外部等待", "outside waits"),
    "handoff": ("交接等待", "hand-off waits (交接)"),
    "floor": ("法定等待期（终本满3个月）", "statutory floor (终本 3 months)"),
    "excluded": ("扣除期间（不计入审限）", "excluded periods (not counted)"),
    "other": ("其他（未记录）", "other (not logged)"),
    "none": ("任一单项均不足以解释", "no single part explains it"),
}
"""Chinese and English names of the parts (and of the ``none`` row)."""

FLOOR_STEPS: frozenset[str] = frozenset({"zhongben_floor"})
"""Wait steps that are a statutory floor rather than an outside party."""

HANDOFF_STEPS: frozenset[str] = frozenset({"handoff_wait", "paper_transfer", "e_file_wait"})
"""Wait steps of a change of hands inside the court (:mod:`sim.flow.mechanisms`), not an outside party."""

BESIDE_STEPS: Mapping[Deadline, frozenset[str]] = {
    Deadline.RECORDS_HANDOVER: frozenset(),  # the batch carry is not logged: its days are "other"
    Deadline.SCAN: frozenset({Task.SCAN.value}),
    Deadline.OBJECTION: frozenset({Task.OBJECTION_HEARING.value}),
}
"""Deadlines about work beside the case, and the steps of that work they count."""

_OFF_PATH: frozenset[str] = frozenset(
    {Task.SCAN.value, Task.ARCHIVE.value, Task.OBJECTION_HEARING.value, "objection_docketing", "reconsideration"}
)
"""Steps that run beside a case's own path (records.py, review.py): left out of its other deadlines."""

_PRIORITY = {"floor": 0, "excluded": 1, "outside": 2, "handoff": 3, "effort": 4, "queue": 5}

WAIT_ZH: Mapping[str, str] = {
    "service": "送达（含公告送达）",
    "registry_answers": "传统查控回复",
    "online_inquiry": "网络查控回复",
    "freeze_answers": "冻结回复",
    "lead_answers": "财产线索回复",
    "voluntary_payment": "自动履行期",
    "payout": "执行款到账发放",
    "settlement_performance": "和解履行",
    "operation_plan": "行为执行方案",
    "zhongben_ruling": "终本裁定",
    "zhongben_floor": "终本满3个月",
    "returned_for_correction": "退回补正",
    "report_delivery": "评估报告送达",
    "price_objection_window": "参考价异议期",
    "price_online_extension": "网络询价延长",
    "auction_announcement": "拍卖公告期",
    "auction_1": "一拍",
    "auction_2": "二拍",
    "relist": "重新挂拍",
    "in_kind_reply": "以物抵债答复",
    "selloff_listing": "变卖挂牌",
    "selloff": "变卖期",
    "balance_payment": "尾款支付",
    "objection_docketing": "异议立案",
    "reconsideration": "复议",
    "handoff_wait": "收件待办（交接）",
    "paper_transfer": "纸质卷宗移送",
    "e_file_wait": "等待电子卷宗扫描",
    "inquiry_batch": "网络查控批次",
}
"""Chinese names of the outside waits (log step names); a wait not listed shows its step name."""

WHY_LATE_COLUMNS: tuple[str, ...] = (
    "sla",
    "zh",
    "en",
    "part",
    "detail",
    "team",
    "role",
    "n_clocks",
    "n_late",
    "late_share",
    "mean_lateness_days",
    "explains_share",
    "main_share",
    "mean_days_late",
    "mean_days_on_time",
)


def detail_label(part: str, detail: str) -> tuple[str, str]:
    """Chinese and English label of one detail of a part (``fast_track:officer`` → 快执团队·执行员)."""
    if not detail:
        return PART_NAMES.get(part, (part, part))
    if part in ("queue", "effort"):
        team, _, roles = detail.partition(":")
        team_zh = TEAM_ZH.get(team, team)  # type: ignore[call-overload]  # StrEnum keys match plain str
        if not roles:
            return str(team_zh), team.replace("_", " ")
        roles_zh = "+".join(str(ROLE_ZH.get(r, r)) for r in roles.split("+"))  # type: ignore[call-overload]
        return f"{team_zh}·{roles_zh}", f"{team.replace('_', ' ')} {roles}"
    return WAIT_ZH.get(detail, detail), detail.replace("_", " ")


# ---------------------------------------------------------------- the clocks


def _clocks(
    slas: pd.DataFrame, cases: pd.DataFrame, scenario: Scenario, calendar: WorkCalendar, at: float
) -> pd.DataFrame:
    """Every decided clock of the counted cases: ``case_id, sla, occurrence, start, due, end, censored``.

    ``due`` is the effective due (the 6-month limit's ``due_effective``). Moot clocks
    (never ended, case closed) and clocks still within their time at ``at`` are left out.
    """
    counted = cases.loc[cases["counted"]]
    ids = counted["case_id"]
    own = slas.loc[slas["case_id"].isin(ids) & (slas["sla"] != Deadline.EXECUTION_LIMIT.value)]
    closed = own["case_id"].map(cases.set_index("case_id")["closed"]).to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "case_id": own["case_id"].to_numpy(),
            "sla": own["sla"].astype(str).to_numpy(),
            "occurrence": own["occurrence"].to_numpy(),
            "start": own["start"].to_numpy(dtype=float),
            "due": own["due"].to_numpy(dtype=float),
            "end": own["end"].to_numpy(dtype=float),
            "closed": closed,
        }
    )
    limit = limit_clocks(slas, counted, scenario, calendar)
    frame = pd.concat(
        [
            frame,
            pd.DataFrame(
                {
                    "case_id": limit["case_id"].to_numpy(),
                    "sla": Deadline.EXECUTION_LIMIT.value,
                    "occurrence": 0,
                    "start": limit["start"].to_numpy(dtype=float),
                    "due": limit["due_effective"].to_numpy(dtype=float),
                    "end": limit["end"].to_numpy(dtype=float),
                    "closed": limit["end"].to_numpy(dtype=float),
                }
            ),
        ],
        ignore_index=True,
    )
    ended = frame["end"].to_numpy() <= at
    running = ~ended & ~(frame["closed"].to_numpy() <= at) & (frame["start"].to_numpy() <= at)
    overdue = running & (frame["due"].to_numpy() < at)
    frame = frame.loc[ended | overdue].drop(columns="closed")
    frame["censored"] = ~(frame["end"].to_numpy() <= at)
    frame["end"] = np.where(frame["censored"], at, frame["end"])
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------- the segments


class _Labels:
    """Integer codes of the (part, detail) pairs, so that the joins and sums run on numbers."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []
        self._codes: dict[tuple[str, str], int] = {}
        self.other = self.code("other", "")

    def code(self, part: str, detail: str) -> int:
        key = (part, detail)
        found = self._codes.get(key)
        if found is None:
            found = self._codes[key] = len(self.pairs)
            self.pairs.append(key)
        return found

    def codes(self, parts: np.ndarray, details: np.ndarray) -> np.ndarray:
        if not len(parts):
            return np.empty(0, np.int64)
        keys, uniques = pd.factorize(pd.Series(parts, dtype=object) + "\x1f" + pd.Series(details, dtype=object))
        known = np.array([self.code(*str(u).split("\x1f", 1)) for u in uniques], dtype=np.int64)
        return known[keys]

    def part_index(self) -> np.ndarray:
        """For each code, the position of its part in :data:`PARTS`."""
        return np.array([PARTS.index(p) for p, _ in self.pairs], dtype=np.int64)


def _text(values: pd.Series) -> np.ndarray:
    """A string column as a plain object array (iterating Arrow strings one by one is slow)."""
    return np.asarray(values.to_numpy(dtype=object, na_value=""), dtype=object)


def _segments(steps: pd.DataFrame, case_ids: pd.Series, labels: _Labels) -> pd.DataFrame:
    """The timed pieces of the cases' steps: ``case_id, a, b, label, label_limit, step``.

    ``label_limit`` is the code the 6-month limit uses (excluded waits are ``excluded``).
    """
    steps = steps.loc[steps["case_id"].isin(case_ids) & (steps["kind"] != "mark")]
    kind = _text(steps["kind"])
    tasks, waits = steps.loc[kind == "task"], steps.loc[kind == "wait"]
    roles = ["+".join(sorted(set(r.split("+")))) if r else "" for r in _text(tasks["roles"])]
    team = _text(tasks["team"])
    queue_codes = labels.codes(
        np.full(len(tasks), "queue"), np.array([f"{t}:{r}" for t, r in zip(team, roles, strict=True)], dtype=object)
    )
    effort_codes = labels.codes(np.full(len(tasks), "effort"), team)
    names = _text(waits["step"])
    is_floor = np.isin(names, list(FLOOR_STEPS))
    is_handoff = np.isin(names, list(HANDOFF_STEPS))
    wait_codes = labels.codes(np.where(is_floor, "floor", np.where(is_handoff, "handoff", "outside")), names)
    excluded = waits["excluded"].to_numpy(dtype=bool)
    limit_codes = np.where(excluded, labels.codes(np.full(len(waits), "excluded"), names), wait_codes)
    task_steps = _text(tasks["step"])
    segments = pd.DataFrame(
        {
            "case_id": np.concatenate([tasks["case_id"].to_numpy()] * 2 + [waits["case_id"].to_numpy()]),
            "a": np.concatenate([tasks["queued"], tasks["start"], waits["start"]]).astype(float),
            "b": np.concatenate([tasks["start"], tasks["end"], waits["end"]]).astype(float),
            "label": np.concatenate([queue_codes, effort_codes, wait_codes]),
            "label_limit": np.concatenate([queue_codes, effort_codes, limit_codes]),
            "step": np.concatenate([task_steps, task_steps, names]),
        }
    )
    return segments.loc[segments["b"] > segments["a"]].reset_index(drop=True)


def _open_work(unfinished: pd.DataFrame, at: float) -> pd.DataFrame:
    """The work still open at ``at`` as logged steps up to ``at``: a task not started
    queued until then, one under way worked until then."""
    open_work = unfinished.loc[unfinished["queued"].to_numpy(dtype=float) < at].copy()
    start = open_work["start"].to_numpy(dtype=float)
    open_work["start"] = np.where(np.isnan(start), at, np.minimum(start, at))
    open_work["end"] = at
    return open_work


# ---------------------------------------------------------------- the split


def clock_parts(
    steps: pd.DataFrame,
    slas: pd.DataFrame,
    cases: pd.DataFrame,
    scenario: Scenario,
    calendar: WorkCalendar,
    *,
    at: float | None = None,
    deadlines: Iterable[str] | None = None,
    unfinished: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each decided clock of the counted cases, and the days of each part of its time.

    Parameters
    ----------
    steps, slas, cases
        One run's tables.
    scenario, calendar
        The scenario and its working calendar (for the 6-month limit).
    at
        The end of the log (days): clocks running past their due then are late
        up to ``at``. Default: horizon + cool-down.
    deadlines
        Only these deadline ids (default: every deadline).
    unfinished
        The run's work still waiting or under way at the end of the log (the
        ``unfinished`` table). Without it, the queue and effort of that work are
        not logged and a clock still running at ``at`` counts them as ``other``.

    Returns
    -------
    (clocks, parts)
        ``clocks``: one row per clock, ``clock`` (its number), ``case_id, sla,
        occurrence, start, due, end, censored, elapsed_days, lateness_days``
        (``end - due``; > 0 when late) and ``late``. ``parts``: one row per clock
        and piece of its time, ``clock, part, detail, days``; the days of one
        clock add up to its ``elapsed_days``.
    """
    clocks, coded, labels = _coded_parts(steps, slas, cases, scenario, calendar, at, deadlines, unfinished)
    pairs = labels.pairs
    parts = pd.DataFrame(
        {
            "clock": coded["clock"].to_numpy(),
            "part": [pairs[c][0] for c in coded["label"]],
            "detail": [pairs[c][1] for c in coded["label"]],
            "days": coded["days"].to_numpy(),
        }
    )
    return clocks, parts


def _coded_parts(
    steps: pd.DataFrame,
    slas: pd.DataFrame,
    cases: pd.DataFrame,
    scenario: Scenario,
    calendar: WorkCalendar,
    at: float | None,
    deadlines: Iterable[str] | None,
    unfinished: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, _Labels]:
    """:func:`clock_parts` with the parts as label codes (``clock, label, days``)."""
    at = scenario.run.horizon_days + scenario.run.cooldown_days if at is None else float(at)
    if unfinished is not None and len(unfinished):
        steps = pd.concat([steps, _open_work(unfinished, at)], ignore_index=True)
    clocks = _clocks(slas, cases, scenario, calendar, at)
    if deadlines is not None:
        wanted = {str(d) for d in deadlines}
        unknown = sorted(wanted - {d.value for d in Deadline})
        if unknown:
            raise ValueError(f"unknown deadline(s) {unknown}; allowed: {', '.join(d.value for d in Deadline)}")
        clocks = clocks.loc[clocks["sla"].isin(wanted)].reset_index(drop=True)
    clocks.insert(0, "clock", np.arange(len(clocks)))
    clocks["elapsed_days"] = clocks["end"] - clocks["start"]
    clocks["lateness_days"] = clocks["end"] - clocks["due"]
    clocks["late"] = clocks["lateness_days"] > 0
    labels = _Labels()
    segments = _segments(steps, clocks["case_id"].drop_duplicates(), labels)
    off_path = np.isin(segments["step"].to_numpy(), list(_OFF_PATH))
    sla_of = clocks["sla"].to_numpy()
    pieces = [
        _split(clocks.loc[sla_of == sla], segments, off_path, sla, labels) for sla in dict.fromkeys(sla_of.tolist())
    ]
    empty = pd.DataFrame({"clock": np.empty(0, np.int64), "label": np.empty(0, np.int64), "days": np.empty(0)})
    coded = pd.concat(pieces, ignore_index=True) if pieces else empty
    return clocks, coded, labels


def _split(
    clocks: pd.DataFrame, segments: pd.DataFrame, off_path: np.ndarray, sla: str, labels: _Labels
) -> pd.DataFrame:
    """The coded parts (``clock, label, days``) of the clocks of one deadline."""
    beside = BESIDE_STEPS.get(Deadline(sla))
    label = "label_limit" if sla == Deadline.EXECUTION_LIMIT.value else "label"
    keep = ~off_path if beside is None else np.isin(segments["step"].to_numpy(), list(beside))
    own = segments[["case_id", "a", "b", label]].loc[keep].rename(columns={label: "label"})
    pairs = clocks[["clock", "case_id", "start", "end"]].merge(own, on="case_id")
    lo = np.maximum(pairs["a"].to_numpy(), pairs["start"].to_numpy())
    hi = np.minimum(pairs["b"].to_numpy(), pairs["end"].to_numpy())
    keep = hi > lo
    pairs = pd.DataFrame({"clock": pairs["clock"].to_numpy()[keep], "a": lo[keep], "b": hi[keep]}).assign(
        label=pairs["label"].to_numpy()[keep]
    )
    pairs = pairs.sort_values(["clock", "a", "b"], kind="stable", ignore_index=True)
    clock = pairs["clock"].to_numpy()
    reach = pairs.groupby("clock")["b"].cummax().to_numpy()
    same = np.r_[False, clock[1:] == clock[:-1]]
    previous = np.r_[np.inf, reach[:-1]]
    overlap = same & (pairs["a"].to_numpy() < previous - 1e-9)
    bad = np.isin(clock, np.unique(clock[overlap]))
    plain = pairs.loc[~bad].assign(days=lambda f: f["b"] - f["a"])[["clock", "label", "days"]]
    rows = [plain, _swept(pairs.loc[bad], labels)]
    grouped = pd.concat(rows, ignore_index=True).groupby(["clock", "label"], as_index=False, sort=False)
    # with as_index=False the sum is a frame (clock, label, days); pandas-stubs type it as a Series
    logged: pd.DataFrame = grouped["days"].sum()  # type: ignore[assignment]
    total = logged.groupby("clock")["days"].sum().reindex(clocks["clock"], fill_value=0.0)
    other = clocks["elapsed_days"].to_numpy() - total.to_numpy()
    gaps = pd.DataFrame({"clock": clocks["clock"].to_numpy(), "label": labels.other, "days": other})
    parts: pd.DataFrame = pd.concat([logged, gaps.loc[gaps["days"] > 1e-9]], ignore_index=True)
    return parts


def _swept(pairs: pd.DataFrame, labels: _Labels) -> pd.DataFrame:
    """:func:`_sweep` of each clock's pieces (``pairs`` sorted by clock), as one ``clock, label, days`` frame.

    The clocks in ascending order and each one's pieces in their order, as a ``groupby`` over
    the clocks gave, without a sub-frame in and a frame out per clock.
    """
    clock = pairs["clock"].to_numpy()
    a, b = pairs["a"].tolist(), pairs["b"].tolist()
    code = [int(c) for c in pairs["label"].tolist()]
    bounds = np.flatnonzero(np.r_[True, clock[1:] != clock[:-1], True]) if clock.size else np.empty(0, np.int64)
    clocks: list[int] = []
    codes: list[int] = []
    days: list[float] = []
    for lo, hi in itertools.pairwise(bounds.tolist()):
        out = _sweep(a[lo:hi], b[lo:hi], code[lo:hi], labels)
        clocks += [int(clock[lo])] * len(out)
        codes += list(out)
        days += list(out.values())
    return pd.DataFrame(
        {"clock": np.array(clocks, np.int64), "label": np.array(codes, np.int64), "days": np.array(days, float)}
    )


def _sweep(a: list[float], b: list[float], code: list[int], labels: _Labels) -> dict[int, float]:
    """Overlapping pieces ``[a, b)`` of one clock made disjoint, as days per label code: each
    instant goes to the first part in ``floor, excluded, outside, handoff, effort, queue``, ties
    to the piece that started first."""
    # Plain Python floats and lists: a clock has tens of pieces, where numpy's cost per call
    # (five array operations per elementary interval) was most of the KPIs' time.
    order = [(_PRIORITY[labels.pairs[c][0]], start) for c, start in zip(code, a, strict=True)]
    points = sorted(set(a) | set(b))
    out: dict[int, float] = {}
    for x0, x1 in itertools.pairwise(points):
        cover = [i for i in range(len(a)) if a[i] <= x0 and b[i] >= x1]
        if cover:
            best = code[min(cover, key=order.__getitem__)]  # the first of the lowest (rank, start)
            out[best] = out.get(best, 0.0) + (x1 - x0)
    return out


# ---------------------------------------------------------------- the table


def why_late(
    steps: pd.DataFrame,
    slas: pd.DataFrame,
    cases: pd.DataFrame,
    scenario: Scenario,
    calendar: WorkCalendar,
    *,
    at: float | None = None,
    deadlines: Iterable[str] | None = None,
    unfinished: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """为什么超期: per deadline, how much of the late clocks each part of their time explains.

    One run's tables in, a tidy table out (:data:`WHY_LATE_COLUMNS`): per
    deadline one row per part (``detail`` empty), one per detail of a part
    (team × roles of a queue, kind of an outside wait, team of the effort), and
    a ``none`` row. Columns:

    - ``n_clocks`` decided clocks (ended, or running past due at ``at``);
      ``n_late``, ``late_share`` (``n_late / n_clocks``), ``mean_lateness_days``
      (mean ``end - due`` of the late ones): the same on every row of a deadline;
    - ``explains_share``: the share of late clocks whose lateness this part (or
      detail) alone explains: ``days >= end - due`` (see the module's rule); for
      ``none``, the share no single part explains; NaN when nothing is late;
    - ``main_share`` (part rows only): the share of late clocks in which this part
      has the most days; the parts' shares add up to 1;
    - ``mean_days_late``, ``mean_days_on_time``: mean days of the part per clock
      (zero where it took none) over late and over on-time clocks.

    Deadlines are in :class:`~sim.vocab.Deadline` order; a deadline without a
    decided clock has no rows. ``at``, ``deadlines`` and ``unfinished`` as in
    :func:`clock_parts`.
    """
    clocks, coded, labels = _coded_parts(steps, slas, cases, scenario, calendar, at, deadlines, unfinished)
    rows: list[dict[str, object]] = []
    present = set(clocks["sla"].tolist())
    sla_of = clocks["sla"].to_numpy()
    for sla in [d.value for d in Deadline if d.value in present]:
        own = clocks.loc[sla_of == sla]
        rows += _deadline_rows(sla, own, coded.loc[coded["clock"].isin(own["clock"])], labels)
    return pd.DataFrame(rows, columns=list(WHY_LATE_COLUMNS))


def _deadline_rows(sla: str, clocks: pd.DataFrame, coded: pd.DataFrame, labels: _Labels) -> list[dict[str, object]]:
    zh, en = DEADLINE_NAMES[Deadline(sla)]
    n = len(clocks)
    late = clocks["late"].to_numpy()
    lateness = clocks["lateness_days"].to_numpy()
    n_late = int(late.sum())
    position = pd.Series(np.arange(n), index=clocks["clock"].to_numpy())
    where = position.reindex(coded["clock"].to_numpy()).to_numpy()
    code, days = coded["label"].to_numpy(), coded["days"].to_numpy()
    part_of = labels.part_index()
    matrix = np.zeros((n, len(PARTS)))
    np.add.at(matrix, (where, part_of[code]), days)
    common = {
        "sla": sla,
        "zh": zh,
        "en": en,
        "n_clocks": n,
        "n_late": n_late,
        "late_share": n_late / n if n else math.nan,
        "mean_lateness_days": float(lateness[late].mean()) if n_late else math.nan,
    }

    def mean(values: np.ndarray, mask: np.ndarray) -> float:
        return float(values[mask].mean()) if mask.any() else math.nan

    explains = (matrix >= lateness[:, None]) & late[:, None]
    explains[:, PARTS.index("excluded")] = False  # excluded time is not counted: removing it changes nothing
    counted = [k for k, p in enumerate(PARTS) if p != "excluded"]
    main = np.asarray(counted)[np.argmax(matrix[:, counted], axis=1)] if n else np.empty(0, np.int64)
    rows: list[dict[str, object]] = []
    for k, part in enumerate(PARTS):
        if not matrix[:, k].any():
            continue
        rows.append(
            {
                **common,
                "part": part,
                "detail": "",
                "team": "",
                "role": "",
                "explains_share": mean(explains[:, k], late),
                "main_share": mean(main == k, late),
                "mean_days_late": mean(matrix[:, k], late),
                "mean_days_on_time": mean(matrix[:, k], ~late),
            }
        )
        if part == "other":
            continue
        for c in sorted({int(c) for c in np.unique(code) if part_of[c] == k}, key=lambda c: labels.pairs[c][1]):
            own = code == c
            per_clock = np.bincount(where[own], weights=days[own], minlength=n)
            detail = labels.pairs[c][1]
            team, role = _team_role(part, detail)
            hit = (per_clock >= lateness) & late
            rows.append(
                {
                    **common,
                    "part": part,
                    "detail": detail,
                    "team": team,
                    "role": role,
                    "explains_share": mean(hit, late) if part != "excluded" else 0.0 if n_late else math.nan,
                    "main_share": math.nan,
                    "mean_days_late": mean(per_clock, late),
                    "mean_days_on_time": mean(per_clock, ~late),
                }
            )
    rows.append(
        {
            **common,
            "part": "none",
            "detail": "",
            "team": "",
            "role": "",
            "explains_share": mean(~explains.any(axis=1), late),
            "main_share": math.nan,
            "mean_days_late": math.nan,
            "mean_days_on_time": math.nan,
        }
    )
    return rows


def _team_role(part: str, detail: str) -> tuple[str, str]:
    if part == "queue":
        team, _, roles = detail.partition(":")
        return team, roles
    if part == "effort":
        return detail, ""
    return "", ""

"""The ceiling of the 45-day rate: the simple cases no staffing could close in time, and why.

The four hand-built simple cases of the why-late tests (case 1 ends in 终本, case 4's
service alone is longer than its 10 days), and a fifth held by outside and hand-off
waits together; the answers are worked out by hand in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.eventlog import cases_frame
from sim.metrics import KPIS
from sim.metrics.ceiling import CEILINGS, unreachable_simple
from sim.metrics.registry import RunView
from tests.unit.metrics_fixtures import calendar, case_record, scenario
from tests.unit.test_why_late import FAST, _fast_log, _task, _wait


def _view(floor: bool = True) -> RunView:
    log, cases = _fast_log()
    # Case 5: 10 days in the in-tray and 40 of service against its 45: neither alone is too long, both are.
    log.sla_start(5, "fast_close", 30.0, 75.0)
    _wait(log, 5, "handoff_wait", 30.0, 40.0)
    _task(log, 5, "serve_documents", "fast_track", "officer", 40.0, 41.0, 42.0)
    _wait(log, 5, "service", 42.0, 82.0)
    log.sla_end(5, "fast_close", 83.0)
    cases.append(case_record(5, 30.0, 83.0, "completed", **FAST))
    base = scenario()
    if not floor:
        base = base.model_copy(update={"policy": base.policy.model_copy(update={"zhongben_floor": False})})
    return RunView(
        log.steps_frame(), log.slas_frame(), cases_frame(cases), pd.DataFrame(), base, calendar(), 10.0, 100.0, 250.0
    )


def test_each_simple_case_gets_the_reason_no_staffing_could_put_it_on_time() -> None:
    table = unreachable_simple(_view()).set_index("case_id")
    # 1: 终本 filed on day 20, earliest lawful close the day after 3 months (day 112) > due 65.
    # 2 and 3: on time, or late by a 50-day queue more staff would shorten. 4: 18 days of service > 10 allowed.
    assert table["reason"].to_dict() == {1: "floor", 2: "", 3: "", 4: "outside", 5: "handoff"}
    assert table.loc[4, "outside_days"] == pytest.approx(18.0)
    assert table.loc[5, ["outside_days", "handoff_days", "allowed_days"]].tolist() == pytest.approx([40, 10, 45])
    assert table.loc[1, "floor_end"] > table.loc[1, "due"]


def test_the_ceiling_and_its_reasons_add_up_and_bound_the_rate() -> None:
    view = _view()
    values = {k: KPIS[k].func(view) for k in ("fast45_rate", *CEILINGS["fast45_rate"].reasons.values())}
    ceiling = KPIS["fast45_ceiling"].func(view)
    assert ceiling == pytest.approx(2 / 5)
    assert (values["fast45_bound_floor"], values["fast45_bound_outside"], values["fast45_bound_handoff"]) == (
        pytest.approx(1 / 5),
        pytest.approx(1 / 5),
        pytest.approx(1 / 5),
    )
    assert ceiling + sum(v for k, v in values.items() if k != "fast45_rate") == pytest.approx(1.0)
    assert values["fast45_rate"] <= ceiling  # only case 2 is on time: 1/5


def test_without_the_floor_a_zhongben_case_is_within_reach() -> None:
    table = unreachable_simple(_view(floor=False)).set_index("case_id")
    assert table.loc[1, "reason"] == ""
    assert KPIS["fast45_ceiling"].func(_view(floor=False)) == pytest.approx(3 / 5)

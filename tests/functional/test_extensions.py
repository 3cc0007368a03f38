"""Your own KPI, triage rule and distribution family reach every worker, or are refused.

Defect (issue 19): a KPI added with ``register`` was present with ``jobs=2`` and silently
missing under Dask; a patched triage rule gave one answer with jobs 1/2 and another under
Dask; the cache served entries computed before a KPI was added. The extension module is
``notebooks/court_extensions.py``, importable by name as a user's module would be.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from sim import api
from sim.config.load import with_overrides
from sim.config.schema import Scenario
from sim.experiments import extensions
from sim.experiments.extensions import ExtensionError
from sim.metrics import KPIS, Group, RunView
from sim.metrics.registry import register
from sim.rules import TRIAGE

FIXTURES = Path(__file__).resolve().parents[2] / "notebooks"  # court_extensions.py, the documented example
KPI = "completed_share_of_closed"


@pytest.fixture
def court_extensions(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The extension module imported (registering its three entries), then unregistered."""
    monkeypatch.syspath_prepend(str(FIXTURES))
    before = extensions.manifest()
    saved_kpis = dict(KPIS)
    saved = {kind: registry.items() for kind, registry in extensions._RULES.items()}
    module = sys.modules.get("court_extensions")
    module = importlib.reload(module) if module is not None else importlib.import_module("court_extensions")
    yield module
    KPIS.clear()
    KPIS.update(saved_kpis)
    for kind, registry in extensions._RULES.items():
        registry.mirror(saved[kind])
    assert extensions.manifest() == before


def _extended(short: Scenario) -> Scenario:
    return with_overrides(
        short,
        {
            "policy.triage": ["small_claims_only"],
            "delays.service_days": {"dist": "loglogistic", "shape": 3, "scale": 12},
        },
    )


def _table(scenario: Scenario, **options: object) -> pd.DataFrame:
    return api.experiment({"x": scenario}, 2, seed=7, **options).kpis  # type: ignore[arg-type]


@pytest.mark.slow
def test_custom_kpi_rule_and_family_give_identical_tables_on_every_backend(
    court_extensions: ModuleType, short: Scenario
) -> None:
    scenario = _extended(short)
    serial = _table(scenario, jobs=1)
    assert KPI in set(serial["kpi"])
    # The rule and the family act: the plan's triage and service delays give other numbers.
    plain = _table(short, jobs=1)
    assert KPI in set(plain["kpi"])
    assert not serial.equals(plain)
    pd.testing.assert_frame_equal(_table(scenario, jobs=2), serial)
    pytest.importorskip("distributed")
    pd.testing.assert_frame_equal(_table(scenario, jobs=2, scheduler="local"), serial)


def test_a_kpi_defined_in_a_notebook_cell_is_refused_for_workers_with_a_plain_message() -> None:
    def in_a_cell(view: RunView) -> float:
        return 1.0

    in_a_cell.__module__ = "__main__"
    in_a_cell.__qualname__ = "in_a_cell"
    register("cell_kpi", "单元格", "cell KPI", "share", "none", "test", group=Group.OUTCOME, position=91)(in_a_cell)
    try:
        with pytest.raises(ExtensionError, match=r"KPI 'cell_kpi' .* defined in __main__ .* module of its own"):
            extensions.shipped(len)
        assert extensions.shipped(len, local=True) is len  # one process: nothing to send
    finally:
        del KPIS["cell_kpi"]


def test_a_rule_replaced_after_import_is_refused(court_extensions: ModuleType) -> None:
    def patched(case: object, scenario: object, chance: object) -> bool | None:
        return None

    patched.__module__ = "court_extensions"
    patched.__qualname__ = "small_claims_only"
    TRIAGE.mirror([(n, patched if n == "small_claims_only" else r) for n, r in TRIAGE.items()])
    with pytest.raises(ExtensionError, match=r"triage rule 'small_claims_only' is not the function .* patched"):
        extensions.shipped(len)


def test_a_worker_takes_the_senders_registries_in_order(court_extensions: ModuleType) -> None:
    sent = extensions.manifest()
    ours = [k for k, _, f in extensions.extensions(sent) if f.__module__ == "court_extensions"]
    assert ours == ["KPI", "triage rule", "distribution family"]  # other tests may have registered more
    order = list(KPIS)
    del KPIS[KPI]
    TRIAGE.mirror([(n, r) for n, r in TRIAGE.items() if n != "small_claims_only"])
    extensions.install(sent)
    assert list(KPIS) == order
    assert TRIAGE["small_claims_only"] is court_extensions.small_claims_only


def test_the_cache_key_follows_the_kpis_and_the_extensions_source(
    court_extensions: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_them = extensions.fingerprint()
    saved = KPIS.pop(KPI)
    try:
        without = extensions.fingerprint()
    finally:
        KPIS[KPI] = saved
    assert without != with_them
    assert extensions.fingerprint() == with_them
    # Same name, same path, edited source: another key.
    monkeypatch.syspath_prepend(str(tmp_path))
    rule = "from sim.rules import TRIAGE\n\n@TRIAGE.register('edited_rule')\ndef edited_rule(case, scenario, chance):\n"
    (tmp_path / "edited_rules.py").write_text(rule + "    return None\n")
    module = importlib.import_module("edited_rules")
    try:
        first = extensions.fingerprint()
        (tmp_path / "edited_rules.py").write_text(rule + "    return False\n")
        importlib.reload(module)
        assert extensions.fingerprint() not in (first, with_them)
    finally:
        sys.modules.pop("edited_rules", None)


def test_a_newly_registered_kpi_is_never_missing_from_cached_replications(short: Scenario, tmp_path: Path) -> None:
    quick = with_overrides(short, {"run.warmup_days": 0, "run.horizon_days": 40, "run.cooldown_days": 10})
    first = api.experiment([quick], 2, seed=3, jobs=1, cache=tmp_path).kpis
    assert "late_kpi" not in set(first["kpi"])

    def late_kpi(view: RunView) -> float:
        return float(len(view.counted))

    register("late_kpi", "后加", "added later", "cases", "none", "test", group=Group.OUTCOME, position=92)(late_kpi)
    try:
        again = api.experiment([quick], 2, seed=3, jobs=1, cache=tmp_path)
        assert again.computed == 2  # the entries without the new KPI are not served
        counts = again.kpis.groupby("kpi")["replication"].count()
        assert counts["late_kpi"] == 2
        assert (counts == 2).all()
    finally:
        del KPIS["late_kpi"]
    back = api.experiment([quick], 2, seed=3, jobs=1, cache=tmp_path)
    assert back.computed == 0  # the original KPI set finds its entries again
    pd.testing.assert_frame_equal(back.kpis, first)

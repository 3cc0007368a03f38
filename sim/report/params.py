"""Every input parameter of a scenario with its source, for the report's data section.

Like the 附表 of an evaluation report that lists each assumption and where it
comes from: the resolved scenario (as stored in the manifest) is walked group
by group; each field is printed with its value in words and the citation of
its ``sources`` entry, else its group's ``source``. A citation containing
``EST`` marks an assumption that no source supports (domain-facts §0).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from sim.metrics import SLA_NAMES
from sim.vocab import DELAY_ZH, ROLE_ZH, TASK_ZH, TEAM_ZH, Role, Team

__all__ = ["GROUP_ZH", "format_value", "is_est", "parameter_table"]

GROUP_ZH: Mapping[str, str] = {
    "run": "运行设置",
    "calendar": "工作日历",
    "arrivals": "收案",
    "amounts": "金额",
    "probabilities": "概率",
    "delays": "外部等待（日）",
    "tasks": "工作量（小时）",
    "deadlines": "期限",
    "policy": "规则",
    "organisation": "组织",
    "side_streams": "附带事务",
    "staffing": "人员配置",
}
"""Chinese names of the scenario's parameter groups."""

FIELD_ZH: Mapping[str, str] = {
    # tasks and outside delays: their names live with them in the vocabulary
    **{task.value: name for task, name in TASK_ZH.items()},
    **{delay.value: name for delay, name in DELAY_ZH.items()},
    # arrivals, amounts
    "cases_per_year": "年收案数",
    "monthly_multipliers": "月度系数",
    "case_mix": "案件类型构成",
    "behaviour_rate": "行为类比例",
    "related_rate": "关联案件比例",
    "labelled_rate": "特殊标签比例",
    "claim_cny": "申请执行标的额（元）",
    "partial_freeze_share": "部分冻结比例",
    "property_value_ratio": "财产价值/标的额",
    "settlement_share": "和解履行比例",
    # probabilities
    "filing_error_rate": "立案信息需纠正",
    "filing_reject_rate": "驳回申请",
    "freeze_full_small_rate": "小额案件网络冻结足额",
    "freeze_full_large_rate": "大额案件网络冻结足额",
    "freeze_partial_rate": "部分冻结",
    "small_claim_closable_rate": "小额案件可45日内结案",
    "behaviour_simple_rate": "简单行为类",
    "resumed_property_rate": "执恢案件有可处置财产",
    "voluntary_payment_rate": "通知后自动履行",
    "debtor_missing_rate": "被执行人下落不明",
    "property_found_rate": "传统查控发现财产",
    "real_estate_rate": "财产为不动产",
    "lead_given_rate": "申请人提供线索",
    "lead_useful_rate": "线索有效",
    "settlement_rate": "执行和解",
    "dishonest_rate": "纳入失信",
    "detention_rate": "司法拘留",
    "criminal_referral_rate": "移送拒执",
    "multiple_creditors_rate": "多个债权人（分配方案）",
    "behaviour_success_rate": "行为类执行成功",
    "termination_rate": "终结执行",
    "not_enforced_rate": "不予执行",
    "withdrawal_rate": "销案",
    "objection_rate": "执行异议",
    "reconsideration_rate": "复议",
    "price_objection_rate": "参考价异议",
    "online_price_extension_rate": "网络询价延期",
    "auction_first_sale_rate": "一拍成交",
    "auction_second_sale_rate": "二拍成交",
    "in_kind_rate": "以物抵债",
    "selloff_rate": "变卖成交",
    "buyer_default_rate": "悔拍",
    "resume_within_5y_rate": "终本后5年内恢复执行",
    "resume_refused_rate": "恢复执行审查不予恢复",
    "third_party_objection_rate": "案外人异议",
    "third_party_upheld_rate": "案外人异议成立",
    "reward_rate": "悬赏执行",
    "reward_find_rate": "悬赏发现财产",
    "audit_rate": "审计执行",
    "audit_find_rate": "审计发现财产",
    "price_method": "确定参考价方式",
    # delay-table fields that are not delays of a step
    "selloff_period_days": "变卖期",
    "commissioned_days": "委托事项",
    "requery_interval_days": "终本后查询间隔",
    "requery_years": "终本后查询年限",
    # run, calendar, policy, side streams, staffing
    "start_date": "开始日期",
    "horizon_days": "统计截止（日）",
    "warmup_days": "预热期（日）",
    "cooldown_days": "收尾期（日）",
    "seed": "随机种子",
    "replications": "重复次数",
    "mode": "日历",
    "hours_per_day": "每日工时",
    "day_start_hour": "上班时间",
    "extra_holidays": "额外假日",
    "extra_workdays": "额外工作日",
    "closures": "闭院日",
    "simple_threshold_cny": "简案标的额上限（元）",
    "simple_if_frozen_covers": "冻结足额为简案",
    "simple_if_small_claim": "小额为简案",
    "simple_if_behaviour": "简单行为类为简案",
    "preservation_team": "保全案件承办团队",
    "zhongben_floor": "终本须满3个月",
    "zhongben_floor_months": "终本最短月数",
    "dispatch": "派工规则",
    "handler_assignment": "承办人分配",
    "related_same_handler": "关联案件同一承办人",
    "performed_by": "职能承担团队",
    "commissioned_per_year": "年委托事项",
    "petitions_per_year": "年信访",
    "supervision_per_year": "年执监",
    "lending_per_year": "年卷宗借阅",
    "data_requests_per_year": "年数据报送",
    "monitoring_interval_wdays": "节点监控间隔（工作日）",
    "judges": "员额法官",
    "officers": "执行员",
    "clerks": "书记员",
    "bailiffs": "法警",
    "units": "执行团队",
}
"""Chinese names of parameter fields (English ids are printed beside them)."""

_DIST_ZH = {
    "fixed": "固定",
    "triangular": "三角分布",
    "uniform": "均匀分布",
    "lognormal": "对数正态",
    "exponential": "指数分布",
    "gamma": "伽马分布",
    "empirical": "经验分布",
}

_NAMES_BY_ID: dict[str, tuple[str, str]] = {str(d): names for d, names in SLA_NAMES.items()}
"""Deadline names by the id the scenario file uses."""


def is_est(source: str) -> bool:
    """True when a citation marks an assumption (``EST``, ``S→EST``) or has no source."""
    return bool(re.search(r"\bEST\b", source)) or source == "unsourced"


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _dist(spec: Mapping[str, Any]) -> str:
    kind = spec["dist"]
    params = {k: v for k, v in spec.items() if k not in ("dist", "cap") and v is not None}
    text = ", ".join(f"{k} {_num(v)}" if not isinstance(v, list) else f"{k} {len(v)} values" for k, v in params.items())
    cap = f"; cap {_num(spec['cap'])}" if spec.get("cap") is not None else ""
    return f"{_DIST_ZH.get(kind, kind)} {kind}({text}{cap})"


def format_value(value: Any) -> str:
    """A parameter value in words: distributions, task roles, unit lists, shares."""
    if isinstance(value, Mapping) and "dist" in value:
        return _dist(value)
    if isinstance(value, Mapping) and "roles" in value and "hours" in value:
        roles = " + ".join(f"{ROLE_ZH.get(Role(r), r)}×{n}" for r, n in value["roles"].items())
        return f"{roles}: {_dist(value['hours'])}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {format_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        if value and isinstance(value[0], Mapping) and "name" in value[0]:
            return "; ".join(f"{u['name']} (执行员 {u['officers']}, 书记员 {u['clerks']})" for u in value)
        return ", ".join(format_value(v) for v in value) or "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    return _num(value)


EXPERIMENT_SETTINGS = frozenset({"run.seed", "run.replications"})
"""Fields that choose how the experiment is run, not what the court is like: never EST."""
EXPERIMENT_SETTING = "实验设置，不是对法院的假设 / a setting of the experiment, not an assumption about the court"


def _rows(path: str, node: Mapping[str, Any], inherited: str | None) -> Iterator[dict[str, Any]]:
    own = node.get("source") if "source" in node else inherited
    sources = node.get("sources", {}) if "source" in node else {}
    for key, value in node.items():
        if key in ("source", "sources"):
            continue
        if isinstance(value, Mapping) and "source" in value:  # a sourced sub-group (deadline, team)
            yield from _group_rows(f"{path}.{key}", key, value)
            continue
        source = sources.get(key) or own or "unsourced"
        if f"{path}.{key}" in EXPERIMENT_SETTINGS:
            source = EXPERIMENT_SETTING
        yield {
            "parameter": f"{path}.{key}",
            "zh": FIELD_ZH.get(key, ""),
            "value": format_value(value),
            "source": source,
            "est": is_est(source),
        }


def _group_rows(path: str, key: str, node: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """A deadline or a team is printed as one row; other groups field by field."""
    source = node.get("source") or "unsourced"
    if {"days", "basis"} <= set(node):
        unit = {"days": "日", "working_days": "个工作日", "months": "个月"}[node["basis"]]
        zh = _NAMES_BY_ID.get(key, ("", ""))[0]
        yield {
            "parameter": path,
            "zh": zh,
            "value": f"{node['days']} {unit} ({node['basis']})",
            "source": source,
            "est": is_est(source),
        }
        return
    if path.startswith("staffing."):
        zh = TEAM_ZH.get(Team(key), key) if key in {t.value for t in Team} else key
        counts = ", ".join(f"{FIELD_ZH[r]} {node[r]}" for r in ("judges", "officers", "clerks", "bailiffs"))
        units = f"; {format_value(node['units'])}" if node.get("units") else ""
        yield {
            "parameter": path,
            "zh": zh,
            "value": counts + units,
            "source": source,
            "est": is_est(source),
        }
        return
    yield from _rows(path, node, None)


def parameter_zh(path: str) -> str:
    """A parameter's Chinese name for a sentence (never its code path): ``staffing.fast_track.officers``
    → ``快执团队执行员人数``; ``arrivals.cases_per_year`` → ``年收案数``; else ``所扫描的参数``."""
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "staffing" and parts[1] in {t.value for t in Team} and parts[2] in FIELD_ZH:
        return f"{TEAM_ZH[Team(parts[1])]}{FIELD_ZH[parts[2]]}人数"
    return FIELD_ZH.get(parts[-1]) or "所扫描的参数"


def parameter_table(resolved: Mapping[str, Any]) -> pd.DataFrame:
    """One row per parameter: ``group, parameter, zh, value, source, est``.

    ``resolved`` is a scenario as ``Scenario.model_dump(mode="json")`` (the
    manifest's ``resolved``). Top-level texts (name, title) are left out.
    """
    rows = []
    for group, node in resolved.items():
        if not isinstance(node, Mapping):
            continue
        for row in _rows(group, node, None):
            rows.append({"group": group, **row})
    columns = ["group", "parameter", "zh", "value", "source", "est"]
    return pd.DataFrame(rows, columns=columns)

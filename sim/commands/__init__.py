"""Subcommands of ``courtsim``: one module each, with ``register`` and ``run``.

:data:`COMMANDS` and :data:`SUMMARIES` give each command's module and one-line help, so
that the command line can list every command while importing only the one that runs: the others import
pandas, scipy and the model, which made ``courtsim --help`` or ``validate`` take seconds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sim.lang import bi

COMMANDS: dict[str, str] = {
    "app": "app",
    "calibrate": "calibrate",
    "capacity": "capacity",
    "check-fit": "check_fit",
    "compare": "compare",
    "deadline": "deadline",
    "levers": "levers",
    "marginal": "marginal",
    "report": "report",
    "run": "run",
    "schema": "schema",
    "sensitivity": "sensitivity",
    "staff": "staff",
    "sweep": "sweep",
    "synth-records": "synth_records",
    "validate": "validate",
}
"""Command name → the module of :mod:`sim.commands` that registers and runs it."""

SUMMARIES_EN: dict[str, str] = {
    "app": "the what-if page in a browser: edit staffing and policies, run, read the verdict (Streamlit)",
    "calibrate": "fit a scenario to a court's case records (CSV or .xlsx) and write a calibration report",
    "capacity": "find the highest arrival multiplier at which a target holds with confidence",
    "check-fit": "simulate a scenario over the records' period and compare it with the records",
    "compare": "compare scenarios with the base, replication by replication (common random numbers)",
    "deadline": "compute the due date of a legal period (CPL art. 85)",
    "levers": "which lever (staffing, triage, [reform] switches, dispatch, handler rule) moves a target, CRN-paired",
    "marginal": "the bottleneck by effect: one more (or fewer) person in each team × role, CRN-paired, with intervals",
    "report": "write the HTML report (Chinese with English) of a results folder",
    "run": "simulate a scenario and print its KPIs with 95%% confidence intervals",
    "schema": "print the JSON Schema of scenario files",
    "sensitivity": "which assumptions drive the KPIs: Morris screening and Sobol indices (SALib) over their ranges",
    "staff": "find the smallest staffing (team × role) that meets targets",
    "sweep": "run a scenario over a grid of one or two parameters; a tidy table of KPIs",
    "synth-records": "write synthetic case records (the court export format) from a simulation",
    "validate": "check scenario files; print ok or every problem",
}
"""Command name → its one-line help in English (argparse ``%`` escapes included)."""

SUMMARIES_ZH: dict[str, str] = {
    "app": "在浏览器中做假设分析：调整人员和规则，运行，查看结论（Streamlit）",
    "calibrate": "用法院的案件记录（CSV 或 .xlsx）校准情景，并写出校准报告",
    "capacity": "求目标仍有把握达到的最高收案倍数",
    "check-fit": "按记录的期间模拟情景，与记录比较",
    "compare": "与基准情景逐次配对比较（共同随机数）",
    "deadline": "计算法定期间的届满日（民事诉讼法第85条）",
    "levers": "哪项措施（人员、分流规则、[reform] 开关、派案顺序、承办人规则）能推动目标，共同随机数配对",
    "marginal": "按效果找瓶颈：各团队×岗位增减一人，共同随机数配对，给出置信区间",
    "report": "为结果文件夹写出网页报告（中文，附英文）",
    "run": "模拟一个情景，输出主要指标及其95%%置信区间",
    "schema": "输出情景文件的 JSON Schema",
    "sensitivity": "哪些假设左右指标：在取值范围内做 Morris 筛选和 Sobol 指数（SALib）",
    "staff": "找出能达到目标的最少人员配置（团队×岗位）",
    "sweep": "在一两个参数的网格上运行情景，输出指标整表",
    "synth-records": "由模拟写出合成的案件记录（法院导出格式）",
    "validate": "检查情景文件：输出 ok 或每一个问题",
}
"""Command name → its one-line help in Chinese (argparse ``%`` escapes included)."""


class _Summaries(Mapping[str, str]):
    """Command name → its one-line help, Chinese first with the English beside it
    (:func:`sim.lang.bi`; English alone under ``--lang en``), read when asked."""

    def __getitem__(self, name: str) -> str:
        return bi(SUMMARIES_ZH[name], SUMMARIES_EN[name])

    def __iter__(self) -> Iterator[str]:
        return iter(SUMMARIES_EN)

    def __len__(self) -> int:
        return len(SUMMARIES_EN)


SUMMARIES: Mapping[str, str] = _Summaries()

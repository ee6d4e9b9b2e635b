#!/usr/bin/env python3
"""LeanStats against DuckDB, Polars and chDB on one synthetic history (issue 6).

Run it through `Benchmarks/compare` (which owns the venv); see Benchmarks/README.md for what every number means.

The driver generates a store with `leanstats gen`, exports it with `leanstats export csv`, and then measures, one
after the other: a memory-bandwidth probe, LeanStats (whole-process `query`, in-process `repl` with `.timer on`,
`import` of the CSV export, three runs now and two after the peers), each peer in its own worker process (CSV load, the six statistics warm in memory,
resident memory), Parquet (zstd) as the size yardstick, and DuckDB answering from its own database file in a fresh
process. Every peer answer is checked against LeanStats' `query --format json` answer; a difference is printed as
MISMATCH and makes the exit status 1.

The peers run each statistic exactly as docs/definitions.md defines it; the SQL and Polars code are one function
per query family below. Times inside the CSV are local (Asia/Shanghai), so periods compare local timestamps directly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# The six statistics of docs/definitions.md, as LeanStats query lines; `{p}` is the period.
STATS = [
    ("overview", "overview {p}"),
    ("by dept", "by dept count,pass_rate,participants {p}"),
    ("by category", "by category count,pass_rate {p}"),
    ("trend", "trend {p}"),
    ("top 10", "top 10 {p}"),
    ("efficiency", "efficiency {p}"),
]

# Columns each statistic must read per row, in LeanStats' encoding (`snapshot info` gives the widths). The creation
# time is not among them: the table is time-ordered, so periods and months are row ranges found by binary search.
# `days` is the processing-days column LeanStats derives at load (2 bytes, 4 only when some processing time exceeds
# 32,767 days; it also marks non-COMPLETED rows).
NEEDED_COLUMNS = {
    "overview": ["result", "user_id", "dept_id"],
    "by dept": ["dept_name", "result", "user_id"],
    "by category": ["form:提案类别", "result"],
    "trend": ["result", "user_id"],
    "top 10": ["user_id", "user_name", "dept_name", "result"],
    "efficiency": ["days"],
}
# The columns the statistics read at all, for "resident memory of the columns the statistics read".
STATISTICS_COLUMNS = ["create_time", "status", "result", "user_id", "user_name", "dept_id", "dept_name",
                      "form:提案类别"]

# Peer engines and their variants: `plain` loads the two exported tables as they are (strings, join for the
# category); `dict` is each engine's best modelling — low-cardinality columns as ENUM / Enum / LowCardinality, the
# category folded into the instance table, rows in time order, each user's latest name precomputed at load.
PEERS = [("duckdb", "plain"), ("duckdb", "dict"), ("polars", "plain"), ("polars", "dict"),
         ("chdb", "plain"), ("chdb", "dict")]
PEER_LABEL = {("duckdb", "plain"): "duckdb", ("duckdb", "dict"): "duckdb+enum",
              ("polars", "plain"): "polars", ("polars", "dict"): "polars+enum",
              ("chdb", "plain"): "chdb", ("chdb", "dict"): "chdb+lc"}

PI_COLUMNS = ["business_id", "process_instance_id", "title", "create_time", "finish_time", "status", "result",
              "originator_user_id", "originator_user_name", "originator_dept_id", "originator_dept_name"]
FV_COLUMNS = ["business_id", "component_name", "value_text"]
TIME_COLUMNS = {"create_time", "finish_time"}
CATEGORY_FIELD = "提案类别"

# Goals of issue 6 (at 10M rows).
GOAL_SPEEDUP = 10.0
GOAL_BOUND_FACTOR = 3.0
GOAL_MONTH_MS = 1.0
GOAL_LOAD_S = 1.0
GOAL_COLUMN_BYTES_PER_ROW = 40.0
GOAL_IMPORT_ROWS_PER_S = 1_000_000
# Goal of issue 17: the REPL's whole resident memory after the six statistics, per instance.
GOAL_RESIDENT_BYTES_PER_ROW = 40.0
# Goal of issue 17: the import's peak resident memory, per instance (1.5 GB for 10M rows).
GOAL_IMPORT_PEAK_BYTES_PER_ROW = 150.0


def log(message: str) -> None:
    print(f"compare: {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------------------
# Periods and answers
# ----------------------------------------------------------------------------------------------------------------

def queries(month: str) -> list[tuple[str, str]]:
    """Every (statistic, period) pair the run measures: all history, then one month."""
    return [(stat, period) for period in ("all", month) for stat, _ in STATS]


def query_line(stat: str, period: str) -> str:
    return dict(STATS)[stat].format(p=period)


def period_bounds(period: str) -> tuple[str, str] | None:
    """`None` for all history, else the half-open local-time interval [first day 00:00, day after last 00:00)."""
    if period == "all":
        return None
    year, month = map(int, period.split("-"))
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return f"{start} 00:00:00", f"{end} 00:00:00"


def pass_rate(passed: int, count: int) -> float:
    return passed / count * 100 if count else 0.0


def month_text(value) -> str:
    return value if isinstance(value, str) else value.strftime("%Y-%m")


# Each engine's query returns plain rows in one fixed column order per family; these turn them into the exact
# JSON shape of `leanstats query --format json` (docs/output-formats.md §2), so answers compare field by field.

def shape_overview(rows):
    count, passed, participants, depts = rows[0]
    return {"count": count, "passed": passed, "pass_rate": pass_rate(passed, count),
            "participants": participants, "depts": depts}


def shape_by_dept(rows):
    return [{"dept": d, "count": n, "pass_rate": pass_rate(p, n), "participants": u} for d, n, p, u in rows]


def shape_by_category(rows):
    return [{"category": c, "count": n, "pass_rate": pass_rate(p, n)} for c, n, p in rows]


def shape_trend(rows):
    return [{"month": month_text(m), "count": n, "passed": p, "pass_rate": pass_rate(p, n), "participants": u}
            for m, n, p, u in rows]


def shape_top(rows, names):
    return [{"user_id": u, "user": names.get(u, u), "dept": d, "count": n, "passed": p, "pass_rate": pass_rate(p, n)}
            for u, d, n, p in rows]


def shape_efficiency(rows):
    total, low, high, completed, within30 = rows[0]
    if not completed:
        return {"avg_days": None, "min_days": None, "max_days": None, "completed": 0, "within30_rate": 0.0}
    return {"avg_days": total / completed, "min_days": low, "max_days": high, "completed": completed,
            "within30_rate": within30 / completed * 100}


def differences(expected, actual, path="") -> list[str]:
    """Where two JSON answers differ: exact for strings and integers, 1e-9 relative for floats."""
    if isinstance(expected, list) and isinstance(actual, list):
        out = []
        if len(expected) != len(actual):
            out.append(f"{path or 'rows'}: {len(actual)} rows, expected {len(expected)}")
        for index, (e, a) in enumerate(zip(expected, actual)):
            out += differences(e, a, f"{path}[{index}]")
        return out
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            return [f"{path}: keys {list(actual)}, expected {list(expected)}"]
        out = []
        for key in expected:
            out += differences(expected[key], actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, float) or isinstance(actual, float):
        if expected is not None and actual is not None:
            if abs(float(expected) - float(actual)) <= 1e-9 * max(1.0, abs(float(expected))):
                return []
    elif expected == actual and type(expected) is type(actual):
        return []
    return [f"{path}: {actual!r}, expected {expected!r}"]


# ----------------------------------------------------------------------------------------------------------------
# Query forms: every form of docs/query-language.md as a LeanStats line, read into a small model the peers answer
# ----------------------------------------------------------------------------------------------------------------

# Each line is sent to LeanStats as it stands; the peers answer what `parse_form` reads from the same line. The filter
# values exist in every generated store of 200,000 rows or more (`leanstats gen`: departments 生产部 … 信息部, the 15
# categories, user ids u0000000 up; 郑芳鹏 is the latest name of users u0002100 and u0016296, and of one more user
# every 14,196). Left out: relative periods (`ytd`, `last 90d`, …), which count from today while the generated
# history ends in November 2025; `participation_rate`, always null without a contacts directory; `describe`, which
# describes the store's columns. `age_days` also counts from today: the driver pins the date (`shanghai_today`), so
# LeanStats and the peers count to the same day.
FORM_LINES = [
    "overview 2025 where dept=生产部",
    "overview count,running,age_days all",
    "overview count,refused,completed,avg_days,p50_days,p90_days all",
    "overview count,benefit_sum 2025-Q4",
    "overview 2025-10 vs prev",
    "overview count,pass_rate,participants 2025 vs yoy where category=安全改善",
    "overview 2025 where (dept=生产部 or dept=设备部) and status=已完成",
    "overview count,passed all where user=u0000042",
    "overview count,passed,participants all where user=郑芳鹏",
    "overview count,running 2025-H1 where result=none or dept=质量部 and status=TERMINATED",
    "by dept count,pass_rate,participants 2025-10 order by pass_rate desc limit 5",
    "by dept count,passed,refused,running all",
    "by dept count,avg_days,min_days,max_days,completed,within30_rate 2025",
    "by dept count,p50_days,p90_days all",
    "by dept count 2025-10 vs prev order by count_change desc limit 5",
    "by dept count,pass_rate 2025-10 vs yoy where category=安全改善",
    "by dept count,age_days all where status in (NEW, 审批中)",
    "by category count,passed 2025-Q3 vs 2025-Q1",
    "by category count,benefit_sum all",
    "by category count,pass_rate,depts 2025 where dept in (生产部, 质量部)",
    "by user count,passed all limit 20",
    "by user count,pass_rate 2025 where dept=质量部 order by pass_rate limit 10",
    "by status count,participants all",
    "by result count,avg_days 2025",
    "by month count,p50_days,p90_days 2025",
    "by quarter count,passed,refused 2024..2025",
    "by year count,participants,depts all",
    "by field:提案类别 count,pass_rate all",
    "top 10 2025-Q4 where dept=生产部",
    "top 10 2025 where dept in (生产部, 质量部) or category=安全改善",
    "efficiency 2025 where category=安全改善",
    "efficiency 2025-10 vs prev where dept=生产部",
    "trend 2025-01..2025-06",
    "trend all where dept=未填部门",
    "list 2025-11 where status=RUNNING limit 20",
    "list 2025 where user=郑芳鹏 and result=none limit 20",
    "list 2025-11 where dept=未填部门 or category=未分类 limit 20",
]

OVERVIEW_METRICS = ("count", "passed", "pass_rate", "participants", "depts")
EFFICIENCY_METRICS = ("avg_days", "min_days", "max_days", "completed", "within30_rate")
TREND_METRICS = ("count", "passed", "pass_rate", "participants")
TOP_COLUMNS = ("user_id", "user", "dept", "count", "passed", "pass_rate")
LIST_COLUMNS = ("business_id", "title", "user", "dept", "category", "status", "result", "created", "finished",
                "days")
COMPARED = ("", "_prev", "_change", "_change_pct")
CALENDAR_MONTHS = {"month": 1, "quarter": 3, "year": 12}
MISSING_LABEL = {"dept": "未填部门", "category": "未分类"}
STATUS_NAMES = {"审批中": "RUNNING", "已完成": "COMPLETED", "审批完成": "COMPLETED", "已撤销": "TERMINATED"}
PREVIOUS_WORDS = {"prev", "previous", "mom", "环比"}
YEAR_EARLIER_WORDS = {"yoy", "同比"}
BENEFIT_FIELD = "预计收益(元)"
METRICS = {"count", "passed", "pass_rate", "participants", "depts", "avg_days", "min_days", "max_days", "completed",
           "within30_rate", "refused", "running", "benefit_sum", "p50_days", "p90_days", "participation_rate",
           "age_days"}


@dataclass(frozen=True)
class DayRange:
    """Whole local days, both ends included (docs/definitions.md §2)."""
    first: dt.date
    last: dt.date

    def bounds(self) -> tuple[str, str]:
        """The half-open local-time interval [first 00:00, day after last 00:00)."""
        return f"{self.first} 00:00:00", f"{self.last + dt.timedelta(days=1)} 00:00:00"


@dataclass(frozen=True)
class Order:
    """`order by METRIC[_prev|_change|_change_pct] [asc|desc]`."""
    metric: str
    suffix: str
    descending: bool


@dataclass(frozen=True)
class Form:
    """One query line as the peers answer it.

    `command` is `overview` (also `efficiency`), `by` (also `trend`), `top` or `list`; `filter` is a tree of
    `("or", parts)`, `("and", parts)` and `("in", key, values)` with status codes, result words and `None` for a
    missing value (`未填部门`, `未分类`, `result=none`)."""
    line: str
    command: str
    dimension: str | None = None
    metrics: tuple[str, ...] = ()
    period: DayRange | None = None
    comparison: DayRange | None = None
    filter: tuple | None = None
    order: Order | None = None
    limit: int | None = None

    @property
    def field(self) -> str | None:
        """The form field of `by field:NAME`."""
        return self.dimension[len("field:"):] if self.dimension and self.dimension.startswith("field:") else None

    @property
    def columns(self) -> list[str]:
        """The JSON keys of a result row, in LeanStats' order (docs/output-formats.md §2)."""
        if self.command == "top":
            return list(TOP_COLUMNS)
        if self.command == "list":
            return list(LIST_COLUMNS)
        metrics = [m + s for m in self.metrics for s in (COMPARED if self.comparison else ("",))]
        if self.command == "overview":
            return metrics
        keys = ["user_id", "user", "dept"] if self.dimension == "user" else [self.field or self.dimension]
        return keys + metrics

    @property
    def is_single_object(self) -> bool:
        """Whether LeanStats answers with one object (`overview`, `efficiency`) rather than a list of rows."""
        return self.command == "overview"


def month_end(day: dt.date) -> dt.date:
    """The last day of the month of `day`."""
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def shift_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (before, when negative) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_point(text: str) -> DayRange:
    """A year, half-year, quarter, month or day (docs/query-language.md, Periods)."""
    match = re.fullmatch(r"(\d{4})(?:-[Hh]([12])|-[Qq]([1-4])|-(\d{2})(?:-(\d{2}))?)?", text)
    if not match:
        raise ValueError(f"not a period: {text}")
    year, half, quarter, month, day = match.groups()
    year = int(year)
    if day:
        date = dt.date(year, int(month), int(day))
        return DayRange(date, date)
    if month:
        first = dt.date(year, int(month), 1)
        return DayRange(first, month_end(first))
    months = 6 if half else 3 if quarter else 12
    first = dt.date(year, (int(half or quarter or 1) - 1) * months + 1, 1)
    return DayRange(first, month_end(shift_months(first, months - 1)))


def parse_period(text: str) -> DayRange | None:
    """`all` (None), a point, or a range `A..B` from the first day of A through the last day of B."""
    if text == "all":
        return None
    if ".." in text:
        start, end = text.split("..")
        return DayRange(parse_point(start).first, parse_point(end).last)
    return parse_point(text)


def comparison_period(period: DayRange | None, word: str) -> DayRange:
    """The earlier period of `vs WORD` (docs/query-language.md, Comparisons)."""
    if period is None:
        raise ValueError("vs does not work with all")
    whole_months = period.first.day == 1 and period.last == month_end(period.last)
    if word in PREVIOUS_WORDS:
        if whole_months:
            months = (period.last.year - period.first.year) * 12 + period.last.month - period.first.month + 1
            return DayRange(shift_months(period.first, -months), month_end(shift_months(period.first, -1)))
        days = (period.last - period.first).days + 1
        return DayRange(period.first - dt.timedelta(days=days), period.first - dt.timedelta(days=1))
    if word in YEAR_EARLIER_WORDS:
        if whole_months:
            return DayRange(shift_months(period.first, -12), month_end(shift_months(period.last, -12)))
        earlier = lambda d: d.replace(year=d.year - 1, day=min(d.day, 28) if d.month == 2 and d.day == 29 else d.day)
        return DayRange(earlier(period.first), earlier(period.last))
    return parse_period(word)


def filter_value(key: str, value: str):
    """A filter value as the columns hold it: status names as codes, `none` and the missing-group labels as None."""
    if key == "status":
        return STATUS_NAMES.get(value, value.upper())
    if key == "result":
        return None if value.lower() == "none" else value.lower()
    if key in MISSING_LABEL and value == MISSING_LABEL[key]:
        return None
    return value


def parse_filter(text: str) -> tuple:
    """`filters = group {or group}; group = primary {and primary}; primary = condition | ( filters )`."""
    tokens = re.findall(r"[(),=]|[^\s(),=]+", text)
    position = 0

    def peek():
        return tokens[position] if position < len(tokens) else None

    def take(expected=None):
        nonlocal position
        token = peek()
        if token is None or (expected and token.lower() != expected):
            raise ValueError(f"filter {text!r}: expected {expected or 'a word'} at {token!r}")
        position += 1
        return token

    def chain(word, operand):
        parts = [operand()]
        while (peek() or "").lower() == word:
            take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (word, tuple(parts))

    def alternatives():
        return chain("or", group)

    def group():
        return chain("and", primary)

    def primary():
        if peek() == "(":
            take()
            inner = alternatives()
            take(")")
            return inner
        key = take().lower()
        if peek() == "=":
            take()
            values = [take()]
        else:
            take("in")
            take("(")
            values = [take()]
            while peek() == ",":
                take()
                values.append(take())
            take(")")
        return ("in", key, tuple(filter_value(key, v) for v in values))

    tree = alternatives()
    if peek() is not None:
        raise ValueError(f"filter {text!r}: unexpected {peek()!r}")
    return tree


FORM_TAIL = re.compile(r"(?P<head>.*?)(?:\s+where\s+(?P<where>.*?))?"
                       r"(?:\s+order\s+by\s+(?P<order>\S+)(?:\s+(?P<direction>asc|desc))?)?"
                       r"(?:\s+limit\s+(?P<limit>\d+))?\s*")


def parse_form(line: str) -> Form:
    """Reads a query line of the forms the benchmark uses into a ``Form`` (the grammar of docs/query-language.md)."""
    parts = FORM_TAIL.fullmatch(line).groupdict()
    words = parts["head"].split()
    command = words.pop(0)
    fields: dict = {"line": line, "filter": parse_filter(parts["where"]) if parts["where"] else None,
                    "limit": int(parts["limit"]) if parts["limit"] else None}
    if parts["order"]:
        metric, suffix = re.fullmatch(r"(.*?)(_prev|_change_pct|_change)?", parts["order"]).groups()
        fields["order"] = Order(metric, suffix or "", parts["direction"] != "asc")
    if command == "overview":
        metrics = tuple(words.pop(0).split(",")) if words[0].split(",")[0] in METRICS else OVERVIEW_METRICS
        fields.update(command="overview", metrics=metrics)
    elif command == "efficiency":
        fields.update(command="overview", metrics=EFFICIENCY_METRICS)
    elif command == "trend":
        fields.update(command="by", dimension="month", metrics=TREND_METRICS)
    elif command == "by":
        fields.update(command="by", dimension=words.pop(0), metrics=tuple(words.pop(0).split(",")))
    elif command == "top":
        fields.update(command="top", limit=int(words.pop(0)))
    elif command == "list":
        fields.update(command="list")
    else:
        raise ValueError(f"unsupported form: {line}")
    fields["period"] = parse_period(words.pop(0))
    if words:
        if words.pop(0) != "vs":
            raise ValueError(f"unsupported form: {line}")
        fields["comparison"] = comparison_period(fields["period"], words.pop(0))
    return Form(**fields)


def shanghai_today() -> dt.date:
    """Today in Asia/Shanghai (UTC+8 all year), the zone `leanstats` counts `age_days` in by default."""
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()


# Per-group aggregates the metrics are computed from, by SQL and by Polars alike. The dict variants hold
# `category`, `benefit` (the number in `预计收益(元)`) and `days` (processing days, NULL unless COMPLETED with a
# finish time) as columns; the plain ones derive them (`sql_form_source`, `pl_form_source`). The additive
# aggregates are 0 for a group without instances in a period.
METRIC_AGGREGATES = {
    "count": ("n",), "passed": ("n_agree",), "refused": ("n_refuse",), "running": ("n_running",),
    "pass_rate": ("n", "n_agree"), "participants": ("n_users",), "depts": ("n_depts",),
    "avg_days": ("n_completed", "days_total"), "min_days": ("days_min",), "max_days": ("days_max",),
    "completed": ("n_completed",), "within30_rate": ("n_completed", "n_within30"),
    "p50_days": ("days_p50",), "p90_days": ("days_p90",), "benefit_sum": ("benefit_total",),
    "age_days": ("n_open", "open_age_total"),
}
NULLABLE_AGGREGATES = {"days_min", "days_max", "days_p50", "days_p90"}
DAYS_METRICS = {"avg_days", "min_days", "max_days", "completed", "within30_rate", "p50_days", "p90_days"}
OPEN_STATUSES = ("NEW", "RUNNING")


class NotExpressible(Exception):
    """A form a peer cannot answer; its time and answer are `n/a`."""


def form_aggregates(form: Form) -> list[str]:
    """The aggregates a form's metrics (and its `order by` metric) need, `n` always first."""
    metrics = list(form.metrics) + ([form.order.metric] if form.order else [])
    names = ["n"]
    for metric in metrics:
        if metric not in METRIC_AGGREGATES:
            raise NotExpressible(f"metric {metric}")
        names += [name for name in METRIC_AGGREGATES[metric] if name not in names]
    return names


def form_filter_keys(tree) -> set[str]:
    """The filter keys a filter tree tests."""
    if tree is None:
        return set()
    if tree[0] == "in":
        return {tree[1]}
    return set().union(*(form_filter_keys(part) for part in tree[1]))


def form_needs(form: Form) -> set[str]:
    """The derived columns a form reads: `category`, `benefit`, `days`."""
    metrics = set(form.metrics) | ({form.order.metric} if form.order else set())
    needs = {"category"} & form_filter_keys(form.filter)
    if form.dimension == "category" or form.field == CATEGORY_FIELD:
        needs.add("category")
    if form.field and form.field != CATEGORY_FIELD:
        raise NotExpressible(f"form field {form.field}")
    if "benefit_sum" in metrics:
        needs.add("benefit")
    if metrics & DAYS_METRICS:
        needs.add("days")
    if form.command == "list":
        needs |= {"category", "days"}
    return needs


# Filter keys and grouping dimensions → the instance table's columns (`user` is resolved through the users table).
FILTER_COLUMNS = {"dept": "originator_dept_name", "category": "category", "status": "status",
                  "result": "result"}


def shape_form(form: Form, rows) -> dict | list:
    """Engine rows (in `form.columns` order) as LeanStats' JSON answer."""
    objects = [dict(zip(form.columns, row)) for row in rows]
    return objects[0] if form.is_single_object else objects



# ----------------------------------------------------------------------------------------------------------------
# SQL engines (DuckDB, chDB): one function per query family, the dialect differences in one table
# ----------------------------------------------------------------------------------------------------------------

DIALECTS = {
    "duckdb": {
        "count_if": "count(*) FILTER (WHERE {})",
        "month": "date_trunc('month', create_time)",
        "month_text": "strftime({}, '%Y-%m')",
        "days": "date_diff('day', create_time::DATE, finish_time::DATE)",
        "time": "TIMESTAMP '{}'",
        "arg_max": "arg_max({}, {})",
        "latest_or_null": "arg_max_null({}, {})",
        "text": "CAST({} AS VARCHAR)",
        "to_double": "TRY_CAST({} AS DOUBLE)",
        "quantile": "quantile_cont({x}, {q})",
        "date": "CAST({} AS DATE)",
        "date_literal": "DATE '{}'",
        "day_diff": "date_diff('day', {}, {})",
        "trunc": {"month": "date_trunc('month', create_time)", "quarter": "date_trunc('quarter', create_time)",
                  "year": "date_trunc('year', create_time)"},
        "bucket_text": {"month": "strftime({0}, '%Y-%m')",
                        "quarter": "strftime({0}, '%Y') || '-Q' || CAST(quarter({0}) AS VARCHAR)",
                        "year": "strftime({0}, '%Y')"},
        "settings": "",
    },
    "chdb": {
        "count_if": "countIf({})",
        "month": "toStartOfMonth(create_time)",
        "month_text": "formatDateTime({}, '%Y-%m')",
        "days": "dateDiff('day', toDate(create_time), toDate(finish_time))",
        "time": "toDateTime('{}', 'Asia/Shanghai')",
        "arg_max": "argMax({}, {})",
        "latest_or_null": "argMax(tuple({}), {}).1",
        "text": "toString({})",
        "to_double": "toFloat64OrNull({})",
        "quantile": "quantileExactInclusive({q})({x})",
        "date": "toDate({})",
        "date_literal": "toDate('{}')",
        "day_diff": "dateDiff('day', {}, {})",
        "trunc": {"month": "toStartOfMonth(create_time)", "quarter": "toStartOfQuarter(create_time)",
                  "year": "toStartOfYear(create_time)"},
        "bucket_text": {"month": "formatDateTime({0}, '%Y-%m')",
                        "quarter": "formatDateTime({0}, '%Y') || '-Q' || toString(toQuarter({0}))",
                        "year": "formatDateTime({0}, '%Y')"},
        "settings": " SETTINGS join_use_nulls = 1",
    },
}


def sql_where(d, period: str, *conditions: str) -> str:
    parts = list(conditions)
    bounds = period_bounds(period)
    if bounds:
        parts[:0] = [f"create_time >= {d['time'].format(bounds[0])}", f"create_time < {d['time'].format(bounds[1])}"]
    return "WHERE " + " AND ".join(parts) if parts else ""


def sql_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


AGREED = "result = 'agree'"
COMPLETED = "status = 'COMPLETED'"


def agreed(d) -> str:
    return d["count_if"].format(AGREED)


def sql_overview(d, variant, period):
    return (f"SELECT count(*), {agreed(d)}, count(DISTINCT originator_user_id), "
            f"count(DISTINCT originator_dept_id) FROM pi {sql_where(d, period)}")


def sql_missing_label(d, column: str, dimension: str) -> str:
    """A group key with NULL shown as the group of instances without a value (`未填部门`, `未分类`)."""
    return f"coalesce({d['text'].format(column)}, {sql_literal(MISSING_LABEL[dimension])})"


def sql_by_dept(d, variant, period):
    return (f"SELECT {sql_missing_label(d, 'dept', 'dept')} AS name, n, passed, users FROM "
            f"(SELECT originator_dept_name AS dept, count(*) AS n, {agreed(d)} AS passed, "
            f"count(DISTINCT originator_user_id) AS users FROM pi {sql_where(d, period)} GROUP BY dept) AS g "
            f"ORDER BY n DESC, name ASC")


def sql_by_category(d, variant, period):
    if variant == "dict":
        source, key = "pi", "category"
    else:
        source = (f"pi LEFT JOIN (SELECT business_id, value_text FROM fv WHERE component_name = "
                  f"{sql_literal(CATEGORY_FIELD)}) AS f ON f.business_id = pi.business_id")
        key = "f.value_text"
    return (f"SELECT {sql_missing_label(d, 'category', 'category')} AS name, n, passed FROM "
            f"(SELECT {key} AS category, count(*) AS n, {agreed(d)} AS passed FROM {source} {sql_where(d, period)} "
            f"GROUP BY category) AS g ORDER BY n DESC, name ASC{d['settings']}")


def sql_trend(d, variant, period):
    return (f"SELECT {d['month_text'].format('m')}, n, passed, participants FROM (SELECT {d['month']} AS m, "
            f"count(*) AS n, {agreed(d)} AS passed, "
            f"count(DISTINCT originator_user_id) AS participants FROM pi {sql_where(d, period)} GROUP BY m) "
            f"ORDER BY m")


def sql_top(d, variant, period):
    return (f"SELECT user_id, dept, n, passed FROM (SELECT originator_user_id AS user_id, "
            f"originator_dept_name AS dept, count(*) AS n, {agreed(d)} AS passed, "
            f"rank() OVER (ORDER BY count(*) DESC) AS place FROM pi "
            f"{sql_where(d, period, 'originator_user_name IS NOT NULL')} GROUP BY user_id, dept) AS g "
            f"WHERE place <= 10 ORDER BY n DESC, user_id ASC, dept ASC NULLS FIRST")


def sql_top_names(d, variant, user_ids):
    """Each ranked user's most recent name in the whole store (docs/definitions.md §4): a lookup in the users table
    built at load, or in the plain variant a scan for just these users."""
    ids = ", ".join(sql_literal(u) for u in user_ids)
    if variant == "dict":
        return f"SELECT user_id, name FROM users WHERE user_id IN ({ids})"
    return (f"SELECT originator_user_id, {d['arg_max'].format('originator_user_name', 'create_time')} FROM pi "
            f"WHERE originator_user_id IN ({ids}) AND originator_user_name IS NOT NULL GROUP BY originator_user_id")


def sql_efficiency(d, variant, period):
    return (f"SELECT sum(days), min(days), max(days), count(*), {d['count_if'].format('days <= 30')} FROM "
            f"(SELECT {d['days']} AS days FROM pi "
            f"{sql_where(d, period, COMPLETED, 'finish_time IS NOT NULL')})")


def sql_statistic(run, dialect: str, variant: str, stat: str, period: str):
    """Answers one statistic with `run(sql) -> rows`, in LeanStats' JSON shape."""
    d = DIALECTS[dialect]
    if stat == "overview":
        return shape_overview(run(sql_overview(d, variant, period)))
    if stat == "by dept":
        return shape_by_dept(run(sql_by_dept(d, variant, period)))
    if stat == "by category":
        return shape_by_category(run(sql_by_category(d, variant, period)))
    if stat == "trend":
        return shape_trend(run(sql_trend(d, variant, period)))
    if stat == "top 10":
        rows = run(sql_top(d, variant, period))
        names = dict(run(sql_top_names(d, variant, sorted({r[0] for r in rows})))) if rows else {}
        return shape_top(rows, names)
    if stat == "efficiency":
        return shape_efficiency(run(sql_efficiency(d, variant, period)))
    raise ValueError(stat)


# ----------------------------------------------------------------------------------------------------------------
# SQL engines: the query forms
# ----------------------------------------------------------------------------------------------------------------

def sql_form_source(d, variant: str, needs: set[str]) -> str:
    """The instance table with the derived columns a form reads: in the dict variants they are columns, the plain
    variants join the two form fields and compute the processing days."""
    if variant == "dict" or not needs:
        return "pi"
    columns, joins = ["pi.*"], []
    for name, field, value in (("category", CATEGORY_FIELD, "value_text"),
                               ("benefit", BENEFIT_FIELD, d["to_double"].format("value_text"))):
        if name in needs:
            columns.append(f"{name}_field.{name}")
            joins.append(f"LEFT JOIN (SELECT business_id, {value} AS {name} FROM fv WHERE component_name = "
                         f"{sql_literal(field)}) AS {name}_field ON {name}_field.business_id = pi.business_id")
    if "days" in needs:
        columns.append(f"CASE WHEN {COMPLETED} AND finish_time IS NOT NULL THEN {d['days']} END AS days")
    return f"(SELECT {', '.join(columns)} FROM pi {' '.join(joins)}) AS src"


def sql_users(d, variant: str) -> str:
    """Each user id's latest name (of its named instances) and the department name of its latest instance
    (docs/query-language.md, `by user`): the users table built at load, or in the plain variant a scan of pi."""
    if variant == "dict":
        return "users"
    return (f"(SELECT originator_user_id AS user_id, "
            f"{d['arg_max'].format('originator_user_name', 'create_time')} AS name, "
            f"{d['latest_or_null'].format('originator_dept_name', 'create_time')} AS dept "
            f"FROM pi GROUP BY originator_user_id)")


def sql_form_filter(d, variant: str, tree) -> str:
    """A filter tree as a SQL condition; `user=` takes an id or the latest name of users."""
    if tree[0] in ("and", "or"):
        return "(" + f" {tree[0].upper()} ".join(sql_form_filter(d, variant, part) for part in tree[1]) + ")"
    _, key, values = tree
    present = ", ".join(sql_literal(v) for v in values if v is not None)
    if key == "user":
        return (f"(originator_user_id IN ({present}) OR originator_user_id IN "
                f"(SELECT user_id FROM {sql_users(d, variant)} AS named WHERE name IN ({present})))")
    column = FILTER_COLUMNS[key]
    tests = ([f"{column} IN ({present})"] if present else []) + ([f"{column} IS NULL"] if None in values else [])
    return "(" + " OR ".join(tests) + ")"


def sql_form_where(d, variant: str, form: Form, period: DayRange | None, *conditions: str) -> str:
    parts = list(conditions)
    if period:
        start, end = period.bounds()
        parts[:0] = [f"create_time >= {d['time'].format(start)}", f"create_time < {d['time'].format(end)}"]
    if form.filter:
        parts.append(sql_form_filter(d, variant, form.filter))
    return "WHERE " + " AND ".join(parts) if parts else ""


def sql_aggregates(d, today: dt.date) -> dict[str, str]:
    """The SQL of every per-group aggregate."""
    count_if = d["count_if"].format
    open_rows = "status IN (" + ", ".join(map(sql_literal, OPEN_STATUSES)) + ")"
    age = d["day_diff"].format(d["date"].format("create_time"), d["date_literal"].format(today))
    return {
        "n": "count(*)", "n_agree": count_if(AGREED), "n_refuse": count_if("result = 'refuse'"),
        "n_running": count_if("status = 'RUNNING'"), "n_users": "count(DISTINCT originator_user_id)",
        "n_depts": "count(DISTINCT originator_dept_id)", "n_completed": "count(days)", "days_total": "sum(days)",
        "days_min": "min(days)", "days_max": "max(days)", "n_within30": count_if("days <= 30"),
        "days_p50": d["quantile"].format(x="days", q=0.5), "days_p90": d["quantile"].format(x="days", q=0.9),
        "benefit_total": "sum(benefit)", "n_open": count_if(open_rows),
        "open_age_total": f"sum(CASE WHEN {open_rows} THEN {age} END)",
    }


def sql_aggregate_ref(alias: str):
    """`ref(name)`: an aggregate of the group subquery `alias`, 0 for an additive one the group lacks."""
    return lambda name: f"{alias}.{name}" if name in NULLABLE_AGGREGATES else f"coalesce({alias}.{name}, 0)"


def sql_metric(metric: str, ref) -> str:
    """One metric from a group's aggregates, as docs/definitions.md and the Metrics table define it."""
    def share(part: str, whole: str, empty: str) -> str:
        return f"CASE WHEN {ref(whole)} = 0 THEN {empty} ELSE {ref(part)} / {ref(whole)} * 100 END"

    def mean(total: str, count: str) -> str:
        return f"CASE WHEN {ref(count)} = 0 THEN NULL ELSE {ref(total)} / {ref(count)} END"

    formulas = {
        "count": lambda: ref("n"), "passed": lambda: ref("n_agree"), "refused": lambda: ref("n_refuse"),
        "running": lambda: ref("n_running"), "participants": lambda: ref("n_users"), "depts": lambda: ref("n_depts"),
        "completed": lambda: ref("n_completed"), "min_days": lambda: ref("days_min"),
        "max_days": lambda: ref("days_max"), "p50_days": lambda: ref("days_p50"), "p90_days": lambda: ref("days_p90"),
        "pass_rate": lambda: share("n_agree", "n", "CAST(0 AS DOUBLE)"),
        "within30_rate": lambda: share("n_within30", "n_completed", "NULL"),
        "avg_days": lambda: mean("days_total", "n_completed"),
        "age_days": lambda: mean("open_age_total", "n_open"),
        "benefit_sum": lambda: f"CAST({ref('benefit_total')} AS DOUBLE)",
    }
    return formulas[metric]()


def sql_compared(metric: str, current, previous) -> list[str]:
    """`m, m_prev, m_change, m_change_pct`; the changes are NULL when the group has no instances earlier."""
    now, before = sql_metric(metric, current), sql_metric(metric, previous)
    empty = f"{previous('n')} = 0"
    return [now, before, f"CASE WHEN {empty} THEN NULL ELSE {now} - {before} END",
            f"CASE WHEN {empty} OR {before} = 0 THEN NULL ELSE ({now} - {before}) / abs({before}) * 100 END"]


def sql_group_key(d, form: Form) -> tuple[str, str, list[str]]:
    """(the grouping expression `k`, its label, row conditions) of a `by` form. Departments and categories without
    a value form a group of their own (`未填部门`, `未分类`); statuses, results and form fields without one are left
    out. User groups keep the id as key: it orders like the id text and joins the users table."""
    dimension = form.dimension
    if dimension in CALENDAR_MONTHS:
        return d["trunc"][dimension], d["bucket_text"][dimension].format("k"), []
    if dimension == "user":
        return "originator_user_id", "k", []
    column = "category" if form.field == CATEGORY_FIELD else FILTER_COLUMNS[dimension]
    if dimension in MISSING_LABEL:
        return column, f"coalesce({d['text'].format('k')}, {sql_literal(MISSING_LABEL[dimension])})", []
    return column, d["text"].format("k"), [f"{column} IS NOT NULL"]


def sql_form_groups(d, variant: str, form: Form, period: DayRange | None, today: dt.date) -> str:
    """The aggregates of one period, one row per group (`grp`), or one row for `overview`."""
    aggregates = sql_aggregates(d, today)
    names = form_aggregates(form)
    select = ", ".join(f"{aggregates[name]} AS {name}" for name in names)
    source = sql_form_source(d, variant, form_needs(form))
    if form.dimension is None:
        return f"SELECT {select} FROM {source} {sql_form_where(d, variant, form, period)}"
    key, label, conditions = sql_group_key(d, form)
    return (f"SELECT {label} AS grp, {', '.join(names)} FROM (SELECT {key} AS k, {select} FROM {source} "
            f"{sql_form_where(d, variant, form, period, *conditions)} GROUP BY k) AS a")


def sql_form_order(form: Form, group: str, current, previous) -> str:
    """docs/definitions.md §6 — calendar buckets oldest first, other groups by count descending then key — after
    the `order by` metric (NULLs last either way)."""
    terms = [f"{group} ASC"] if form.dimension in CALENDAR_MONTHS else [f"{current('n')} DESC", f"{group} ASC"]
    if form.order:
        column = COMPARED.index(form.order.suffix)
        metric = (sql_compared(form.order.metric, current, previous)[column] if form.comparison
                  else sql_metric(form.order.metric, current))
        terms.insert(0, f"{metric} {'DESC' if form.order.descending else 'ASC'} NULLS LAST")
    return "ORDER BY " + ", ".join(terms)


def sql_form_breakdown(d, variant: str, form: Form, today: dt.date) -> str:
    """`overview`, `efficiency`, `by` and `trend`: the groups of the period, with `vs` joined to the earlier
    period's (a full join: groups of either period), then ordered and limited."""
    current = sql_aggregate_ref("c")
    previous = sql_aggregate_ref("p")
    if form.comparison:
        values = [v for m in form.metrics for v in sql_compared(m, current, previous)]
        join = "CROSS JOIN" if form.dimension is None else "FULL OUTER JOIN"
        source = (f"({sql_form_groups(d, variant, form, form.period, today)}) AS c {join} "
                  f"({sql_form_groups(d, variant, form, form.comparison, today)}) AS p"
                  + ("" if form.dimension is None else " ON c.grp = p.grp"))
        group = "coalesce(c.grp, p.grp)"
    else:
        values = [sql_metric(m, current) for m in form.metrics]
        source = f"({sql_form_groups(d, variant, form, form.period, today)}) AS c"
        group = "c.grp"
    if form.dimension is None:
        return f"SELECT {', '.join(values)} FROM {source}{d['settings']}"
    keys = [d["text"].format(group)]
    if form.dimension == "user":
        keys += [f"coalesce(us.name, {keys[0]})", d["text"].format("us.dept")]
        source += f" LEFT JOIN {sql_users(d, variant)} AS us ON us.user_id = {group}"
    limit = f" LIMIT {form.limit}" if form.limit else ""
    return (f"SELECT {', '.join(keys + values)} FROM {source} {sql_form_order(form, group, current, previous)}"
            f"{limit}{d['settings']}")


def sql_form_top(d, variant: str, form: Form, today: dt.date) -> str:
    """`top N`: (user id, department name) groups of named instances; every group whose count reaches the N-th
    largest stays (rank ≤ N); each user with the latest name."""
    source = sql_form_source(d, variant, form_needs(form))
    where = sql_form_where(d, variant, form, form.period, "originator_user_name IS NOT NULL")
    ranked = (f"SELECT originator_user_id AS uid, originator_dept_name AS dept, count(*) AS n, {agreed(d)} AS n_agree, "
              f"rank() OVER (ORDER BY count(*) DESC) AS place FROM {source} {where} "
              f"GROUP BY originator_user_id, originator_dept_name")
    ref = sql_aggregate_ref("g")
    uid = d["text"].format("g.uid")
    return (f"SELECT {uid}, coalesce(us.name, {uid}), {d['text'].format('g.dept')}, g.n, g.n_agree, "
            f"{sql_metric('pass_rate', ref)} FROM ({ranked}) AS g LEFT JOIN {sql_users(d, variant)} AS us "
            f"ON us.user_id = g.uid WHERE g.place <= {form.limit} "
            f"ORDER BY g.n DESC, g.uid ASC, g.dept ASC NULLS FIRST{d['settings']}")


def sql_form_list(d, variant: str, form: Form, today: dt.date) -> str:
    """`list`: the instances newest first (equal creation times: business id descending), each user with the
    latest name."""
    source = sql_form_source(d, variant, form_needs(form))
    limit = f" LIMIT {form.limit}" if form.limit else ""
    rows = (f"SELECT business_id, title, originator_user_id AS uid, originator_dept_name AS dept, category, status, "
            f"result, create_time, finish_time, days FROM {source} {sql_form_where(d, variant, form, form.period)} "
            f"ORDER BY create_time DESC, business_id DESC{limit}")
    text = lambda column: d["text"].format(f"r.{column}")
    return (f"SELECT r.business_id, r.title, coalesce(us.name, {text('uid')}), {text('dept')}, {text('category')}, "
            f"{text('status')}, {text('result')}, {text('create_time')}, {text('finish_time')}, r.days "
            f"FROM ({rows}) AS r LEFT JOIN {sql_users(d, variant)} AS us ON us.user_id = r.uid "
            f"ORDER BY r.create_time DESC, r.business_id DESC{d['settings']}")


SQL_FORMS = {"overview": sql_form_breakdown, "by": sql_form_breakdown, "top": sql_form_top, "list": sql_form_list}


def form_sql(dialect: str, variant: str, form: Form, today: dt.date) -> str:
    """The one SQL statement that answers a form in a dialect and variant."""
    return SQL_FORMS[form.command](DIALECTS[dialect], variant, form, today)


def sql_form_answer(run, dialect: str, variant: str, form: Form, today: dt.date):
    """Answers one form with `run(sql) -> rows`, in LeanStats' JSON shape."""
    return shape_form(form, run(form_sql(dialect, variant, form, today)))


# ----------------------------------------------------------------------------------------------------------------
# DuckDB
# ----------------------------------------------------------------------------------------------------------------

def duckdb_csv(path: Path, columns: list[str]) -> str:
    types = ", ".join(f"'{c}': '{'TIMESTAMP' if c in TIME_COLUMNS else 'VARCHAR'}'" for c in columns)
    return f"read_csv({sql_literal(str(path))}, header = true, columns = {{{types}}})"


def duckdb_load(con, variant: str, csv_dir: Path) -> None:
    """The two CSV files into in-memory tables; `dict` adds ENUM columns, the category, the benefit amount, the
    processing days and the users table (latest name and department)."""
    pi_csv = duckdb_csv(csv_dir / "ding_process_instances.csv", PI_COLUMNS)
    fv_csv = duckdb_csv(csv_dir / "ding_form_component_values.csv", FV_COLUMNS)
    con.execute(f"CREATE TABLE fv AS SELECT * FROM {fv_csv}")
    if variant == "plain":
        con.execute(f"CREATE TABLE pi AS SELECT * FROM {pi_csv}")
        return
    con.execute(f"CREATE TEMP TABLE raw AS SELECT * FROM {pi_csv}")
    con.execute(f"CREATE TEMP TABLE cat AS SELECT business_id, value_text FROM fv "
                f"WHERE component_name = {sql_literal(CATEGORY_FIELD)}")
    con.execute(f"CREATE TEMP TABLE ben AS SELECT business_id, TRY_CAST(value_text AS DOUBLE) AS benefit FROM fv "
                f"WHERE component_name = {sql_literal(BENEFIT_FIELD)}")
    enums = {"status": "raw", "result": "raw", "originator_user_id": "raw", "originator_dept_id": "raw",
             "originator_dept_name": "raw", "value_text": "cat"}
    for column, table in enums.items():
        # Enum values in code-point (= UTF-8 byte) order, so ORDER BY on the enum sorts like the strings.
        con.execute(f"CREATE TYPE {column}_t AS ENUM (SELECT DISTINCT {column} FROM {table} "
                    f"WHERE {column} IS NOT NULL ORDER BY {column})")
    con.execute("""
        CREATE TABLE pi AS SELECT raw.business_id, process_instance_id, title, create_time, finish_time,
            status::status_t AS status, result::result_t AS result,
            originator_user_id::originator_user_id_t AS originator_user_id, originator_user_name,
            originator_dept_id::originator_dept_id_t AS originator_dept_id,
            originator_dept_name::originator_dept_name_t AS originator_dept_name,
            cat.value_text::value_text_t AS category, ben.benefit,
            CAST(CASE WHEN status = 'COMPLETED' AND finish_time IS NOT NULL
                 THEN date_diff('day', create_time::DATE, finish_time::DATE) END AS INTEGER) AS days
        FROM raw LEFT JOIN cat ON cat.business_id = raw.business_id LEFT JOIN ben ON ben.business_id = raw.business_id
        ORDER BY create_time""")
    con.execute("CREATE TABLE users AS SELECT originator_user_id AS user_id, "
                "arg_max(originator_user_name, create_time) AS name, "
                "arg_max_null(originator_dept_name, create_time) AS dept FROM pi "
                "WHERE originator_user_id IS NOT NULL GROUP BY user_id")
    for table in ("raw", "cat", "ben"):
        con.execute(f"DROP TABLE {table}")


def duckdb_engine(variant: str, csv_dir: Path, threads: int, work: Path):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")

    def load():
        duckdb_load(con, variant, csv_dir)

    def answer(stat, period):
        return sql_statistic(lambda sql: con.execute(sql).fetchall(), "duckdb", variant, stat, period)

    def form(query: Form, today: dt.date):
        return sql_form_answer(lambda sql: con.execute(sql).fetchall(), "duckdb", variant, query, today)

    def engine_bytes():
        return con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]

    def load_parquet(parquet_dir: Path):
        con.execute("DROP TABLE IF EXISTS pi; DROP TABLE IF EXISTS fv")
        con.execute(f"CREATE TABLE pi AS SELECT * FROM read_parquet("
                    f"{sql_literal(str(parquet_dir / 'ding_process_instances.parquet'))})")
        con.execute(f"CREATE TABLE fv AS SELECT * FROM read_parquet("
                    f"{sql_literal(str(parquet_dir / 'ding_form_component_values.parquet'))})")

    def save(path: Path):
        """The loaded tables into a DuckDB database file, for the fresh-process comparison."""
        path.unlink(missing_ok=True)
        con.execute(f"ATTACH {sql_literal(str(path))} AS disk")
        for table in ("pi", "users"):
            con.execute(f"CREATE TABLE disk.{table} AS SELECT * FROM {table}")
        con.execute("DETACH disk")

    return {"version": duckdb.__version__, "load": load, "answer": answer, "form": form, "engine_bytes": engine_bytes,
            "load_parquet": load_parquet, "save": save}


def duckdb_fresh(database: Path, stat: str, period: str, threads: int) -> dict:
    """One statistic from a DuckDB database file in this (fresh) process: import, then open + answer."""
    started = time.perf_counter()
    import duckdb
    imported = time.perf_counter()
    con = duckdb.connect(str(database), read_only=True)
    con.execute(f"SET threads = {threads}")
    answer = sql_statistic(lambda sql: con.execute(sql).fetchall(), "duckdb", "dict", stat, period)
    done = time.perf_counter()
    return {"import_ms": (imported - started) * 1e3, "query_ms": (done - imported) * 1e3, "answer": answer}


# ----------------------------------------------------------------------------------------------------------------
# chDB (ClickHouse in process)
# ----------------------------------------------------------------------------------------------------------------

def chdb_types(variant: str) -> dict[str, str]:
    low = (lambda t: f"LowCardinality({t})") if variant == "dict" else (lambda t: t)
    return {
        "business_id": "String", "process_instance_id": "Nullable(String)", "title": "Nullable(String)",
        "create_time": "DateTime('Asia/Shanghai')", "finish_time": "Nullable(DateTime('Asia/Shanghai'))",
        "status": low("Nullable(String)"), "result": low("Nullable(String)"),
        "originator_user_id": low("Nullable(String)"), "originator_user_name": "Nullable(String)",
        "originator_dept_id": low("Nullable(String)"), "originator_dept_name": low("Nullable(String)"),
    }


def chdb_load(session, variant: str, csv_dir: Path) -> None:
    """The two CSV files into Memory tables; `dict` adds LowCardinality columns, the category, the benefit amount,
    the processing days and the users table (latest name and department)."""
    plain = chdb_types("plain")
    pi_structure = ", ".join(f"{c} {plain[c]}" for c in PI_COLUMNS)
    fv_structure = "business_id String, component_name String, value_text Nullable(String)"
    pi_file = (f"file({sql_literal(str(csv_dir / 'ding_process_instances.csv'))}, 'CSVWithNames', "
               f"{sql_literal(pi_structure)})")
    fv_file = (f"file({sql_literal(str(csv_dir / 'ding_form_component_values.csv'))}, 'CSVWithNames', "
               f"{sql_literal(fv_structure)})")
    session.query(f"CREATE TABLE fv ({fv_structure}) ENGINE = Memory")
    session.query(f"INSERT INTO fv SELECT * FROM {fv_file}")
    types = chdb_types(variant)
    columns = ", ".join(f"{c} {types[c]}" for c in PI_COLUMNS)
    if variant == "plain":
        session.query(f"CREATE TABLE pi ({columns}) ENGINE = Memory")
        session.query(f"INSERT INTO pi SELECT * FROM {pi_file}")
        return
    session.query(f"CREATE TABLE pi ({columns}, category LowCardinality(Nullable(String)), "
                  f"benefit Nullable(Float64), days Nullable(Int32)) ENGINE = Memory")
    session.query(f"""
        INSERT INTO pi SELECT raw.*, cat.value_text, ben.benefit,
            if(raw.status = 'COMPLETED' AND raw.finish_time IS NOT NULL,
               dateDiff('day', toDate(raw.create_time), toDate(raw.finish_time)), NULL)
        FROM {pi_file} AS raw
        LEFT JOIN (SELECT business_id, value_text FROM fv WHERE component_name = {sql_literal(CATEGORY_FIELD)}) AS cat
            ON cat.business_id = raw.business_id
        LEFT JOIN (SELECT business_id, toFloat64OrNull(value_text) AS benefit FROM fv
                   WHERE component_name = {sql_literal(BENEFIT_FIELD)}) AS ben ON ben.business_id = raw.business_id
        ORDER BY create_time SETTINGS join_use_nulls = 1""")
    session.query("CREATE TABLE users ENGINE = Memory AS SELECT originator_user_id AS user_id, "
                  "argMax(originator_user_name, create_time) AS name, "
                  "argMax(tuple(originator_dept_name), create_time).1 AS dept FROM pi "
                  "WHERE originator_user_id IS NOT NULL GROUP BY user_id")


def chdb_engine(variant: str, csv_dir: Path, threads: int, work: Path):
    import chdb
    from chdb import session as chdb_session
    path = work / f"chdb-{variant}-{os.getpid()}"
    session = chdb_session.Session(str(path))
    session.query(f"SET max_threads = {threads}")

    def run(sql):
        table = session.query(sql, "ArrowTable")
        return list(zip(*(column.to_pylist() for column in table.columns)))

    def close():
        session.close()
        shutil.rmtree(path, ignore_errors=True)

    def load():
        chdb_load(session, variant, csv_dir)

    def answer(stat, period):
        return sql_statistic(run, "chdb", variant, stat, period)

    def form(query: Form, today: dt.date):
        return sql_form_answer(run, "chdb", variant, query, today)

    def engine_bytes():
        return sum(r[0] or 0 for r in run("SELECT total_bytes FROM system.tables WHERE database = currentDatabase()"))

    def load_parquet(parquet_dir: Path):
        session.query("DROP TABLE IF EXISTS pi")
        session.query("DROP TABLE IF EXISTS fv")
        for table, name in (("pi", "ding_process_instances"), ("fv", "ding_form_component_values")):
            session.query(f"CREATE TABLE {table} ENGINE = Memory AS SELECT * FROM "
                          f"file({sql_literal(str(parquet_dir / (name + '.parquet')))}, 'Parquet')")

    return {"version": chdb.__version__, "load": load, "answer": answer, "form": form, "engine_bytes": engine_bytes,
            "load_parquet": load_parquet, "close": close}


# ----------------------------------------------------------------------------------------------------------------
# Polars: one function per query family
# ----------------------------------------------------------------------------------------------------------------

def pl_period(lf, period: str):
    import polars as pl
    bounds = period_bounds(period)
    if not bounds:
        return lf
    start, end = (dt.datetime.fromisoformat(b) for b in bounds)
    return lf.filter((pl.col("create_time") >= start) & (pl.col("create_time") < end))


def pl_agree():
    import polars as pl
    return (pl.col("result") == "agree").sum()


def pl_distinct(column: str):
    import polars as pl
    return pl.col(column).drop_nulls().n_unique()


def pl_overview(t, variant, period):
    import polars as pl
    return pl_period(t["pi"].lazy(), period).select(
        pl.len(), pl_agree(), pl_distinct("originator_user_id"), pl_distinct("originator_dept_id")).collect().rows()


def pl_missing_label(column: str, dimension: str):
    """A group key with null shown as the group of instances without a value (`未填部门`, `未分类`)."""
    import polars as pl
    return pl.col(column).cast(pl.String).fill_null(MISSING_LABEL[dimension])


def pl_by_dept(t, variant, period):
    import polars as pl
    return (pl_period(t["pi"].lazy(), period)
            .group_by("originator_dept_name").agg(pl.len().alias("n"), pl_agree(), pl_distinct("originator_user_id"))
            .with_columns(pl_missing_label("originator_dept_name", "dept"))
            .sort(["n", "originator_dept_name"], descending=[True, False]).collect().rows())


def pl_by_category(t, variant, period):
    import polars as pl
    lf = pl_period(t["pi"].lazy(), period)
    if variant == "plain":
        categories = (t["fv"].lazy().filter(pl.col("component_name") == CATEGORY_FIELD)
                      .select("business_id", pl.col("value_text").alias("category")))
        lf = lf.join(categories, on="business_id", how="left")
    return (lf.group_by("category").agg(pl.len().alias("n"), pl_agree())
            .with_columns(pl_missing_label("category", "category"))
            .sort(["n", "category"], descending=[True, False]).collect().rows())


def pl_trend(t, variant, period):
    import polars as pl
    return (pl_period(t["pi"].lazy(), period)
            .group_by(pl.col("create_time").dt.truncate("1mo").alias("m"))
            .agg(pl.len(), pl_agree(), pl_distinct("originator_user_id")).sort("m").collect().rows())


def pl_top(t, variant, period):
    import polars as pl
    keys = ["originator_user_id", "originator_dept_name"]
    rows = (pl_period(t["pi"].lazy(), period).filter(pl.col("originator_user_name").is_not_null())
            .group_by(keys).agg(pl.len().alias("n"), pl_agree().alias("passed"))
            .filter(pl.col("n").rank("min", descending=True) <= 10)
            .sort(["n", *keys], descending=[True, False, False], nulls_last=False)
            .select(*keys, "n", "passed").collect().rows())
    ids = sorted({r[0] for r in rows})
    if variant == "dict":
        names = t["users"].filter(pl.col("user_id").cast(pl.String).is_in(ids)).select("user_id", "name").rows()
    else:
        names = (t["pi"].lazy().filter(pl.col("originator_user_id").is_in(ids)
                                       & pl.col("originator_user_name").is_not_null())
                 .group_by("originator_user_id")
                 .agg(pl.col("originator_user_name").sort_by("create_time").last()).collect().rows())
    return shape_top(rows, dict(names))


def pl_efficiency(t, variant, period):
    import polars as pl
    days = (pl.col("finish_time").dt.date() - pl.col("create_time").dt.date()).dt.total_days().alias("days")
    return (pl_period(t["pi"].lazy(), period)
            .filter((pl.col("status") == "COMPLETED") & pl.col("finish_time").is_not_null()).select(days)
            .select(pl.col("days").sum().alias("total"), pl.col("days").min().alias("low"),
                    pl.col("days").max().alias("high"), pl.len(), (pl.col("days") <= 30).sum().alias("within30"))
            .collect().rows())


POLARS_FAMILIES = {
    "overview": lambda t, v, p: shape_overview(pl_overview(t, v, p)),
    "by dept": lambda t, v, p: shape_by_dept(pl_by_dept(t, v, p)),
    "by category": lambda t, v, p: shape_by_category(pl_by_category(t, v, p)),
    "trend": lambda t, v, p: shape_trend(pl_trend(t, v, p)),
    "top 10": pl_top,
    "efficiency": lambda t, v, p: shape_efficiency(pl_efficiency(t, v, p)),
}


# ----------------------------------------------------------------------------------------------------------------
# Polars: the query forms, with native expressions (the same aggregates and formulas as the SQL above)
# ----------------------------------------------------------------------------------------------------------------

def pl_days():
    """Processing days: date(finish) − date(create) of COMPLETED instances with a finish time, else null."""
    import polars as pl
    days = (pl.col("finish_time").dt.date() - pl.col("create_time").dt.date()).dt.total_days().cast(pl.Int32)
    return pl.when((pl.col("status") == "COMPLETED") & pl.col("finish_time").is_not_null()).then(days).alias("days")


def pl_form_source(t, variant: str, needs: set[str]):
    """The instance table with the derived columns a form reads (see `sql_form_source`)."""
    import polars as pl
    lf = t["pi"].lazy()
    if variant == "dict":
        return lf
    for name, field in (("category", CATEGORY_FIELD), ("benefit", BENEFIT_FIELD)):
        if name in needs:
            value = pl.col("value_text")
            fields = (t["fv"].lazy().filter(pl.col("component_name") == field)
                      .select("business_id", (value.cast(pl.Float64, strict=False) if name == "benefit" else value)
                              .alias(name)))
            lf = lf.join(fields, on="business_id", how="left")
    return lf.with_columns(pl_days()) if "days" in needs else lf


def pl_users(t, variant: str):
    """user_id, latest name, department name of the latest instance (see `sql_users`)."""
    import polars as pl
    if variant == "dict":
        return t["users"].lazy()
    by_time = lambda column: pl.col(column).sort_by("create_time")
    return (t["pi"].lazy().group_by("originator_user_id")
            .agg(by_time("originator_user_name").drop_nulls().last().alias("name"),
                 by_time("originator_dept_name").last().alias("dept"))
            .rename({"originator_user_id": "user_id"}))


def pl_form_filter(t, variant: str, tree):
    """A filter tree as a Polars expression; `user=` takes an id or the latest name of users."""
    import polars as pl
    from functools import reduce
    if tree[0] in ("and", "or"):
        parts = [pl_form_filter(t, variant, part) for part in tree[1]]
        return reduce((lambda a, b: a & b) if tree[0] == "and" else (lambda a, b: a | b), parts)
    _, key, values = tree
    present = [v for v in values if v is not None]
    if key == "user":
        named = (pl_users(t, variant).filter(pl.col("name").is_in(present))
                 .select(pl.col("user_id").cast(pl.String)).collect().to_series().to_list())
        return pl.col("originator_user_id").is_in(sorted(set(present) | set(named)))
    column = pl.col(FILTER_COLUMNS[key])
    test = column.is_in(present) if present else pl.lit(False)
    return test | column.is_null() if None in values else test


def pl_form_rows(t, variant: str, form: Form, period: DayRange | None, *conditions):
    """The rows of a period that pass the form's filter."""
    import polars as pl
    lf = pl_form_source(t, variant, form_needs(form))
    tests = list(conditions)
    if period:
        start, end = (dt.datetime.fromisoformat(b) for b in period.bounds())
        tests += [pl.col("create_time") >= start, pl.col("create_time") < end]
    if form.filter:
        tests.append(pl_form_filter(t, variant, form.filter))
    for test in tests:
        lf = lf.filter(test)
    return lf


def pl_aggregates(today: dt.date) -> dict:
    """Every per-group aggregate (see `sql_aggregates`); counts as Int64 so that changes can be negative."""
    import polars as pl
    count = lambda test: test.sum().cast(pl.Int64)
    open_rows = pl.col("status").is_in(list(OPEN_STATUSES))
    age = (pl.lit(today) - pl.col("create_time").dt.date()).dt.total_days()
    days = pl.col("days")
    return {
        "n": pl.len().cast(pl.Int64), "n_agree": count(pl.col("result") == "agree"),
        "n_refuse": count(pl.col("result") == "refuse"), "n_running": count(pl.col("status") == "RUNNING"),
        "n_users": pl.col("originator_user_id").drop_nulls().n_unique().cast(pl.Int64),
        "n_depts": pl.col("originator_dept_id").drop_nulls().n_unique().cast(pl.Int64),
        "n_completed": days.count().cast(pl.Int64), "days_total": days.cast(pl.Int64).sum(),
        "days_min": days.min(), "days_max": days.max(), "n_within30": count(days <= 30),
        "days_p50": days.quantile(0.5, interpolation="linear"), "days_p90": days.quantile(0.9, interpolation="linear"),
        "benefit_total": pl.col("benefit").sum(), "n_open": count(open_rows),
        "open_age_total": age.filter(open_rows).sum().cast(pl.Int64),
    }


def pl_aggregate_ref(suffix: str):
    """`ref(name)`: an aggregate column of one period, 0 for an additive one the group lacks."""
    import polars as pl
    return lambda name: pl.col(name + suffix) if name in NULLABLE_AGGREGATES else pl.col(name + suffix).fill_null(0)


def pl_metric(metric: str, ref):
    """One metric from a group's aggregates (see `sql_metric`)."""
    import polars as pl

    def share(part: str, whole: str, empty):
        return pl.when(ref(whole) == 0).then(empty).otherwise(ref(part) / ref(whole) * 100)

    def mean(total: str, count: str):
        return pl.when(ref(count) == 0).then(None).otherwise(ref(total) / ref(count))

    formulas = {
        "count": lambda: ref("n"), "passed": lambda: ref("n_agree"), "refused": lambda: ref("n_refuse"),
        "running": lambda: ref("n_running"), "participants": lambda: ref("n_users"), "depts": lambda: ref("n_depts"),
        "completed": lambda: ref("n_completed"), "min_days": lambda: ref("days_min"),
        "max_days": lambda: ref("days_max"), "p50_days": lambda: ref("days_p50"), "p90_days": lambda: ref("days_p90"),
        "pass_rate": lambda: share("n_agree", "n", pl.lit(0.0)),
        "within30_rate": lambda: share("n_within30", "n_completed", None),
        "avg_days": lambda: mean("days_total", "n_completed"),
        "age_days": lambda: mean("open_age_total", "n_open"),
        "benefit_sum": lambda: ref("benefit_total").cast(pl.Float64),
    }
    return formulas[metric]()


def pl_compared(metric: str, current, previous) -> list:
    """`m, m_prev, m_change, m_change_pct` (see `sql_compared`)."""
    import polars as pl
    now, before = pl_metric(metric, current), pl_metric(metric, previous)
    empty = previous("n") == 0
    return [now, before, pl.when(empty).then(None).otherwise(now - before),
            pl.when(empty | (before == 0)).then(None).otherwise((now - before) / before.abs() * 100)]


def pl_group_key(form: Form):
    """(grouping expression, label of the grouped column `k`, row conditions): see `sql_group_key`."""
    import polars as pl
    dimension = form.dimension
    created = pl.col("create_time")
    k = pl.col("k")
    if dimension == "month":
        return created.dt.truncate("1mo"), k.dt.strftime("%Y-%m"), []
    if dimension == "quarter":
        return (created.dt.truncate("3mo"), k.dt.year().cast(pl.String) + "-Q" + k.dt.quarter().cast(pl.String), [])
    if dimension == "year":
        return created.dt.truncate("1y"), k.dt.strftime("%Y"), []
    if dimension == "user":
        return pl.col("originator_user_id"), k, []
    column = "category" if form.field == CATEGORY_FIELD else FILTER_COLUMNS[dimension]
    if dimension in MISSING_LABEL:
        return pl.col(column), k.cast(pl.String).fill_null(MISSING_LABEL[dimension]), []
    return pl.col(column), k.cast(pl.String), [pl.col(column).is_not_null()]


def pl_form_groups(t, variant: str, form: Form, period: DayRange | None, today: dt.date, suffix: str):
    """The aggregates of one period, one row per group (`grp`), or one row for `overview`; columns end in
    `suffix`."""
    import polars as pl
    aggregates = pl_aggregates(today)
    names = form_aggregates(form)
    if form.dimension is None:
        lf = pl_form_rows(t, variant, form, period).select(aggregates[name].alias(name) for name in names)
    else:
        key, label, conditions = pl_group_key(form)
        lf = (pl_form_rows(t, variant, form, period, *conditions)
              .group_by(key.alias("k")).agg(aggregates[name].alias(name) for name in names)
              .select(label.alias("grp"), *names))
    return lf.rename({name: name + suffix for name in names})


def pl_form_breakdown(t, variant: str, form: Form, today: dt.date) -> list:
    """`overview`, `efficiency`, `by` and `trend` (see `sql_form_breakdown`)."""
    import polars as pl
    current, previous = pl_aggregate_ref(""), pl_aggregate_ref("_p")
    frame = pl_form_groups(t, variant, form, form.period, today, "")
    if form.comparison:
        earlier = pl_form_groups(t, variant, form, form.comparison, today, "_p")
        frame = (pl.concat([frame, earlier], how="horizontal") if form.dimension is None
                 else frame.join(earlier, on="grp", how="full", coalesce=True))
        values = [v for m in form.metrics for v in pl_compared(m, current, previous)]
    else:
        values = [pl_metric(m, current) for m in form.metrics]
    if form.dimension is None:
        return frame.select(v.alias(f"v{i}") for i, v in enumerate(values)).collect().rows()
    keys = [pl.col("grp").cast(pl.String)]
    if form.dimension == "user":
        frame = frame.join(pl_users(t, variant).rename({"user_id": "grp"}), on="grp", how="left")
        keys += [pl.coalesce(pl.col("name"), keys[0]), pl.col("dept").cast(pl.String)]
    order = [pl.col("grp")] if form.dimension in CALENDAR_MONTHS else [current("n"), pl.col("grp")]
    descending = [False] if form.dimension in CALENDAR_MONTHS else [True, False]
    if form.order:
        column = COMPARED.index(form.order.suffix)
        metric = (pl_compared(form.order.metric, current, previous)[column] if form.comparison
                  else pl_metric(form.order.metric, current))
        order.insert(0, metric)
        descending.insert(0, form.order.descending)
    frame = frame.sort(order, descending=descending, nulls_last=True, maintain_order=True)
    if form.limit:
        frame = frame.head(form.limit)
    return frame.select(v.alias(f"v{i}") for i, v in enumerate(keys + values)).collect().rows()


def pl_form_top(t, variant: str, form: Form, today: dt.date) -> list:
    """`top N` (see `sql_form_top`)."""
    import polars as pl
    keys = ["originator_user_id", "originator_dept_name"]
    ref = pl_aggregate_ref("")
    return (pl_form_rows(t, variant, form, form.period, pl.col("originator_user_name").is_not_null())
            .group_by(keys).agg(pl.len().cast(pl.Int64).alias("n"),
                                (pl.col("result") == "agree").sum().cast(pl.Int64).alias("n_agree"))
            .filter(pl.col("n").rank("min", descending=True) <= form.limit)
            .join(pl_users(t, variant).rename({"user_id": "originator_user_id"}), on="originator_user_id", how="left")
            .sort(["n", *keys], descending=[True, False, False], nulls_last=False)
            .select(pl.col("originator_user_id").cast(pl.String).alias("v0"),
                    pl.coalesce(pl.col("name"), pl.col("originator_user_id").cast(pl.String)).alias("v1"),
                    pl.col("originator_dept_name").cast(pl.String).alias("v2"), "n", "n_agree",
                    pl_metric("pass_rate", ref).alias("v5"))
            .collect().rows())


def pl_form_list(t, variant: str, form: Form, today: dt.date) -> list:
    """`list` (see `sql_form_list`)."""
    import polars as pl
    newest = dict(by=["create_time", "business_id"], descending=True)
    rows = pl_form_rows(t, variant, form, form.period).sort(**newest)
    if form.limit:
        rows = rows.head(form.limit)
    text = lambda column: pl.col(column).cast(pl.String)
    when = lambda column: pl.col(column).dt.strftime("%Y-%m-%d %H:%M:%S")
    return (rows.join(pl_users(t, variant).rename({"user_id": "originator_user_id"}), on="originator_user_id",
                      how="left").sort(**newest)
            .select(pl.col("business_id").alias("v0"), pl.col("title").alias("v1"),
                    pl.coalesce(pl.col("name"), text("originator_user_id")).alias("v2"),
                    text("originator_dept_name").alias("v3"), text("category").alias("v4"), text("status").alias("v5"),
                    text("result").alias("v6"), when("create_time").alias("v7"), when("finish_time").alias("v8"),
                    pl.col("days").alias("v9"))
            .collect().rows())


POLARS_FORMS = {"overview": pl_form_breakdown, "by": pl_form_breakdown, "top": pl_form_top, "list": pl_form_list}


def pl_form_answer(t, variant: str, form: Form, today: dt.date):
    """Answers one form with Polars, in LeanStats' JSON shape."""
    return shape_form(form, POLARS_FORMS[form.command](t, variant, form, today))


def polars_load(variant: str, csv_dir: Path) -> dict:
    """The two CSV files as data frames; `dict` adds Enum columns, the category, the benefit amount, the processing
    days and the users frame (latest name and department)."""
    import polars as pl

    def read(name: str, columns: list[str]):
        frame = pl.read_csv(csv_dir / f"{name}.csv", schema_overrides={c: pl.String for c in columns})
        return frame.with_columns(pl.col(c).str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us")
                                  for c in columns if c in TIME_COLUMNS)

    pi = read("ding_process_instances", PI_COLUMNS)
    fv = read("ding_form_component_values", FV_COLUMNS)
    if variant == "plain":
        return {"pi": pi, "fv": fv}
    categories = (fv.filter(pl.col("component_name") == CATEGORY_FIELD)
                  .select("business_id", pl.col("value_text").alias("category")))
    benefits = (fv.filter(pl.col("component_name") == BENEFIT_FIELD)
                .select("business_id", pl.col("value_text").cast(pl.Float64, strict=False).alias("benefit")))
    pi = pi.join(categories, on="business_id", how="left").join(benefits, on="business_id", how="left")

    def enum(column: str):
        values = sorted(pi.get_column(column).drop_nulls().unique().to_list())
        return pl.col(column).cast(pl.Enum(values))

    pi = pi.with_columns(enum(c) for c in ("status", "result", "originator_user_id", "originator_dept_id",
                                          "originator_dept_name", "category")).sort("create_time")
    pi = pi.with_columns(pl_days())
    by_time = lambda column: pl.col(column).sort_by("create_time")
    users = (pi.filter(pl.col("originator_user_id").is_not_null()).group_by("originator_user_id")
             .agg(by_time("originator_user_name").drop_nulls().last().alias("name"),
                  by_time("originator_dept_name").last().alias("dept"))
             .select(pl.col("originator_user_id").alias("user_id"), "name", "dept"))
    return {"pi": pi, "fv": fv, "users": users}


def polars_engine(variant: str, csv_dir: Path, threads: int, work: Path):
    import polars as pl
    tables: dict = {}

    def load():
        tables.update(polars_load(variant, csv_dir))

    def answer(stat, period):
        return POLARS_FAMILIES[stat](tables, variant, period)

    def form(query: Form, today: dt.date):
        return pl_form_answer(tables, variant, query, today)

    def engine_bytes():
        return sum(frame.estimated_size() for frame in tables.values())

    def load_parquet(parquet_dir: Path):
        tables.clear()
        gc.collect()
        tables["pi"] = pl.read_parquet(parquet_dir / "ding_process_instances.parquet")
        tables["fv"] = pl.read_parquet(parquet_dir / "ding_form_component_values.parquet")

    return {"version": pl.__version__, "load": load, "answer": answer, "form": form, "engine_bytes": engine_bytes,
            "load_parquet": load_parquet}


ENGINES = {"duckdb": duckdb_engine, "polars": polars_engine, "chdb": chdb_engine}


# ----------------------------------------------------------------------------------------------------------------
# Peer worker: one engine variant in its own process, so its memory is its own
# ----------------------------------------------------------------------------------------------------------------

def resident_bytes() -> int:
    import psutil
    return psutil.Process().memory_info().rss


def peak_resident_bytes() -> int:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def timed_ms(function) -> tuple[float, object]:
    started = time.perf_counter_ns()
    value = function()
    return (time.perf_counter_ns() - started) / 1e6, value


def peer_forms(engine, label: str, forms_file: Path, runs: int) -> dict:
    """Every query form once (the answer is checked) and `runs` more times (timed); a form the engine cannot
    express gets no answer and no times, and the reason."""
    spec = json.loads(forms_file.read_text())
    today = dt.date.fromisoformat(spec["today"])
    out = {"answers": {}, "times_ms": {}, "not_expressible": {}}
    for line in spec["lines"]:
        form = parse_form(line)
        try:
            _, answer = timed_ms(lambda: engine["form"](form, today))  # warm-up; its answer is checked
        except NotExpressible as reason:
            out["not_expressible"][line] = str(reason)
            log(f"  {label:<12} {line}: n/a ({reason})")
            continue
        out["answers"][line] = answer
        out["times_ms"][line] = [timed_ms(lambda: engine["form"](form, today))[0] for _ in range(runs)]
        log(f"  {label:<12} {statistics.median(out['times_ms'][line]):10.3f} ms  {line}")
    return out


def peer_worker(args) -> None:
    """One engine variant: load the CSV files, answer the six statistics (unless `--forms-only`) and the query forms
    (with `--forms`), then save DuckDB's file and load Parquet when asked."""
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)  # before polars is imported
    work = Path(args.work)
    engine = ENGINES[args.engine](args.variant, Path(args.csv), args.threads, work)
    gc.collect()
    baseline = resident_bytes()
    load_ms, _ = timed_ms(engine["load"])
    gc.collect()
    loaded = resident_bytes()
    out = {"engine": args.engine, "variant": args.variant, "version": engine["version"], "load_ms": load_ms,
           "resident_bytes": loaded - baseline, "engine_bytes": engine["engine_bytes"](), "times_ms": {},
           "answers": {}}
    label = PEER_LABEL[(args.engine, args.variant)]
    for stat, period in [] if args.forms_only else queries(args.month):
        key = f"{stat} | {period}"
        _, answer = timed_ms(lambda: engine["answer"](stat, period))  # warm-up; its answer is checked
        out["answers"][key] = answer
        out["times_ms"][key] = [timed_ms(lambda: engine["answer"](stat, period))[0] for _ in range(args.runs)]
        log(f"  {label:<12} {key:<26} {statistics.median(out['times_ms'][key]):10.3f} ms")
    if args.forms:
        out["forms"] = peer_forms(engine, label, Path(args.forms), args.runs)
    out["peak_resident_bytes"] = peak_resident_bytes()
    if args.duckdb_file and "save" in engine:
        engine["save"](Path(args.duckdb_file))
    if args.parquet and args.variant == "plain":
        out["parquet_load_ms"], _ = timed_ms(lambda: engine["load_parquet"](Path(args.parquet)))
    if "close" in engine:
        engine["close"]()
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False))


def parquet_worker(args) -> None:
    """The two CSV files as Parquet with zstd (pyarrow's writer; times as timestamps, strings dictionary-encoded)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    started = time.perf_counter()
    for name, columns in (("ding_process_instances", PI_COLUMNS), ("ding_form_component_values", FV_COLUMNS)):
        types = {c: pa.timestamp("s") if c in TIME_COLUMNS else pa.string() for c in columns}
        table = pacsv.read_csv(Path(args.csv) / f"{name}.csv",
                               convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))
        path = out / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd")
        sizes[name] = path.stat().st_size
    json.dump({"bytes": sizes, "write_ms": (time.perf_counter() - started) * 1e3}, sys.stdout)


def fresh_worker(args) -> None:
    json.dump(duckdb_fresh(Path(args.database), args.stat, args.period, args.threads), sys.stdout,
              ensure_ascii=False)


# ----------------------------------------------------------------------------------------------------------------
# LeanStats
# ----------------------------------------------------------------------------------------------------------------

def settle() -> None:
    """Writes dirty pages back now, so that no write-back runs on a core during the timed runs that follow."""
    os.sync()
    time.sleep(2)


def run_command(command: list, **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"compare: {' '.join(map(str, command))} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done


def run_measured(command: list) -> tuple[float, int]:
    """Runs `command` (which must succeed) and returns its wall time and its peak resident bytes (the kernel's
    `ru_maxrss` of that one child)."""
    started = time.perf_counter()
    child = subprocess.Popen([str(c) for c in command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"compare: {' '.join(map(str, command))} failed ({child.returncode}):\n{stderr}")
    return elapsed, usage.ru_maxrss * 1024


def leanstats_binary(path: str | None) -> Path:
    if path:
        binary = Path(path).resolve()
        if not binary.is_file():
            raise SystemExit(f"compare: no leanstats binary at {binary}")
        return binary
    binary = REPO / ".build" / "release" / "leanstats"
    if not binary.is_file():
        log(f"building {binary} (swift build -c release --product leanstats)")
        subprocess.run(["swift", "build", "-c", "release", "--product", "leanstats"], cwd=REPO, check=True)
    return binary


SIZE_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}


def snapshot_info(binary: Path, store: Path) -> dict:
    """Rows, snapshot files and, per column, its kind, bytes per row of the kernel-facing codes and decoded size."""
    _, done = run_command([binary, "snapshot", "info", "--data", store])
    info = {"files": [], "columns": {}}
    for line in done.stdout.splitlines():
        if line.startswith("file:"):
            info["files"].append(line.split(":", 1)[1].strip())
        elif line.startswith("instances:"):
            info["rows"] = int(line.split(":", 1)[1].strip())
        match = re.match(r"^(\S+)\s+(int64|uint8|dictionary\(u(\d+)\))\s+([\d.]+ \w+)\s+([\d.]+ \w+)", line)
        if match:
            name, kind, bits, stored, decoded = match.groups()
            width = 8 if kind == "int64" else 1 if kind == "uint8" else int(bits) // 8
            number = lambda text: float(text.split()[0]) * SIZE_UNITS[text.split()[1]]
            info["columns"][name] = {"kind": kind, "width": width, "stored_bytes": number(stored),
                                     "decoded_bytes": number(decoded)}
    info["store_bytes"] = sum((store / Path(f).name).stat().st_size for f in info["files"])
    info["columns"]["days"] = {"kind": "int16 (derived)", "width": 2, "decoded_bytes": 2 * info["rows"]}
    return info


def leanstats_whole_process(binary: Path, store: Path, month: str, runs: int) -> tuple[dict, dict]:
    """`leanstats query --format json` per statistic: the reference answers and the whole-process wall times."""
    answers, times = {}, {}
    for stat, period in queries(month):
        key = f"{stat} | {period}"
        command = [binary, "query", "--data", store, "--format", "json", query_line(stat, period)]
        elapsed, done = run_command(command)
        answers[key] = json.loads(done.stdout)
        times[key] = [run_command(command)[0] * 1e3 for _ in range(runs)]
    return answers, times


def leanstats_form_answers(binary: Path, store: Path, lines: list[str]) -> dict:
    """`leanstats query --format json` per query form: the reference answers and the date they count `age_days`
    to (asked again should the date change meanwhile). A form whose filter names a value the store lacks (in a
    store of fewer than 200,000 rows) is left out, with LeanStats' reason."""
    while True:
        today = shanghai_today()
        answers, skipped = {}, {}
        for line in lines:
            command = [str(binary), "query", "--data", str(store), "--format", "json", line]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0 and "unknown" in done.stderr:
                skipped[line] = done.stderr.strip().splitlines()[-1]
                log(f"  left out: {line} ({skipped[line]})")
                continue
            if done.returncode != 0:
                raise SystemExit(f"compare: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
            answers[line] = json.loads(done.stdout)
        if shanghai_today() == today:
            return {"today": today.isoformat(), "answers": answers, "skipped": skipped}
        log("the date changed while LeanStats answered; asking again")


def leanstats_repl(binary: Path, store: Path, items: list[tuple[str, str]], runs: int, rows: int) -> dict:
    """In-process times from `repl` with `.timer on` (one warm-up, then `runs` timed) of each (key, query line),
    and its resident memory.

    The REPL builds its query indexes in the background after loading (while an analyst types the first query);
    the queries are sent once that has had time to finish, so it does not share the cores with the timed runs."""
    lines = [".timer on", ".mode json"]
    keys = []
    for key, line in items:
        for _ in range(runs + 1):
            lines.append(line)
            keys.append(key)
    process = subprocess.Popen([str(binary), "repl", "--data", str(store)], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1 + rows / 3e6)  # about 2 s per 10M rows of index building, with room to spare
    process.stdin.write("\n".join(lines) + "\n")
    process.stdin.flush()  # stdin stays open, so the process is alive when its memory is read
    timings, problems = [], []
    while len(timings) < len(keys):
        line = process.stderr.readline()
        if not line:
            break
        match = re.fullmatch(r"time: ([\d.]+) ms", line.strip())
        if match:
            timings.append(float(match.group(1)))
        else:
            problems.append(line.rstrip())
            break
    status = Path(f"/proc/{process.pid}/status").read_text() if process.poll() is None else ""
    memory = {k: int(v.split()[0]) * 1024 for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(.*)$", status, re.M)}
    process.stdin.close()
    problems += [line.rstrip() for line in process.stderr]
    process.wait()
    if len(timings) < len(keys):
        raise SystemExit("compare: leanstats repl stopped answering:\n" + "\n".join(problems))
    times: dict[str, list[float]] = {}
    for key, value in zip(keys, timings):
        times.setdefault(key, []).append(value)
    return {"times_ms": {k: v[1:] for k, v in times.items()}, "resident_bytes": memory.get("VmRSS"),
            "peak_resident_bytes": memory.get("VmHWM")}


def leanstats_import(binary: Path, csv_dir: Path, work: Path, rows: int, reference: dict, runs: int = 3,
                     earlier: dict | None = None) -> dict:
    """`leanstats import` of the CSV export into a fresh store (median of `runs`, and of the `earlier` result's
    runs when given), and a check that it answers `overview all` alike.

    The driver takes its runs at two moments, after the REPL and after the peers, so that a minute in which a
    neighbour on the host takes the cores weighs as much as any other and does not decide the median alone.

    The files are read once first, so every run finds them in the page cache (the peers' loads, which ran before,
    may have pushed them out); the snapshot each run writes is flushed before the next."""
    files = [csv_dir / "ding_process_instances.csv", csv_dir / "ding_form_component_values.csv"]
    for path in files:
        with open(path, "rb") as handle:
            while handle.read(16 << 20):
                pass
    store = work / "import-store"
    times, peaks, problems = [], [], []
    for _ in range(runs):
        shutil.rmtree(store, ignore_errors=True)
        settle()
        elapsed, peak = run_measured([binary, "import", "--data", store, *files])
        times.append(elapsed)
        peaks.append(peak)
        _, done = run_command([binary, "query", "--data", store, "--format", "json", "overview all"])
        problems += differences(reference, json.loads(done.stdout))
    shutil.rmtree(store, ignore_errors=True)
    if earlier:
        times = earlier["runs_s"] + times
        peaks = earlier["peaks_bytes"] + peaks
        problems = earlier["problems"] + problems
    seconds = statistics.median(times)
    return {"seconds": seconds, "runs_s": times, "rows_per_s": rows / seconds, "peaks_bytes": peaks,
            "peak_bytes": max(peaks), "problems": problems}


# ----------------------------------------------------------------------------------------------------------------
# Memory bandwidth probe
# ----------------------------------------------------------------------------------------------------------------

PROBE_C = r"""
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { const uint64_t *data; size_t count; uint64_t sum; } Part;

static void *sum_part(void *argument) {
    Part *part = argument;
    const uint64_t *p = part->data;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (size_t i = 0; i + 4 <= part->count; i += 4) { a += p[i]; b += p[i + 1]; c += p[i + 2]; d += p[i + 3]; }
    part->sum = a + b + c + d;
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* usage: probe BYTES REPEATS MAX_THREADS; prints one line "threads best_gbps median_gbps" per thread count */
int main(int argc, char **argv) {
    size_t bytes = strtoull(argv[1], NULL, 10), count = bytes / 8;
    int repeats = atoi(argv[2]), max_threads = atoi(argv[3]);
    uint64_t *data = aligned_alloc(4096, count * 8), total = 0;
    if (!data) return 1;
    memset(data, 1, count * 8);
    for (int threads = 1; threads <= max_threads; threads++) {
        double rates[64];
        for (int r = 0; r < repeats && r < 64; r++) {
            pthread_t ids[64];
            Part parts[64];
            double started = now();
            for (int t = 0; t < threads; t++) {
                parts[t] = (Part){data + count / threads * t, count / threads, 0};
                pthread_create(&ids[t], NULL, sum_part, &parts[t]);
            }
            for (int t = 0; t < threads; t++) { pthread_join(ids[t], NULL); total += parts[t].sum; }
            rates[r] = bytes / (now() - started) / 1e9;
        }
        for (int i = 0; i < repeats; i++)
            for (int j = i + 1; j < repeats; j++)
                if (rates[j] > rates[i]) { double x = rates[i]; rates[i] = rates[j]; rates[j] = x; }
        printf("%d %.3f %.3f\n", threads, rates[0], rates[repeats / 2]);
    }
    fprintf(stderr, "checksum %llu\n", (unsigned long long)total);
    return 0;
}
"""


def bandwidth_probe(work: Path, threads: int, size: int = 1 << 30, repeats: int = 7) -> dict:
    """Read bandwidth (GB/s) of summing 1 GiB of uint64 with 1..threads threads: a C program (gcc -O2), or numpy
    when no C compiler is present. The best of `repeats` is the bound's rate (the machine at its least disturbed)."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler:
        source, binary = work / "bwprobe.c", work / "bwprobe"
        source.write_text(PROBE_C)
        run_command([compiler, "-O2", "-pthread", "-o", binary, source])
        _, done = run_command([binary, size, repeats, threads])
        rates = {int(t): {"best": float(b), "median": float(m)}
                 for t, b, m in (line.split() for line in done.stdout.split("\n") if line.strip())}
        return {"method": f"C probe ({Path(compiler).name} -O2), {size >> 20} MiB, best of {repeats}", "gbps": rates}
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor
    data = np.ones(size // 8, dtype=np.uint64)
    rates = {}
    for count in range(1, threads + 1):
        parts = np.array_split(data, count)
        samples = []
        with ThreadPoolExecutor(count) as pool:
            for _ in range(repeats):
                started = time.perf_counter()
                list(pool.map(np.sum, parts))
                samples.append(size / (time.perf_counter() - started) / 1e9)
        rates[count] = {"best": max(samples), "median": statistics.median(samples)}
    return {"method": f"numpy sum, {size >> 20} MiB, best of {repeats}", "gbps": rates}


# ----------------------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------------------

def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


def fmt_bytes(value: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{value:.0f} B"
        value /= 1000
    return ""


def print_table(headers: list[str], rows: list[list[str]], right: set[int]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.rjust(w) if i in right else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def summarize(results: dict, month: str) -> dict:
    """Per query: medians, fastest peer, speedup, bound and the goal verdict."""
    info, bandwidth = results["snapshot"], results["bandwidth"]
    rate = max(r["best"] for r in bandwidth["gbps"].values()) * 1e9
    rows_total = info["rows"]
    summary = {}
    for stat, period in queries(month):
        key = f"{stat} | {period}"
        lean = statistics.median(results["leanstats"]["repl"]["times_ms"][key])
        peers = {PEER_LABEL[(e, v)]: statistics.median(w["times_ms"][key])
                 for (e, v), w in ((tuple(k.split(":")), w) for k, w in results["peers"].items())}
        fastest = min(peers, key=peers.get) if peers else None
        rows = rows_total if period == "all" else results["leanstats"]["answers"][f"overview | {period}"]["count"]
        bytes_per_row = sum(info["columns"][c]["width"] for c in NEEDED_COLUMNS[stat])
        bound = rows * bytes_per_row / rate * 1e3
        speedup = peers[fastest] / lean if fastest else None
        if period == "all":
            misses = []
            if speedup is not None and speedup < GOAL_SPEEDUP:
                misses.append(f"{speedup:.1f}× < {GOAL_SPEEDUP:.0f}×")
            if lean > GOAL_BOUND_FACTOR * bound:
                misses.append(f"{lean / bound:.1f}× bound")
        else:
            misses = [f"≥ {GOAL_MONTH_MS:g} ms"] if lean >= GOAL_MONTH_MS else []
        summary[key] = {"leanstats_ms": lean, "peers_ms": peers, "fastest_peer": fastest, "speedup": speedup,
                        "rows": rows, "bytes_per_row": bytes_per_row, "bound_ms": bound,
                        "goal_met": not misses, "goal_misses": misses,
                        "mismatches": results["mismatches"].get(key, {})}
    return summary


def report(results: dict, month: str) -> None:
    summary = results["summary"]
    labels = [PEER_LABEL[p] for p in PEERS if f"{p[0]}:{p[1]}" in results["peers"]]
    headers = ["query", "period", "leanstats", *labels, "fastest peer", "speedup", "B/row", "bound",
               "×bound", "goal", "answers"]
    rows = []
    for key, s in summary.items():
        stat, period = key.split(" | ")
        rows.append([stat, period, fmt_ms(s["leanstats_ms"]), *(fmt_ms(s["peers_ms"].get(l)) for l in labels),
                     s["fastest_peer"] or "—", f"{s['speedup']:.1f}×" if s["speedup"] else "—",
                     str(s["bytes_per_row"]), fmt_ms(s["bound_ms"]), f"{s['leanstats_ms'] / s['bound_ms']:.1f}",
                     "yes" if s["goal_met"] else "NO: " + ", ".join(s["goal_misses"]),
                     "ok" if not s["mismatches"] else "MISMATCH " + ",".join(s["mismatches"])])
    rows_total = results["snapshot"]["rows"]
    print()
    print(f"LeanStats vs peers — {rows_total:,} instances, seed {results['seed']}, {results['threads']} threads, "
          f"median of {results['runs']} warm runs, milliseconds")
    print(f"(leanstats = in-process repl `.timer`; goals, set for 10M rows: all history ≥ {GOAL_SPEEDUP:g}× the "
          f"fastest peer and ≤ {GOAL_BOUND_FACTOR:g}× the bandwidth bound; one month < {GOAL_MONTH_MS:g} ms)")
    print()
    print_table(headers, rows, right=set(range(2, len(headers) - 2)) - {3 + len(labels)})

    print()
    print("whole process (start, load, answer), median ms:")
    fresh_headers = ["query", "period", "leanstats query", "duckdb open+query", "duckdb python process", "goal"]
    fresh_rows = []
    for key, times in results["leanstats"]["process_ms"].items():
        stat, period = key.split(" | ")
        lean = statistics.median(times)
        fresh = results.get("duckdb_fresh", {}).get(key)
        query = statistics.median(fresh["query_ms"]) if fresh else None
        wall = statistics.median(fresh["wall_ms"]) if fresh else None
        verdict = "—" if query is None else ("yes" if lean < query else f"NO: {lean / query:.1f}× slower")
        fresh_rows.append([stat, period, fmt_ms(lean), fmt_ms(query), fmt_ms(wall), verdict])
    print_table(fresh_headers, fresh_rows, right={2, 3, 4})

    bw = results["bandwidth"]
    print()
    print("bandwidth: " + ", ".join(f"{t} thread{'s' if int(t) > 1 else ''} {r['best']:.1f} GB/s (median "
                                    f"{r['median']:.1f})" for t, r in bw["gbps"].items())
          + f" — {bw['method']}; bound = rows × B/row ÷ best rate")
    lean = results["leanstats"]
    info = results["snapshot"]
    load_key = f"overview | {month}"
    load_ms = statistics.median(lean["process_ms"][load_key])
    print(f"load:      leanstats gen {lean['gen_s']:.2f} s, export csv {lean['export_s']:.2f} s; snapshot → memory: "
          f"whole `leanstats query \"overview {month}\"` {fmt_ms(load_ms)} ms"
          + goal_note(load_ms < GOAL_LOAD_S * 1e3, f"< {GOAL_LOAD_S:g} s"))
    peer_loads = ", ".join(f"{PEER_LABEL[tuple(k.split(':'))]} {w['load_ms'] / 1e3:.2f} s"
                           for k, w in results["peers"].items())
    parquet_loads = ", ".join(f"{k.split(':')[0]} {w['parquet_load_ms'] / 1e3:.2f} s"
                              for k, w in results["peers"].items() if "parquet_load_ms" in w)
    print(f"           CSV → memory: {peer_loads}")
    if parquet_loads:
        print(f"           Parquet → memory: {parquet_loads}")
    parquet = sum(results["parquet"]["bytes"].values())
    csv_bytes = results["csv_bytes"]
    print(f"size:      snapshot {fmt_bytes(info['store_bytes'])}, Parquet zstd {fmt_bytes(parquet)} "
          f"(snapshot = {info['store_bytes'] / parquet:.2f}× Parquet), CSV {fmt_bytes(csv_bytes)}"
          + goal_note(info["store_bytes"] <= parquet, "snapshot ≤ Parquet"))
    columns = results["statistics_column_bytes"]
    resident = lean["repl"]["resident_bytes"] / rows_total
    print(f"memory:    leanstats repl resident {fmt_bytes(lean['repl']['resident_bytes'])} = "
          f"{resident:.1f} B/row, peak "
          f"{lean['repl']['peak_resident_bytes'] / rows_total:.0f} B/row (whole process)"
          + goal_note(resident <= GOAL_RESIDENT_BYTES_PER_ROW, f"resident ≤ {GOAL_RESIDENT_BYTES_PER_ROW:g} B/row")
          + f"; columns the statistics read {columns / rows_total:.1f} B/row"
          + goal_note(columns / rows_total < GOAL_COLUMN_BYTES_PER_ROW, f"< {GOAL_COLUMN_BYTES_PER_ROW:g} B/row"))
    peer_memory = ", ".join(f"{PEER_LABEL[tuple(k.split(':'))]} {w['resident_bytes'] / rows_total:.0f}"
                            f" ({w['engine_bytes'] / rows_total:.0f})" for k, w in results["peers"].items())
    print(f"           peers, resident growth over load B/row (engine's own count): {peer_memory}")
    imported = lean["import"]
    runs = ", ".join(f"{t:.2f}" for t in imported.get("runs_s", [imported["seconds"]]))
    print(f"import:    leanstats import of the CSV export {imported['seconds']:.2f} s (median of {runs} s) = "
          f"{imported['rows_per_s']:,.0f} rows/s"
          + goal_note(imported["rows_per_s"] >= GOAL_IMPORT_ROWS_PER_S, f"≥ {GOAL_IMPORT_ROWS_PER_S:,} rows/s")
          + f"; peak {imported['peak_bytes'] / 1e9:.2f} GB = {imported['peak_bytes'] / rows_total:.0f} B/row (largest "
          f"of the runs)"
          + goal_note(imported["peak_bytes"] <= GOAL_IMPORT_PEAK_BYTES_PER_ROW * rows_total,
                      f"≤ {GOAL_IMPORT_PEAK_BYTES_PER_ROW:g} B/row, 1.5 GB for 10M rows")
          + ("" if not imported["problems"] else "  MISMATCH after import: " + "; ".join(imported["problems"][:3])))
    print("versions:  " + ", ".join(f"{PEER_LABEL[tuple(k.split(':'))]} {w['version']}"
                                    for k, w in results["peers"].items() if k.endswith(":plain")))

    print_mismatches("these answers", results["mismatches"])


def print_mismatches(what: str, mismatches: dict) -> None:
    """Prints each query's differing engines and their first five differences in a banner; nothing when none."""
    if not mismatches:
        return
    print()
    print("!" * 100)
    print(f"MISMATCH: {what} differ from `leanstats query --format json`:")
    for query, engines in mismatches.items():
        for label, problems in engines.items():
            print(f"  {query} — {label}: " + "; ".join(problems[:5])
                  + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""))
    print("!" * 100)


def goal_note(met: bool, goal: str) -> str:
    return f"   [goal {goal}: {'yes' if met else 'NO'}]"


# ----------------------------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------------------------

def spawn_worker(arguments: list) -> None:
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *map(str, arguments)])
    if done.returncode != 0:
        raise SystemExit(f"compare: worker {' '.join(map(str, arguments[:3]))} failed (see above)")


def run_peers(args, work: Path, csv_dir: Path, parquet_dir: Path | None, duckdb_file: Path | None,
              forms_file: Path | None) -> dict:
    """Each peer variant in its own worker process; with `--forms-only` just the load and the query forms."""
    peers = {}
    for engine, variant in PEERS:
        if args.engines and engine not in args.engines:
            continue
        out = work / f"peer-{engine}-{variant}.json"
        statistics_count = 0 if args.forms_only else len(queries(args.month))
        forms_count = len(json.loads(forms_file.read_text())["lines"]) if forms_file else 0
        log(f"{PEER_LABEL[(engine, variant)]}: load CSV, {statistics_count} statistics and {forms_count} query forms "
            f"× {args.runs} runs")
        extra = ["--duckdb-file", duckdb_file] if duckdb_file and (engine, variant) == ("duckdb", "dict") else []
        extra += ["--parquet", parquet_dir] if parquet_dir else []
        extra += ["--forms", forms_file] if forms_file else []
        extra += ["--forms-only"] if args.forms_only else []
        spawn_worker(["_peer", engine, variant, "--csv", csv_dir, "--work", work, "--runs", args.runs,
                      "--threads", args.threads, "--month", args.month, "--out", out, *extra])
        peers[f"{engine}:{variant}"] = json.loads(out.read_text())
    return peers


def run_duckdb_fresh(args, duckdb_file: Path) -> dict:
    """Each statistic from DuckDB's own database file, each run a new Python process."""
    fresh = {}
    for stat, period in queries(args.month):
        key = f"{stat} | {period}"
        entry = {"wall_ms": [], "query_ms": [], "import_ms": []}
        for _ in range(args.runs + 1):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "_fresh", duckdb_file, stat,
                                   period, "--threads", str(args.threads)], capture_output=True, text=True, check=True)
            wall = (time.perf_counter() - started) * 1e3
            measured = json.loads(done.stdout)
            entry["answer"] = measured["answer"]
            for name, value in (("wall_ms", wall), ("query_ms", measured["query_ms"]),
                                ("import_ms", measured["import_ms"])):
                entry[name].append(value)
        for name in ("wall_ms", "query_ms", "import_ms"):
            entry[name] = entry[name][1:]  # the first run warms the page cache
        fresh[key] = entry
    return fresh


def find_mismatches(results: dict) -> dict:
    mismatches: dict[str, dict[str, list[str]]] = {}
    reference = results["leanstats"]["answers"]
    candidates = [(PEER_LABEL[tuple(k.split(":"))], w["answers"]) for k, w in results["peers"].items()]
    candidates.append(("duckdb fresh", {k: v["answer"] for k, v in results.get("duckdb_fresh", {}).items()}))
    for label, answers in candidates:
        for key, answer in answers.items():
            problems = differences(reference[key], answer)
            if problems:
                mismatches.setdefault(key, {})[label] = problems
    return mismatches


def find_form_mismatches(results: dict) -> dict:
    """Where a peer's answer to a query form differs from LeanStats' JSON: {line: {peer: problems}}."""
    mismatches: dict[str, dict[str, list[str]]] = {}
    reference = results["forms"]["answers"]
    for key, worker in results["peers"].items():
        for line, answer in worker.get("forms", {}).get("answers", {}).items():
            problems = differences(reference[line], answer)
            if problems:
                mismatches.setdefault(line, {})[PEER_LABEL[tuple(key.split(":"))]] = problems
    return mismatches


def summarize_forms(results: dict) -> dict:
    """Per query form: medians, fastest peer, speedup, the goal (≥ 10× the fastest peer) and the answer check."""
    forms = results["forms"]
    summary = {}
    for line in forms["answers"]:
        lean = statistics.median(forms["repl"]["times_ms"][line])
        peers, unavailable = {}, {}
        for key, worker in results["peers"].items():
            label = PEER_LABEL[tuple(key.split(":"))]
            worker_forms = worker.get("forms", {})
            if line in worker_forms.get("times_ms", {}):
                peers[label] = statistics.median(worker_forms["times_ms"][line])
            else:
                unavailable[label] = worker_forms.get("not_expressible", {}).get(line, "not run")
        fastest = min(peers, key=peers.get) if peers else None
        speedup = peers[fastest] / lean if fastest else None
        summary[line] = {"leanstats_ms": lean, "peers_ms": peers, "not_expressible": unavailable,
                         "fastest_peer": fastest, "speedup": speedup,
                         "goal_met": speedup is not None and speedup >= GOAL_SPEEDUP,
                         "mismatches": forms["mismatches"].get(line, {})}
    return summary


def report_forms(results: dict) -> None:
    """The query forms table, then the forms left out, the peers' n/a and every mismatch."""
    forms = results["forms"]
    summary = forms["summary"]
    labels = [PEER_LABEL[p] for p in PEERS if f"{p[0]}:{p[1]}" in results["peers"]]
    headers = ["form", "leanstats", *labels, "fastest peer", "speedup", "goal", "answers"]
    rows = []
    for line, s in summary.items():
        rows.append([line, fmt_ms(s["leanstats_ms"]),
                     *(fmt_ms(s["peers_ms"][l]) if l in s["peers_ms"] else "n/a" for l in labels),
                     s["fastest_peer"] or "—", f"{s['speedup']:.1f}×" if s["speedup"] else "—",
                     "yes" if s["goal_met"] else "NO",
                     "ok" if not s["mismatches"] else "MISMATCH " + ",".join(s["mismatches"])])
    print()
    print(f"query forms — {results['rows']:,} rows, median of {results['runs']} warm runs, milliseconds "
          f"(leanstats = in-process repl `.timer`; goal: ≥ {GOAL_SPEEDUP:g}× the fastest peer; "
          f"age_days counted to {forms['today']})")
    print()
    print_table(headers, rows, right=set(range(1, len(labels) + 2)) | {len(labels) + 3})
    met = sum(s["goal_met"] for s in summary.values())
    checked = sum(not s["mismatches"] for s in summary.values())
    print(f"goal met by {met} of {len(summary)} forms; answers ok for {checked} of {len(summary)}")
    for line, reason in forms["skipped"].items():
        print(f"left out (the store lacks a filter value): {line} — {reason}")
    for line, s in summary.items():
        for label, reason in s["not_expressible"].items():
            print(f"n/a: {label} cannot answer `{line}` ({reason})")
    print_mismatches("these query-form answers", forms["mismatches"])


def work_directory(args) -> Path:
    work = Path(args.work or Path(tempfile.gettempdir()) / f"leanstats-compare-{args.rows}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    return work


def generate(args, binary: Path, work: Path, results: dict, reuse: bool) -> bool:
    """`leanstats gen` and `leanstats export csv` into WORK/store and WORK/csv, or (with `reuse`) nothing when the
    stamp WORK/generated.json says they hold this --rows and --seed from this very binary. Whether it generated."""
    store, csv_dir = work / "store", work / "csv"
    stamp_file = work / "generated.json"
    stamp = {"rows": args.rows, "seed": args.seed, "binary": str(binary), "binary_mtime_ns": binary.stat().st_mtime_ns}
    if (reuse and stamp_file.exists() and json.loads(stamp_file.read_text()) == stamp
            and all((csv_dir / f"{name}.csv").exists() for name in ("ding_process_instances",
                                                                   "ding_form_component_values"))):
        log(f"reusing {store} and {csv_dir} (same rows, seed and binary)")
        return False
    stamp_file.unlink(missing_ok=True)
    lean = results["leanstats"]
    log(f"leanstats gen --rows {args.rows} --seed {args.seed} → {store}")
    replace = ["--replace"] if store.exists() else []
    lean["gen_s"], _ = run_command([binary, "gen", "--rows", args.rows, "--seed", args.seed, "--data", store,
                                    *replace])
    log(f"leanstats export csv → {csv_dir}")
    shutil.rmtree(csv_dir, ignore_errors=True)
    lean["export_s"], _ = run_command([binary, "export", "csv", "--data", store, "--out", csv_dir])
    stamp_file.write_text(json.dumps(stamp))
    return True


def leanstats_forms(args, binary: Path, store: Path, work: Path) -> tuple[dict, Path]:
    """LeanStats' reference answers and in-process times of the query forms (a REPL of their own, so the memory
    figures of the six statistics stay theirs), and the file that tells the peer workers the forms and the date."""
    log("leanstats query (reference answers of the query forms)")
    forms = leanstats_form_answers(binary, store, FORM_LINES)
    log("leanstats repl (.timer on), query forms")
    forms["repl"] = leanstats_repl(binary, store, [(line, line) for line in forms["answers"]], args.runs, args.rows)
    forms_file = work / "forms.json"
    forms_file.write_text(json.dumps({"today": forms["today"], "lines": list(forms["answers"])}, ensure_ascii=False))
    return forms, forms_file


def check_forms(results: dict) -> None:
    results["forms"]["mismatches"] = find_form_mismatches(results)
    results["forms"]["summary"] = summarize_forms(results)


def write_json(args, results: dict) -> None:
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))
        log(f"raw numbers in {args.json}")


def forms_driver(args) -> int:
    """`--forms-only`: the query forms alone (no bandwidth probe, whole-process runs, import, Parquet or DuckDB
    file); the store and CSV export of an earlier run with the same rows, seed and binary are reused."""
    work = work_directory(args)
    binary = leanstats_binary(args.leanstats)
    results = {"rows": args.rows, "seed": args.seed, "runs": args.runs, "threads": args.threads, "month": args.month,
               "work": str(work), "leanstats_binary": str(binary), "leanstats": {}}
    if generate(args, binary, work, results, reuse=True):
        settle()
    results["forms"], forms_file = leanstats_forms(args, binary, work / "store", work)
    results["peers"] = run_peers(args, work, work / "csv", None, None, forms_file)
    check_forms(results)
    report_forms(results)
    write_json(args, results)
    return 1 if results["forms"]["mismatches"] else 0


def driver(args) -> int:
    if args.forms_only:
        return forms_driver(args)
    work = work_directory(args)
    store, csv_dir, parquet_dir = work / "store", work / "csv", work / "parquet"
    duckdb_file = work / "duckdb" / "leanstats.duckdb"
    duckdb_file.parent.mkdir(exist_ok=True)
    duckdb_file.unlink(missing_ok=True)  # written again by the DuckDB ENUM worker; never compare a stale one
    binary = leanstats_binary(args.leanstats)
    results = {"rows": args.rows, "seed": args.seed, "runs": args.runs, "threads": args.threads, "month": args.month,
               "work": str(work), "leanstats_binary": str(binary), "leanstats": {}}
    lean = results["leanstats"]

    generate(args, binary, work, results, reuse=False)
    results["csv_bytes"] = sum(p.stat().st_size for p in csv_dir.glob("*.csv"))
    results["snapshot"] = info = snapshot_info(binary, store)
    results["statistics_column_bytes"] = (sum(info["columns"][c]["decoded_bytes"] for c in STATISTICS_COLUMNS
                                              if c in info["columns"]) + info["columns"]["days"]["decoded_bytes"])

    # The export leaves gigabytes of dirty pages; their write-back would steal a core from the timed runs.
    settle()
    log("memory bandwidth probe")
    results["bandwidth"] = bandwidth_probe(work, args.threads)

    log("leanstats query (whole process, reference answers)")
    lean["answers"], lean["process_ms"] = leanstats_whole_process(binary, store, args.month, args.runs)
    log("leanstats repl (.timer on)")
    lean["repl"] = leanstats_repl(binary, store, [(f"{stat} | {period}", query_line(stat, period))
                                                  for stat, period in queries(args.month)], args.runs, args.rows)
    results["forms"], forms_file = leanstats_forms(args, binary, store, work)
    log("leanstats import of the CSV export")
    lean["import"] = leanstats_import(binary, csv_dir, work, args.rows, lean["answers"]["overview | all"])

    log("Parquet (zstd)")
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "_parquet", csv_dir, parquet_dir],
                          capture_output=True, text=True, check=True)
    results["parquet"] = json.loads(done.stdout)
    settle()

    results["peers"] = run_peers(args, work, csv_dir, parquet_dir, duckdb_file, forms_file)
    if duckdb_file.exists():
        log("DuckDB from its database file, fresh process per run")
        results["duckdb_fresh"] = run_duckdb_fresh(args, duckdb_file)
    settle()
    log("leanstats import of the CSV export, two more runs")
    lean["import"] = leanstats_import(binary, csv_dir, work, args.rows, lean["answers"]["overview | all"], runs=2,
                                      earlier=lean["import"])

    results["mismatches"] = find_mismatches(results)
    results["summary"] = summarize(results, args.month)
    check_forms(results)
    report(results, args.month)
    report_forms(results)
    write_json(args, results)
    return 1 if results["mismatches"] or results["forms"]["mismatches"] or lean["import"]["problems"] else 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_peer":
        parser = argparse.ArgumentParser(prog="compare.py _peer")
        parser.add_argument("engine", choices=sorted(ENGINES))
        parser.add_argument("variant", choices=["plain", "dict"])
        for option in ("--csv", "--work", "--month", "--out", "--parquet", "--duckdb-file", "--forms"):
            parser.add_argument(option)
        parser.add_argument("--forms-only", action="store_true")
        parser.add_argument("--runs", type=int)
        parser.add_argument("--threads", type=int)
        peer_worker(parser.parse_args(sys.argv[2:]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "_parquet":
        parquet_worker(argparse.Namespace(csv=sys.argv[2], out_dir=sys.argv[3]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "_fresh":
        parser = argparse.ArgumentParser(prog="compare.py _fresh")
        parser.add_argument("database")
        parser.add_argument("stat")
        parser.add_argument("period")
        parser.add_argument("--threads", type=int)
        fresh_worker(parser.parse_args(sys.argv[2:]))
        return 0

    parser = argparse.ArgumentParser(
        prog="Benchmarks/compare",
        description="LeanStats against DuckDB, Polars and chDB on the same synthetic history (Benchmarks/README.md).")
    parser.add_argument("--rows", type=int, required=True, help="instances to generate (the goals are set at 10M)")
    parser.add_argument("--seed", type=int, default=42, help="seed of `leanstats gen` (default 42)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query after one warm-up (default 5)")
    parser.add_argument("--work", help="working directory (default: $TMPDIR/leanstats-compare-ROWS)")
    parser.add_argument("--leanstats", help="leanstats binary (default: .build/release/leanstats, built if missing)")
    parser.add_argument("--json", help="also write every raw number to this JSON file")
    parser.add_argument("--month", default="2025-10", help="the single-month period (default 2025-10)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every engine (default: all)")
    parser.add_argument("--engines", nargs="*", choices=sorted(ENGINES), help="only these peers (default: all)")
    parser.add_argument("--forms-only", action="store_true",
                        help="only the query forms: no bandwidth probe, whole-process runs, import, Parquet or "
                             "DuckDB file; reuses the store and CSV export of an earlier run with the same rows, "
                             "seed and binary")
    args = parser.parse_args()
    if args.runs < 1 or args.rows < 1:
        parser.error("--rows and --runs must be positive")
    return driver(args)


if __name__ == "__main__":
    sys.exit(main())

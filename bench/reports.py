"""Benchmark the unit dashboard on ten years of a busy unit (30,000 referrals, 10,000 cases,
300,000 timeline entries, and what surrounds them: bench/reporting_unit.py).

Builds the unit in a scratch database (SQLite under var/bench/; a scratch PostgreSQL database
`<DATABASE_URL db>_bench_reports`, dropped afterwards, when DATABASE_URL names one), then renders
`reports:dashboard` through Django's test Client as the unit manager (second factor verified,
persistent connection), N times for each period, and reports the median and p95 time of
`client.get()` (the whole server side: middleware, every measure, charts, template, the audit
row) and the number of queries; then the time of each measure alone over the widest period, to
show where the time goes.

    .venv/bin/python bench/reports.py --output bench/results/reports.md
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/masip .venv/bin/python bench/reports.py \\
        --databases postgresql --output bench/results/reports.md --append
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import secrets
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from scratch import database_version, run_child, scratch_database, scratch_urls, uptime

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 500
TODAY = date(2026, 11, 21)  # fixed, so every run builds the same unit
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}


def _periods() -> dict[str, tuple[date, date]]:
    yesterday = TODAY - timedelta(days=1)
    return {
        "last 12 months": (yesterday - timedelta(days=364), yesterday),
        "one quarter (Jul-Sep 2026)": (date(2026, 7, 1), date(2026, 9, 30)),
        "all ten years": (TODAY - timedelta(days=3650), yesterday),
    }


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.test")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.settings_dict["CONN_MAX_AGE"] = None
    call_command("migrate", verbosity=0)


def _timed(function: Any, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "median_ms": statistics.median(times),
        "p95_ms": times[max(0, round(0.95 * len(times)) - 1)],
        "max_ms": times[-1],
    }


def _child(database_url: str, runs: int, referrals: int, cases: int, entries_per_case: int) -> dict[str, Any]:
    _setup(database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from reporting_unit import build_unit

    from masip.accounts.models import Role
    from masip.reports import measures
    from masip.reports.period import Period
    from masip.reports.selectors import dashboard_figures
    from tests.conftest import verified_client
    from tests.factories import UserFactory, member
    from tests.risk.history_factories import instrument_version

    started = time.perf_counter()
    built = build_unit(
        code="BENCH",
        today=TODAY,
        referrals=referrals,
        cases=cases,
        entries_per_case=entries_per_case,
        instrument_version=instrument_version(),
        assessor=UserFactory(),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result: dict[str, Any] = {
        "vendor": connection.vendor,
        "built": {"referrals": built.referrals, "cases": built.cases, "entries": built.entries, "rows": built.rows},
        "build_s": time.perf_counter() - started,
        "runs": runs,
        "periods": {},
        "measures": {},
    }
    client = verified_client(member(Role.UNIT_MANAGER, unit=built.unit))
    url = reverse("reports:dashboard")
    for label, (start, end) in _periods().items():
        params = {"start": start.isoformat(), "end": end.isoformat()}

        def get(params: dict[str, str] = params) -> Any:
            response = client.get(url, params)
            if response.status_code != 200:
                raise SystemExit(f"The dashboard answered {response.status_code}")
            return response

        for _ in range(2):  # warm the template and URL caches (and the session's last-seen write)
            get()
        with CaptureQueriesContext(connection) as queries:
            get()
        sql = [query["sql"] for query in queries.captured_queries]
        control = sum(1 for s in sql if s.split(" ")[0] in TRANSACTION_CONTROL)
        # The page reads the figures stored by its first request today; counting them (the
        # first reader of a period, "Count again now", the nightly precompute) is timed apart.
        period = Period(start, end)
        counted = statistics.median(
            _timed(lambda period=period: dashboard_figures(unit=built.unit, period=period), max(3, runs // 3))
        )
        result["periods"][label] = {
            "queries": len(sql) - control,
            "counting_ms": counted,
            **_summary(_timed(get, runs)),
        }

    # The comparison's nightly precompute: one unit's figures (reports.comparison.compute_figures)
    # for each period it fills, the whole night's work for this unit.
    from masip.reports.comparison import compute_figures, standard_periods

    nightly = standard_periods(TODAY)
    started = time.perf_counter()
    for period in nightly:
        compute_figures(built.unit, period)
    result["precompute"] = {"periods": len(nightly), "seconds": time.perf_counter() - started}
    twelve = Period(*_periods()["last 12 months"])
    result["figures_12_months_ms"] = statistics.median(
        _timed(lambda: compute_figures(built.unit, twelve), max(3, runs // 4))
    )

    # An evaluation export of the 12 months: the case-level rows and the Parquet file.
    from masip.reports import exports

    key = secrets.token_urlsafe(32)

    def export() -> None:
        exports.cases_parquet(exports.case_rows(unit_id=built.unit.pk, period=twelve, secret=key))

    result["export_12_months_ms"] = statistics.median(_timed(export, 3))
    result["export_rows"] = len(exports.case_rows(unit_id=built.unit.pk, period=twelve, secret=key))

    start, end = _periods()["all ten years"]
    scope = {"unit_ids": [built.unit.pk], "period": Period(start, end)}
    for name in measures.__all__:
        function = getattr(measures, name)
        if callable(function) and set(inspect.signature(function).parameters) == {"unit_ids", "period"}:
            result["measures"][name] = statistics.median(_timed(lambda f=function: f(**scope), max(3, runs // 4)))
    return result


# --- the parent ---------------------------------------------------------------------------------


def _section(result: dict[str, Any], version: str, wall: float, command: str, load: str) -> str:
    built = result["built"]
    lines = [
        f"## {result['vendor']}: {built['referrals']:,} referrals, {built['cases']:,} cases, "
        f"{built['entries']:,} timeline entries ({built['rows']:,} rows in all)",
        "",
        f"Command: `{command}` (took {wall:.0f} s in all, migrations and building the unit included).",
        "",
        f"- Python {platform.python_version()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs",
        f"- {version}",
        f"- Load before the run: `{load}`",
        f"- The unit was built in {result['build_s']:.0f} s; {result['runs']} timed requests per period",
        "",
        "The page over the figures stored today (what a reader gets after the nightly precompute, or "
        "after the day's first reading of a period), and counting the figures afresh:",
        "",
        "| period | queries | page median ms | page p95 ms | page max ms | counting median ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    met = True
    for label, row in result["periods"].items():
        met &= row["median_ms"] < BUDGET_MS
        lines.append(
            f"| {label} | {row['queries']} | {row['median_ms']:.0f} | {row['p95_ms']:.0f} | {row['max_ms']:.0f} "
            f"| {row['counting_ms']:.0f} |"
        )
    total = sum(result["measures"].values())
    lines += [
        "",
        f"The comparison's figures of this unit over the last 12 months (`compute_figures`, what "
        f"`reports_precompute` stores): median {result['figures_12_months_ms']:.0f} ms. The whole "
        f"nightly precompute of this unit ({result['precompute']['periods']} periods: 8 quarters, "
        f"the quarter to date, the 12 months) took {result['precompute']['seconds']:.1f} s. "
        f"A pseudonymised evaluation export of the 12 months ({result['export_rows']:,} cases, "
        f"rows and Parquet file): median {result['export_12_months_ms']:.0f} ms.",
    ]
    lines += [
        "",
        f"Budget (the dashboard page under {BUDGET_MS} ms, judged on the median over stored figures): "
        f"**{'met' if met else 'NOT met'}**.",
        "",
        "Each measure alone over all ten years (median ms):",
        "",
        "| measure | median ms | share |",
        "|---|---:|---:|",
    ]
    for name, ms in sorted(result["measures"].items(), key=lambda item: -item[1]):
        lines.append(f"| `{name}` | {ms:.1f} | {ms / total:.0%} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed requests per period")
    parser.add_argument("--referrals", type=int, default=30_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--entries-per-case", type=int, default=30)
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, *numbers = args.child
        print(json.dumps(_child(url, *map(int, numbers))))
        return

    databases = args.databases or (
        ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["sqlite"]
    )
    command = " ".join(["bench/reports.py", *sys.argv[1:]])
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        command = f"DATABASE_URL={os.environ['DATABASE_URL']} .venv/bin/python {command}"
    else:
        command = f".venv/bin/python {command}"
    sections = []
    for vendor, url in scratch_urls(databases, "reports").items():
        load = uptime()
        with scratch_database(vendor, url):
            result, wall = run_child(__file__, url, args.runs, args.referrals, args.cases, args.entries_per_case)
            version = database_version(vendor, url)
        sections.append(_section(result, version, wall, command, load))
        print(sections[-1])
    if args.output:
        mode = "a" if args.append and args.output.exists() else "w"
        with args.output.open(mode) as report:
            if mode == "w":
                report.write("# Reporting benchmark\n\nProduced by bench/reports.py; see bench/README.md.\n")
            report.write("\n" + "\n".join(sections))


if __name__ == "__main__":
    main()

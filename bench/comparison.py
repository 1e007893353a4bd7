"""Benchmark the national comparison: 43 units side by side, as an analyst who reads them all.

Builds 43 units in a scratch database (bench/reporting_unit.py; by default each with a year of
a busy unit's work: 3,000 referrals, 1,000 cases, 30,000 timeline entries, so 129,000
referrals and 1.3 million timeline entries in all), then measures:

- cold: the comparison's figures of all 43 units over the last 12 months with nothing stored
  (`reports.comparison.figures_for` counts every unit: what the first reader of a new period
  waits for);
- the nightly precompute (`manage.py reports_precompute`: every unit, every standard period);
- warm: `reports:comparison` for the 43 units over the 12 months, through Django's test Client
  as the analyst (second factor verified): the page a commissioner opens on a normal day, which
  reads the stored figures, suppresses the tables and works out the intervals.

The page over stored figures does not depend on how much each unit holds (it reads one row per
unit); the time to count one unit's figures at ten years' size is in bench/results/reports.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/masip .venv/bin/python bench/comparison.py \\
        --databases postgresql --output bench/results/comparison.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from scratch import database_version, run_child, scratch_database, scratch_urls, uptime

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 5.0
PRODUCED_BY = "Produced by bench/comparison.py; see bench/README.md."
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}


def _child(database_url: str, runs: int, units: int, referrals: int, cases: int, years: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.test")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse
    from django.utils import timezone
    from reporting_unit import build_unit

    from masip.accounts.models import Membership, Role
    from masip.reports.comparison import figures_for
    from masip.reports.models import UnitFigures
    from masip.reports.period import Period
    from tests.conftest import verified_client
    from tests.factories import UserFactory, member
    from tests.risk.history_factories import instrument_version

    setup_test_environment()
    connection.settings_dict["CONN_MAX_AGE"] = None
    call_command("migrate", verbosity=0)

    today = timezone.localdate()
    version, assessor = instrument_version(), UserFactory()
    started = time.perf_counter()
    built = [
        build_unit(
            code=f"N{n:02d}",
            today=today,
            years=years,
            referrals=referrals,
            cases=cases,
            instrument_version=version,
            assessor=assessor,
        )
        for n in range(units)
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result: dict[str, Any] = {
        "vendor": connection.vendor,
        "units": units,
        "referrals": sum(b.referrals for b in built),
        "cases": sum(b.cases for b in built),
        "entries": sum(b.entries for b in built),
        "build_s": time.perf_counter() - started,
        "runs": runs,
    }
    yesterday = today - timedelta(days=1)
    twelve = Period(yesterday - timedelta(days=364), yesterday)
    all_units = [b.unit for b in built]

    started = time.perf_counter()
    figures_for(all_units, twelve)
    result["cold_s"] = time.perf_counter() - started

    UnitFigures.objects.all().delete()
    started = time.perf_counter()
    call_command("reports_precompute", verbosity=0)
    result["precompute_s"] = time.perf_counter() - started
    result["precomputed_rows"] = UnitFigures.objects.count()

    analyst = member(Role.ANALYST, unit=all_units[0])
    Membership.objects.bulk_create(Membership(user=analyst, unit=unit, role=Role.ANALYST) for unit in all_units[1:])
    client = verified_client(analyst)
    url = reverse("reports:comparison")
    params = {"start": twelve.start.isoformat(), "end": twelve.end.isoformat()}

    def get() -> Any:
        response = client.get(url, params)
        if response.status_code != 200:
            raise SystemExit(f"The comparison answered {response.status_code}")
        return response

    get()  # the session's last-seen write, the template and URL caches
    with CaptureQueriesContext(connection) as queries:
        response = get()
    sql = [query["sql"] for query in queries.captured_queries]
    result["queries"] = sum(1 for s in sql if s.split(" ")[0] not in TRANSACTION_CONTROL)
    result["page_kb"] = len(response.content) / 1024
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        times.append(time.perf_counter() - started)
    times.sort()
    result["warm_median_s"] = statistics.median(times)
    result["warm_p95_s"] = times[max(0, round(0.95 * len(times)) - 1)]
    result["warm_max_s"] = times[-1]
    return result


def _section(result: dict[str, Any], version: str, wall: float, command: str, load: str) -> str:
    met = result["warm_median_s"] < BUDGET_S
    return "\n".join(
        [
            f"## {result['vendor']}: {result['units']} units, {result['referrals']:,} referrals, "
            f"{result['cases']:,} cases, {result['entries']:,} timeline entries",
            "",
            f"Command: `{command}` (took {wall:.0f} s in all, migrations and building the units included).",
            "",
            f"- Python {platform.python_version()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs",
            f"- {version}",
            f"- Load before the run: `{load}`",
            f"- The units were built in {result['build_s']:.0f} s",
            "",
            "| what | time |",
            "|---|---:|",
            f"| cold: figures of the {result['units']} units over 12 months, nothing stored | "
            f"{result['cold_s']:.1f} s |",
            f"| nightly `reports_precompute` ({result['precomputed_rows']} unit-periods) | "
            f"{result['precompute_s']:.1f} s |",
            f"| warm: the comparison page, median of {result['runs']} | {result['warm_median_s']:.2f} s |",
            f"| warm: p95 / max | {result['warm_p95_s']:.2f} s / {result['warm_max_s']:.2f} s |",
            "",
            f"The warm page ran {result['queries']} queries and weighed {result['page_kb']:.0f} KB. "
            f"Budget (the national comparison under {BUDGET_S:.0f} s, judged on the warm median): "
            f"**{'met' if met else 'NOT met'}**.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--units", type=int, default=43)
    parser.add_argument("--referrals", type=int, default=3_000)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, *numbers = args.child
        print(json.dumps(_child(url, *map(int, numbers))))
        return

    databases = args.databases or (
        ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["sqlite"]
    )
    command = " ".join(["bench/comparison.py", *sys.argv[1:]])
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        command = f"DATABASE_URL={os.environ['DATABASE_URL']} .venv/bin/python {command}"
    else:
        command = f".venv/bin/python {command}"
    sections = []
    for vendor, url in scratch_urls(databases, "comparison").items():
        load = uptime()
        with scratch_database(vendor, url):
            result, wall = run_child(__file__, url, args.runs, args.units, args.referrals, args.cases, args.years)
            version = database_version(vendor, url)
        sections.append(_section(result, version, wall, command, load))
        print(sections[-1])
    if args.output:
        mode = "a" if args.append and args.output.exists() else "w"
        with args.output.open(mode) as report:
            if mode == "w":
                report.write(f"# National comparison benchmark\n\n{PRODUCED_BY}\n")
            report.write("\n" + "\n".join(sections))


if __name__ == "__main__":
    main()

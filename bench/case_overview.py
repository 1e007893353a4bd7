"""Benchmark the case overview page: server time and queries for a case with 500 timeline
entries and 50 exhibits, as the lead investigator, the clinician and the advocate see it.

Builds the case (tests/cases/overview_case.py, the same builder as the query-count test) in a
scratch database: SQLite under var/bench/, and a scratch PostgreSQL database
`<DATABASE_URL db>_bench_overview` (dropped afterwards) when DATABASE_URL names one (the role
needs CREATEDB). Then renders `cases:detail` through Django's test Client, signed in with the
second factor verified, N times per viewer, and reports the median and p95 time of
`client.get()` (middleware, view, template, audit rows: the whole server side, no network), and
the queries of one request. Persistent database connections, as in production.

    .venv/bin/python bench/case_overview.py --output bench/results/case_overview.md
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/masip .venv/bin/python bench/case_overview.py \\
        --databases postgresql --output bench/results/case_overview.md --append
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from scratch import database_version, run_child, scratch_database, scratch_urls, uptime

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("investigator", "clinician", "advocate")
BUDGET_MS = 150
BUDGET_QUERIES = 15
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"}


def _check(response: Any) -> None:
    if response.status_code != 200:
        raise SystemExit(f"The case page answered {response.status_code}")


# --- inside a child process (Django set up on the scratch database) ---------------------------


def _child(database_url: str, runs: int, entries: int, documents: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.test")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()  # the test Client's request handling, with ALLOWED_HOSTS for testserver
    connection.settings_dict["CONN_MAX_AGE"] = None  # persistent, as production runs
    call_command("migrate", verbosity=0)
    from tests.cases.overview_case import busy_case
    from tests.conftest import verified_client

    started = time.perf_counter()
    busy = busy_case(entries=entries, documents=documents)
    result: dict[str, Any] = {
        "vendor": connection.vendor,
        "entries": entries,
        "documents": documents,
        "build_s": time.perf_counter() - started,
        "runs": runs,
        "roles": {},
    }
    url = reverse("cases:detail", kwargs={"case_id": busy.case.pk})
    for role in ROLES:
        client = verified_client(getattr(busy, role))
        started = time.perf_counter()
        first = client.get(url)  # writes the session's last-seen time (once a minute per session)
        first_ms = (time.perf_counter() - started) * 1000
        _check(first)
        for _ in range(3):  # warm the template and URL caches
            client.get(url)
        with CaptureQueriesContext(connection) as queries:
            _check(client.get(url))
        # Read now: the next request clears the log. BEGIN/COMMIT (the audit rows' transaction)
        # are counted apart: the test suite, inside its own transaction, never sees them.
        sql = [query["sql"] for query in queries.captured_queries]
        control = [s for s in sql if s.split(" ")[0] in TRANSACTION_CONTROL]
        counted = len(sql) - len(control)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            _check(response)
        times.sort()
        result["roles"][role] = {
            "queries": counted,
            "transaction_control": len(control),
            "first_ms": first_ms,
            "median_ms": statistics.median(times),
            "p95_ms": times[max(0, round(0.95 * len(times)) - 1)],
            "max_ms": times[-1],
            "bytes": len(response.content),
        }
    return result


# --- the parent ---------------------------------------------------------------------------------


def _section(result: dict[str, Any], version: str, wall: float, command: str, load: str) -> str:
    lines = [
        f"## {result['vendor']}: {result['entries']} timeline entries, {result['documents']} exhibits",
        "",
        f"Command: `{command}` (took {wall:.0f} s in all, migrations and building the case included).",
        "",
        f"- Python {platform.python_version()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs",
        f"- {version}",
        f"- Load before the run: `{load}`",
        f"- The case was built in {result['build_s']:.1f} s; {result['runs']} timed requests per viewer",
        "",
        "| viewer | queries | median ms | p95 ms | max ms | first request ms (writes the session) | page KB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    met = True
    for role, row in result["roles"].items():
        met &= row["queries"] <= BUDGET_QUERIES and row["p95_ms"] < BUDGET_MS
        lines.append(
            f"| {role} | {row['queries']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | {row['max_ms']:.1f} "
            f"| {row['first_ms']:.1f} | {row['bytes'] / 1024:.0f} |"
        )
    control = max(row["transaction_control"] for row in result["roles"].values())
    verdict = "met" if met else "NOT met"
    lines += [
        "",
        f"Queries exclude the {control} BEGIN/COMMIT statements of the audit rows' transaction. "
        f"Budget (at most {BUDGET_QUERIES} queries, under {BUDGET_MS} ms, "
        f"judged on the p95): **{verdict}**.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed requests per viewer")
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("DATABASE_URL", "RUNS", "ENTRIES", "DOCS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, runs, entries, documents = args.child
        print(json.dumps(_child(url, int(runs), int(entries), int(documents))))
        return

    databases = args.databases or (
        ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["sqlite"]
    )
    command = " ".join(["bench/case_overview.py", *sys.argv[1:]])
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        command = f"DATABASE_URL={os.environ['DATABASE_URL']} .venv/bin/python {command}"
    else:
        command = f".venv/bin/python {command}"
    sections = []
    for vendor, url in scratch_urls(databases, "overview").items():
        load = uptime()
        with scratch_database(vendor, url):
            result, wall = run_child(__file__, url, args.runs, args.entries, args.documents)
            version = database_version(vendor, url)
        sections.append(_section(result, version, wall, command, load))
        print(sections[-1])
    if args.output:
        mode = "a" if args.append and args.output.exists() else "w"
        with args.output.open(mode) as report:
            if mode == "w":
                report.write("# Case overview benchmark\n\nProduced by bench/case_overview.py; see bench/README.md.\n")
            report.write("\n" + "\n".join(sections))


if __name__ == "__main__":
    main()

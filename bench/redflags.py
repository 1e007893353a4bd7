"""Benchmark the red-flag engine: re-evaluating every rule for one case with 2,000 timeline
entries (target under 100 ms), and for every open case of a unit with 2,000 cases (target under
60 s), on SQLite and PostgreSQL.

A generator writes realistic timelines in a scratch database (SQLite under var/bench/, and a
scratch PostgreSQL database `<DATABASE_URL db>_bench_redflags`, dropped afterwards, when
DATABASE_URL names one): months of messages and calls at a steady rate, bursts, some watching and
turning up, the odd threat, a breach of an SPO, risk events, a perpetrator with flags who appears
on several cases, an ex-partner referral. The first evaluation stores the alerts (reported apart);
the timed runs are re-evaluations, as after each timeline write and every night.

    .venv/bin/python bench/redflags.py --output bench/results/redflags.md
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/masip .venv/bin/python bench/redflags.py \\
        --databases postgresql --output bench/results/redflags.md --append
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from scratch import database_version, run_child, scratch_database, scratch_urls, uptime

ROOT = Path(__file__).resolve().parent.parent
CASE_BUDGET_MS = 100
UNIT_BUDGET_S = 60

# (behaviour codes, weight, incidents) of a generated entry.
MIX = [
    (["comm_text"], 30, (1, 6)),
    (["comm_phone"], 15, (1, 4)),
    (["comm_email"], 8, (1, 2)),
    (["comm_social"], 8, (1, 3)),
    (["contacting_third_parties"], 4, (1, 1)),
    (["online_monitoring"], 4, (1, 1)),
    (["loitering"], 3, (1, 1)),
    (["turning_up_home"], 3, (1, 1)),
    (["following"], 2, (1, 1)),
    (["items_left"], 2, (1, 1)),
    (["threat_harm", "comm_text"], 1, (1, 1)),
    (["threat_kill", "comm_voicemail"], 0.3, (1, 1)),
    (["property_damage"], 0.5, (1, 1)),
]


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[max(0, round(0.95 * len(times)) - 1)]


def _child(database_url: str, case_entries: int, cases: int, per_case: int, runs: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.test")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    connection.settings_dict["CONN_MAX_AGE"] = None
    call_command("migrate", verbosity=0)
    from masip.cases.models import Case, CaseParticipant, ParallelProcess, ParticipantRole, ProcessKind, SpoStage
    from masip.people.models import Person
    from masip.referrals.models import Referral, Relationship
    from masip.risk.models import RiskEvent, RiskEventKind
    from masip.timeline.models import BehaviourType, RedFlagAlert, TimelineEntry
    from masip.timeline.redflags import redflags_evaluate_case, redflags_evaluate_unit
    from tests.factories import AgencyFactory, UnitFactory

    rng = random.Random(20261121)  # noqa: S311  # reproducible synthetic data, not secrets
    types = {b.code: b.pk for b in BehaviourType.objects.all()}
    through = TimelineEntry.behaviours.through
    today = timezone.localdate()
    agency = AgencyFactory()
    weights = [w for _, w, _ in MIX]

    def build_case(unit: Any, number: int, entries: int, repeat_person: Any) -> Case:
        case = Case.unscoped.create(unit=unit, reference=f"B{unit.pk}-{number:05d}", summary="")
        Referral.unscoped.create(
            unit=unit,
            reference=f"R{unit.pk}-{number:05d}",
            source_agency=agency,
            case=case,
            received_at=timezone.now(),
            relationship=rng.choice([Relationship.EX_INTIMATE, Relationship.ACQUAINTANCE, Relationship.STRANGER]),
        )
        order = ParallelProcess.unscoped.create(
            case=case,
            kind=ProcessKind.SPO,
            lead_agency="Police",
            started_on=today - timedelta(days=200),
            spo_stage=SpoStage.INTERIM_GRANTED,
        )
        person = (
            repeat_person
            if number % 7 == 0
            else Person.unscoped.create(unit=unit, flags=rng.choice([[], [], ["violent_history"]]))
        )
        CaseParticipant.unscoped.create(case=case, person=person, role=ParticipantRole.PERPETRATOR)
        RiskEvent.unscoped.create(
            case=case, kind=RiskEventKind.SEPARATION, occurred_on=today - timedelta(days=rng.randint(10, 400))
        )
        span = max(60, entries // 3)  # days the timeline covers
        rows, links = [], []
        for _ in range(entries):
            codes, _, (low, high) = rng.choices(MIX, weights)[0]
            # A burst in the last fifth of the timeline: more entries late on.
            offset = int(span * (rng.random() ** 0.7))
            day = today - timedelta(days=span - offset)
            breach = rng.random() < 0.002
            entry = TimelineEntry(
                case=case,
                occurred_on=day,
                incidents=rng.randint(low, high),
                reported_by="victim",
                compartment="police" if rng.random() < 0.05 else "team",
                order_breached=order if breach else None,
            )
            rows.append(entry)
            for code in codes + (["breach_order"] if breach else []):
                links.append(through(timelineentry_id=entry.pk, behaviourtype_id=types[code]))
        TimelineEntry.unscoped.bulk_create(rows, batch_size=1000)
        through.objects.bulk_create(links, batch_size=1000)
        return case

    result: dict[str, Any] = {"vendor": connection.vendor, "runs": runs}
    # 1. One case with many entries.
    unit = UnitFactory()
    repeat = Person.unscoped.create(unit=unit, flags=["threats_to_kill"])
    big = build_case(unit, 1, case_entries, repeat)
    started = time.perf_counter()
    first = redflags_evaluate_case(case=big)
    result["case_first_ms"] = (time.perf_counter() - started) * 1000
    result["case_alerts"] = len(first)
    with CaptureQueriesContext(connection) as queries:
        redflags_evaluate_case(case=big)
    result["case_queries"] = len(queries.captured_queries)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        if redflags_evaluate_case(case=big):
            raise SystemExit("A re-evaluation raised a new alert: the fingerprints are not stable")
        times.append((time.perf_counter() - started) * 1000)
    result["case_entries"] = case_entries
    result["case_median_ms"], result["case_p95_ms"] = statistics.median(times), _p95(times)

    # 2. A unit's open cases.
    unit = UnitFactory()
    repeat = Person.unscoped.create(unit=unit, flags=["violent_history"])
    started = time.perf_counter()
    for number in range(cases):
        build_case(unit, number, per_case, repeat)
    result["build_s"] = time.perf_counter() - started
    started = time.perf_counter()
    _, created = redflags_evaluate_unit(unit=unit)
    result["unit_first_s"] = time.perf_counter() - started
    result["unit_alerts"] = created
    unit_times = []
    for _ in range(max(2, runs // 10)):
        started = time.perf_counter()
        redflags_evaluate_unit(unit=unit)
        unit_times.append(time.perf_counter() - started)
    result.update(
        cases=cases, per_case=per_case, unit_median_s=statistics.median(unit_times), unit_p95_s=_p95(unit_times)
    )
    result["unit_runs"] = len(unit_times)
    result["stored_alerts"] = RedFlagAlert.unscoped.filter(case__unit=unit).count()
    return result


def _section(r: dict[str, Any], version: str, wall: float, command: str, load: str) -> str:
    case_met = r["case_p95_ms"] < CASE_BUDGET_MS
    unit_met = r["unit_p95_s"] < UNIT_BUDGET_S
    return "\n".join(
        [
            f"## {r['vendor']}",
            "",
            f"Command: `{command}` (took {wall:.0f} s in all, building the data included).",
            "",
            f"- Python {platform.python_version()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs",
            f"- {version}",
            f"- Load before the run: `{load}`",
            "",
            "| measure | median | p95 | first run (stores the alerts) | queries | target |",
            "|---|---:|---:|---:|---:|---|",
            f"| one case, {r['case_entries']:,} entries, {r['runs']} re-evaluations | {r['case_median_ms']:.1f} ms "
            f"| {r['case_p95_ms']:.1f} ms | {r['case_first_ms']:.0f} ms ({r['case_alerts']} alerts) "
            f"| {r['case_queries']} "
            f"| under {CASE_BUDGET_MS} ms: **{'met' if case_met else 'NOT met'}** |",
            f"| a unit's {r['cases']:,} open cases, {r['per_case']} entries each, {r['unit_runs']} re-evaluations "
            f"| {r['unit_median_s']:.1f} s | {r['unit_p95_s']:.1f} s "
            f"| {r['unit_first_s']:.1f} s ({r['unit_alerts']:,} alerts) "
            f"| | under {UNIT_BUDGET_S} s: **{'met' if unit_met else 'NOT met'}** |",
            "",
            f"The unit's cases were built in {r['build_s']:.0f} s; {r['stored_alerts']:,} alerts stored after all runs "
            "(re-running never adds one).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed re-evaluations of the big case")
    parser.add_argument("--entries", type=int, default=2000, help="entries of the big case")
    parser.add_argument("--cases", type=int, default=2000, help="open cases of the unit")
    parser.add_argument("--per-case", type=int, default=40, help="entries per case of the unit")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, entries, cases, per_case, runs = args.child
        print(json.dumps(_child(url, int(entries), int(cases), int(per_case), int(runs))))
        return
    databases = args.databases or (
        ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["sqlite"]
    )
    command = " ".join(["bench/redflags.py", *sys.argv[1:]])
    prefix = (
        f"DATABASE_URL={os.environ['DATABASE_URL']} "
        if os.environ.get("DATABASE_URL", "").startswith("postgres")
        else ""
    )
    command = f"{prefix}.venv/bin/python {command}"
    sections = []
    for vendor, url in scratch_urls(databases, "redflags").items():
        load = uptime()
        with scratch_database(vendor, url):
            result, wall = run_child(__file__, url, args.entries, args.cases, args.per_case, args.runs)
            version = database_version(vendor, url)
        sections.append(_section(result, version, wall, command, load))
        print(sections[-1])
    if args.output:
        mode = "a" if args.append and args.output.exists() else "w"
        with args.output.open(mode) as report:
            if mode == "w":
                report.write("# Red-flag engine benchmark\n\nProduced by bench/redflags.py; see bench/README.md.\n")
            report.write("\n" + "\n".join(sections))


if __name__ == "__main__":
    main()

"""Benchmark the referral file import: rows per second of the dry run, the import, and a
second import of the same file (every row already received), at 10,000 referrals.

Builds a synthetic file (docs/referral-import.md format; one row in five rejected, for an
unknown agency or an impossible date), then runs the three passes through the real services
(`import_job_check`, `import_job_run`) on a scratch database: SQLite under var/bench/, and a
scratch PostgreSQL database beside the one DATABASE_URL names, when it is set (the role needs
CREATEDB). The tasks are called directly, as the worker would call them, so that the time is
the import's alone. Writes a Markdown report.

    .venv/bin/python bench/import_referrals.py --output bench/results/import_referrals.md
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/masip .venv/bin/python bench/import_referrals.py \\
        --databases postgresql --output bench/results/import_referrals.md --append

Not part of `make test`: it takes a few minutes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scratch import database_version, run_child, scratch_database, scratch_urls

ROOT = Path(__file__).resolve().parent.parent
GIVEN = ["Amelia", "Olivia", "Isla", "Priya", "Grace", "Sofia", "Ruby", "Chloe", "Aisha", "Freya"]
FAMILY = ["Fairbrook", "Okafor", "Hale", "Marsh", "Crossley", "Patel", "Nowak", "Evans", "Murphy", "Khan"]
BEHAVIOURS = ["Following", "turning_up", "Unwanted communication", "threats", "loitering", "gifts_or_items"]


def synthetic_file(rows: int, agency: str) -> bytes:
    from masip.referrals.imports import COLUMNS

    rng = random.Random(20250303)  # noqa: S311  (synthetic data, repeatable)
    today = datetime.now(tz=UTC).date()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for n in range(rows):
        received = today - timedelta(days=rng.randint(1, 300))
        row = {
            "reference": f"NP-{n:06d}",
            "agency": agency if n % 10 != 3 else "Wessex Constabulary",
            "received_date": received.strftime("%d/%m/%Y"),
            "urgency": rng.choice(["Routine", "urgent", "Immediate"]),
            "relationship": rng.choice(["Ex-intimate partner", "stranger", "acquaintance"]),
            "behaviours": "; ".join(rng.sample(BEHAVIOURS, 2)),
            "crime_reference": f"CR/{n:06d}/25",
            "consent_to_referral": "yes",
            "consent_to_referral_date": received.isoformat(),
            "consent_to_sharing": rng.choice(["yes", "no"]),
            "consent_to_sharing_date": received.isoformat(),
            "summary": "Messages every night since the separation; waits outside her work. " * 3,
            "victim_given_name": rng.choice(GIVEN),
            "victim_family_name": rng.choice(FAMILY),
            "victim_date_of_birth": "31/02/1990" if n % 10 == 7 else f"{rng.randint(1, 28):02d}/04/1990",
            "victim_gender": "female",
            "victim_phone": f"07700 9{n % 100000:05d}",
            "suspect_given_name": rng.choice(["Daniel", "Kieran", "Tom", "Lee"]),
            "suspect_family_name": rng.choice(FAMILY),
            "suspect_date_of_birth": f"1985-02-{rng.randint(1, 28):02d}",
        }
        writer.writerow(row)
    return out.getvalue().encode()


# --- inside a child process (Django set up on the scratch database) ---------------------------


def _child(database_url: str, rows: int) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.test")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0)
    from masip.accounts.models import Agency, Membership, Role, Unit, User
    from masip.referrals import import_services
    from masip.referrals.models import ImportJob, Referral

    agency = Agency.objects.create(name="Northshire Police", kind="police")
    unit = Unit.objects.create(name="Northshire Stalking Unit", code="nsu", lead_agency=agency)
    user = User.objects.create_user("screener@bench.invalid", "bench-password-not-used", agency=agency)
    Membership.objects.create(user=user, unit=unit, role=Role.POLICE_INVESTIGATOR)
    data = synthetic_file(rows, agency.name)

    timings: dict[str, Any] = {"rows": rows, "file_bytes": len(data), "vendor": connection.vendor}
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        for label in ("first", "again"):
            started = time.perf_counter()
            job = import_services.import_job_create(actor=user, unit=unit, file_name="bench.csv", data=data)
            timings[f"{label}_upload_s"] = time.perf_counter() - started
            started = time.perf_counter()
            import_services.import_job_check(job_id=str(job.pk))
            timings[f"{label}_check_s"] = time.perf_counter() - started
            job.refresh_from_db()
            import_services.import_job_confirm(actor=user, job=job)
            started = time.perf_counter()
            import_services.import_job_run(job_id=str(job.pk))
            timings[f"{label}_import_s"] = time.perf_counter() - started
            job = ImportJob.unscoped.get(pk=job.pk)
            timings[f"{label}_counts"] = [job.to_create, job.already_received, job.rejected]
    timings["referrals"] = Referral.unscoped.count()
    return timings


# --- the parent ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"])
    parser.add_argument("--output", type=Path)
    parser.add_argument("--append", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("DATABASE_URL", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], int(args.child[1]))))
        return

    databases = args.databases or (
        ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["sqlite"]
    )
    command = " ".join(["bench/import_referrals.py", *sys.argv[1:]])
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        command = f"DATABASE_URL={os.environ['DATABASE_URL']} .venv/bin/python {command}"
    else:
        command = f".venv/bin/python {command}"
    sections = []
    for vendor, url in scratch_urls(databases, "import").items():
        with scratch_database(vendor, url):
            result, wall = run_child(__file__, url, args.rows)
            version = database_version(vendor, url)
        sections.append(_section(result, version, wall, command))
        print(sections[-1])
    if args.output:
        mode = "a" if args.append and args.output.exists() else "w"
        with args.output.open(mode) as report:
            if mode == "w":
                report.write(
                    "# Referral import benchmark\n\nProduced by bench/import_referrals.py; see bench/README.md.\n"
                )
            report.write("\n" + "\n".join(sections))


def _section(result: dict[str, Any], version: str, wall: float, command: str) -> str:
    rows = result["rows"]

    def rate(seconds: float) -> str:
        return f"{rows / seconds:,.0f}"

    lines = [
        f"## {result['vendor']}: {rows:,} rows ({result['file_bytes'] / 1024 / 1024:.1f} MB)",
        "",
        f"Command: `{command}` (took {wall:.0f} s in all, migrations included).",
        "",
        f"- Python {platform.python_version()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs",
        f"- {version}",
        "",
        "| pass | seconds | rows/s | created | already received | rejected |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, title in (("first", "first import of the file"), ("again", "same file again")):
        counts = result[f"{label}_counts"]
        lines.append(
            f"| {title}: upload checks | {result[f'{label}_upload_s']:.1f} | {rate(result[f'{label}_upload_s'])} "
            "| | | |"
        )
        lines.append(
            f"| {title}: dry run | {result[f'{label}_check_s']:.1f} | {rate(result[f'{label}_check_s'])} | | | |"
        )
        lines.append(
            f"| {title}: import | {result[f'{label}_import_s']:.1f} | {rate(result[f'{label}_import_s'])} "
            f"| {counts[0]:,} | {counts[1]:,} | {counts[2]:,} |"
        )
    lines += ["", f"Referrals in the database afterwards: {result['referrals']:,}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""Benchmark `verify_chain()`: rows per second and memory, at 100,000 and 1,000,000 audit rows.

Builds each log in a scratch database (SQLite under var/bench/, and a scratch PostgreSQL
database next to the one DATABASE_URL names, when it is set), then verifies it in a fresh
process so that the memory figures belong to verification alone. Writes a Markdown table.

    .venv/bin/python bench/verify_audit.py --output bench/results/verify_audit.md
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/masip .venv/bin/python bench/verify_audit.py \
        --databases postgresql --output bench/results/verify_audit.md --append

Not part of `make test`: it takes a few minutes and several hundred megabytes of disk.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "bench"
ACTIONS = ("view", "view", "view", "change", "create", "login", "export")


# --- inside a child process (Django set up on the scratch database) ---------------------------


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.test")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()


def _rss_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _event(seq: int, prev_hash: str, start: datetime, key_id: str) -> dict[str, Any]:
    case_id = uuid.UUID(int=seq % 5000)
    return {
        "seq": seq,
        "occurred_at": start + timedelta(milliseconds=seq * 250),
        "actor_id": None,
        "actor_label": f"officer{seq % 180}@police.example",
        "unit_id": None,
        "action": ACTIONS[seq % len(ACTIONS)],
        "object_type": "cases.case",
        "object_id": str(case_id),
        "case_id": case_id,
        "person_id": None,
        "fields": ["summary", "risk_level"] if seq % 7 == 3 else [],
        "justification": "Duty officer checking a new report" if seq % 50 == 0 else "",
        "ip_address": f"10.0.{seq % 250}.{seq % 200}",
        "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/128.0",
        "detail": {"path": f"/cases/{case_id}/"},
        "key_id": key_id,
        "prev_hash": prev_hash,
    }


def build(database_url: str, rows: int, batch: int = 10_000) -> dict[str, Any]:
    """Migrate the scratch database and append `rows` events with a valid chain, streaming.

    Inserts with executemany (COPY on PostgreSQL) rather than the ORM: building a million
    rows through bulk_create would take longer than verifying them several times.
    """
    _setup(database_url)
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connections, transaction

    from masip.audit.models import GENESIS_HASH, HASHED_FIELDS, AuditEvent, audit_keyring, chain_hash

    call_command("migrate", verbosity=0)
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per use
    fields = [AuditEvent._meta.get_field(name) for name in (*HASHED_FIELDS, "hash")]
    # Text and numbers go to the driver as they are; dates, UUIDs, JSON and addresses need the
    # field's own conversion for this database.
    prepared = {"occurred_at", "case_id", "person_id", "fields", "detail", "ip_address"}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    insert = f"INSERT INTO {AuditEvent._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    started = time.perf_counter()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    prev_hash = GENESIS_HASH
    # Signed with the key the verifying child will read from the same settings.
    keyring = audit_keyring()
    key_id, key = keyring.primary_id, keyring.keys[keyring.primary_id]
    for first in range(1, rows + 1, batch):
        params = []
        for seq in range(first, min(first + batch, rows + 1)):
            event = _event(seq, prev_hash, start, key_id)
            event["hash"] = prev_hash = chain_hash(event, key)
            params.append(
                [
                    f.get_db_prep_save(event[f.attname], connection) if f.attname in prepared else event[f.attname]
                    for f in fields
                ]
            )
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: a million single-row INSERTs would cost PostgreSQL more than the verifying.
                with cursor.cursor.copy(f"COPY {AuditEvent._meta.db_table} ({columns}) FROM STDIN") as copy:
                    for row in params:
                        copy.write_row(row)
            else:
                cursor.executemany(insert, params)
    return {"build_seconds": time.perf_counter() - started}


def verify(database_url: str, rows: int, runs: int, trace: bool) -> dict[str, Any]:
    """Run verify_chain() `runs` times; then, if asked, once more under tracemalloc."""
    _setup(database_url)
    from django.db import connection

    from masip.audit.verification import verify_chain

    connection.ensure_connection()
    baseline_rss = _rss_now()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        report = verify_chain()
        seconds.append(time.perf_counter() - started)
        if not report.intact or report.rows_checked != rows:
            raise SystemExit(f"benchmark chain did not verify: {report}")
    result: dict[str, Any] = {
        "seconds": seconds,
        "baseline_rss": baseline_rss,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    if trace:
        import tracemalloc

        tracemalloc.start()
        verify_chain()
        result["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result


# --- the parent: scratch databases, child processes, the report -------------------------------


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603 - our own interpreter running this very file
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _postgres_scratch(url: str, name: str, *, create: bool) -> str:
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _scratch(backend: str, rows: int, *, create: bool) -> str:
    if backend == "postgresql":
        base = os.environ["DATABASE_URL"]
        name = f"{urlsplit(base).path.lstrip('/') or 'masip'}_bench_audit_{rows}"
        return _postgres_scratch(base, name, create=create)
    path = SCRATCH / f"audit-{rows}.sqlite3"
    for leftover in SCRATCH.glob(f"audit-{rows}.sqlite3*"):
        leftover.unlink()
    if create:
        SCRATCH.mkdir(parents=True, exist_ok=True)
    elif SCRATCH.exists() and not any(SCRATCH.iterdir()):
        SCRATCH.rmdir()
    return f"sqlite:///{path}"


def _mib(value: float) -> str:
    return f"{value / 2**20:.1f}"


def _environment(databases: list[str]) -> list[str]:
    import sqlite3

    lines = [f"- Python {platform.python_version()}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs"]
    if "sqlite" in databases:
        lines.append(f"- SQLite {sqlite3.sqlite_version} (WAL, as configured by masip.settings)")
    if "postgresql" in databases:
        import psycopg

        maintenance = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
        with psycopg.connect(maintenance) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        lines.append(f"- PostgreSQL {row[0] if row else '?'}")
    return lines


def _report(args: argparse.Namespace, table: list[dict[str, Any]], seconds: float) -> str:
    traced = args.tracemalloc
    command = " ".join(
        (["DATABASE_URL=" + os.environ["DATABASE_URL"]] if "postgresql" in args.databases else [])
        + [".venv/bin/python", "bench/verify_audit.py", *sys.argv[1:]]
    )
    lines = [
        f"## {' and '.join(args.databases)}: {', '.join(f'{n:,}' for n in args.rows)} rows",
        "",
        f"Command: `{command}` (took {seconds:.0f} s in all).",
        "",
        *_environment(args.databases),
        "",
        f"`verify_chain()` ran {args.runs} time{'s' if args.runs != 1 else ''} per log, "
        "in a fresh process after the log was built. "
        "Memory is that process's: RSS growth is its peak RSS minus its RSS once Django was set up.",
        "",
        "| database | rows | build s | median s | rows/s | runs (s) | baseline RSS MiB | peak RSS MiB"
        + " | RSS growth MiB |"
        + (" tracemalloc peak MiB |" if traced else ""),
        "|---|---:|---:|---:|---:|---|---:|---:|---:|" + ("---:|" if traced else ""),
    ]
    for r in table:
        cells = [
            r["database"],
            f"{r['rows']:,}",
            f"{r['build_seconds']:.1f}",
            f"{r['median']:.2f}",
            f"{r['rows'] / r['median']:,.0f}",
            ", ".join(f"{s:.2f}" for s in r["seconds"]),
            _mib(r["baseline_rss"]),
            _mib(r["peak_rss"]),
            _mib(r["peak_rss"] - r["baseline_rss"]),
            *([_mib(r["tracemalloc_peak"])] if traced else []),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for database in args.databases:
        mine = [r for r in table if r["database"] == database]
        small, large = min(mine, key=lambda r: r["rows"]), max(mine, key=lambda r: r["rows"])
        if small is large:
            continue
        growth = (large["peak_rss"] - large["baseline_rss"]) / max(small["peak_rss"] - small["baseline_rss"], 1)
        ratio = f"{database}: {large['rows'] / small['rows']:g}x the rows, {growth:.2f}x the RSS growth"
        if traced:
            ratio += f", {large['tracemalloc_peak'] / small['tracemalloc_peak']:.2f}x the tracemalloc peak"
        lines.append(f"- {ratio}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=["sqlite", "postgresql"],
        help="Default: sqlite, and postgresql too when DATABASE_URL names a PostgreSQL server.",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="Also measure Python's peak allocation in one extra traced run (about five times slower than a run).",
    )
    parser.add_argument("--output", type=Path, help="Write the Markdown report here as well as to stdout.")
    parser.add_argument("--append", action="store_true", help="Add the report to the end of --output.")
    parser.add_argument("--child", choices=["build", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "build":
        print(json.dumps(build(args.url, args.rows[0])))
        return
    if args.child == "verify":
        print(json.dumps(verify(args.url, args.rows[0], args.runs, args.tracemalloc)))
        return

    postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    args.databases = args.databases or ["sqlite", *(["postgresql"] if postgres else [])]
    if "postgresql" in args.databases and not postgres:
        parser.error("--databases postgresql needs DATABASE_URL to name a PostgreSQL server.")
    began = time.perf_counter()
    table = []
    for database in args.databases:
        for rows in args.rows:
            url = _scratch(database, rows, create=True)
            try:
                built = _child("--child", "build", "--url", url, "--rows", str(rows))
                extra = ["--runs", str(args.runs), *(["--tracemalloc"] if args.tracemalloc else [])]
                measured = _child("--child", "verify", "--url", url, "--rows", str(rows), *extra)
            finally:
                _scratch(database, rows, create=False)
            median = statistics.median(measured["seconds"])
            table.append({"database": database, "rows": rows, "median": median, **built, **measured})
            # Progress, and the raw figures should anything later fail.
            print(json.dumps(table[-1]), file=sys.stderr)

    report = _report(args, table, time.perf_counter() - began)
    print(report)
    if args.output:
        previous = (
            args.output.read_text() + "\n"
            if args.append and args.output.exists()
            else "# verify_audit benchmark\n\nProduced by bench/verify_audit.py; see bench/README.md.\n\n"
        )
        args.output.write_text(previous + report)


if __name__ == "__main__":
    main()

"""Scratch databases for benchmarks that measure both SQLite and PostgreSQL.

A benchmark names its scratch: a SQLite file under var/bench/ (removed first, with its WAL
files), and a PostgreSQL database `<DATABASE_URL's database>_bench_<name>` on the same server,
which the benchmark creates and drops through `postgres_admin` (the role needs CREATEDB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "bench"


def scratch_urls(databases: list[str], name: str) -> dict[str, str]:
    """A database URL for each vendor asked for, fresh for SQLite (the PostgreSQL one is created
    by the caller with `postgres_admin`)."""
    urls: dict[str, str] = {}
    if "sqlite" in databases:
        SCRATCH.mkdir(parents=True, exist_ok=True)
        urls["sqlite"] = f"sqlite:///{SCRATCH / f'{name}.sqlite3'}"
        for path in _sqlite_files(urls["sqlite"]):
            path.unlink(missing_ok=True)
    if "postgresql" in databases:
        base = os.environ.get("DATABASE_URL", "")
        if not base.startswith("postgres"):
            raise SystemExit("Set DATABASE_URL to a PostgreSQL database to measure PostgreSQL.")
        parts = urlsplit(base)
        database = parts.path.lstrip("/") + f"_bench_{name}"
        urls["postgresql"] = urlunsplit(parts._replace(path="/" + database))
    return urls


def _sqlite_files(url: str) -> list[Path]:
    path = urlsplit(url).path
    return [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]


@contextmanager
def scratch_database(vendor: str, url: str) -> Iterator[str]:
    """A fresh, empty database at `url` for the block, dropped (or deleted) when it is left."""
    name = urlsplit(url).path.lstrip("/")
    if vendor == "postgresql":
        postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
        postgres_admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        if vendor == "postgresql":
            postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
        else:
            for path in _sqlite_files(url):
                path.unlink(missing_ok=True)


def run_child(script: str, url: str, *arguments: object) -> tuple[dict[str, Any], float]:
    """Run `script --child URL ARGUMENTS...` in a fresh interpreter with DATABASE_URL set to `url`;
    return the JSON object its last line of output holds, and the wall time in seconds."""
    started = time.perf_counter()
    out = subprocess.run(  # noqa: S603
        [sys.executable, script, "--child", url, *map(str, arguments)],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1]), time.perf_counter() - started


def postgres_admin(url: str, statement: str) -> None:
    """Run `statement` (CREATE / DROP DATABASE) on the server of `url`, outside any transaction."""
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)


def database_version(vendor: str, url: str) -> str:
    if vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (WAL, as configured by masip.settings)"
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT version()").fetchone()
    return str(row[0]).split(" on ")[0] if row else "PostgreSQL"


def uptime() -> str:
    """The machine's load, for the report (the machines are shared)."""
    try:
        return subprocess.run(["uptime"], check=True, capture_output=True, text=True).stdout.strip()  # noqa: S607
    except (OSError, subprocess.CalledProcessError):
        return "(uptime not available)"

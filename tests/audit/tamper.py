"""Tampering with the audit table as an attacker with database access would: triggers off, raw SQL."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

_triggers = importlib.import_module("masip.audit.migrations.0002_append_only_triggers")


def set_audit_triggers(*, enabled: bool) -> None:
    """Switch the append-only triggers on or off (tests only: an attacker's view of the table)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign-key checks of rows written in this transaction are deferred triggers;
            # PostgreSQL will not alter a table while they are pending, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE audit_auditevent {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")
            if enabled:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for statement in _triggers.SQLITE_UP if enabled else _triggers.SQLITE_DOWN:
                cursor.execute(statement)


@contextmanager
def triggers_off() -> Iterator[None]:
    """Lift the append-only triggers for the block, and put them back afterwards."""
    set_audit_triggers(enabled=False)
    try:
        yield
    finally:
        set_audit_triggers(enabled=True)


def sql(statement: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount

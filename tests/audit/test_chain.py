"""The audit chain catches tampering: edits, deletions, reordering and re-hashing, each at the right row.

An attacker with database access can switch the append-only triggers off, so these tests do
exactly that and then check that `verify_chain()` and `manage.py verify_audit` notice. Without
the audit key (MASIP_AUDIT_KEYS, never in the database) a rewrite is caught at the edited row;
with it, only at a recorded head.
"""

from __future__ import annotations

import ast
import hashlib
import json
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from masip.accounts.models import Role
from masip.audit.models import (
    GENESIS_HASH,
    HASHED_FIELDS,
    AuditAction,
    AuditEvent,
    _canonical,
    audit_keyring,
    chain_hash,
)
from masip.audit.services import audit_record
from masip.audit.verification import signing_key_usage, verify_chain
from masip.core.keyring import generate_key_spec
from tests.audit.tamper import sql, triggers_off
from tests.factories import CaseFactory, member

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def chain():
    """Six events written the normal way; row 3 carries a value in every optional column."""
    manager = member(Role.UNIT_MANAGER)
    unit = manager.memberships.get().unit
    case = CaseFactory(unit=unit)
    request = RequestFactory().get("/cases/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Firefox")
    audit_record(action=AuditAction.LOGIN, actor=manager, request=request)
    audit_record(action=AuditAction.VIEW, actor=manager, unit=unit, obj=case, case_id=case.pk)
    audit_record(
        action=AuditAction.CHANGE,
        actor=manager,
        request=request,
        unit=unit,
        obj=case,
        case_id=case.pk,
        person_id=uuid.uuid4(),
        fields=["summary", "risk_level"],
        justification="Risk raised after new incident",
        detail={"from": "low", "to": "high"},
    )
    audit_record(action=AuditAction.EXPORT, actor=manager, unit=unit, obj=case, case_id=case.pk)
    audit_record(action=AuditAction.LOGIN_FAILED, obj=manager)
    audit_record(action=AuditAction.LOGOUT, actor=manager, request=request)
    return list(AuditEvent.objects.order_by("seq"))


def signing_key() -> bytes:
    """The key the test settings sign new rows with (an attacker who stole it could use it)."""
    keyring = audit_keyring()
    return keyring.keys[keyring.primary_id]


def head(events) -> str:
    return f"{events[-1].seq}:{events[-1].hash}"


def assert_broken(at: int, says: str) -> None:
    report = verify_chain()
    assert report.broken_at == at
    assert says in report.problem
    assert report.rows_checked == at - 1
    with pytest.raises(CommandError, match=rf"BROKEN at row {at}:"):
        call_command("verify_audit")


# --- an intact chain --------------------------------------------------------------------------


def test_intact_chain_verifies(chain, capsys):
    report = verify_chain()
    assert report.intact
    assert (report.rows_checked, report.head_seq, report.head_hash) == (6, 6, chain[-1].hash)
    assert chain[0].prev_hash == GENESIS_HASH
    call_command("verify_audit", expect_head=head(chain))
    assert f"Head: {head(chain)}" in capsys.readouterr().out


def test_empty_log_verifies():
    assert verify_chain().intact
    assert verify_chain().rows_checked == 0


def test_chain_verifies_in_small_chunks(chain):
    assert verify_chain(chunk_size=1).intact


# --- tampering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("justification", "Routine check"),
        ("action", AuditAction.VIEW),
        ("actor_label", "someone.else@example.org"),
        ("fields", ["risk_level"]),
        ("detail", {"from": "low", "to": "low"}),
        ("ip_address", "192.0.2.1"),
        ("user_agent", "curl"),
        ("object_id", "0"),
        ("person_id", None),
        ("unit", None),
        ("occurred_at", datetime(2020, 1, 1, tzinfo=UTC)),
    ],
)
def test_editing_a_field_of_a_middle_row_is_detected_at_that_row(chain, column, value):
    with triggers_off():
        assert AuditEvent.objects.filter(seq=3).update(**{column: value}) == 1
    assert_broken(3, "was altered after it was written")


def test_deleting_a_middle_row_is_detected_at_the_gap(chain):
    with triggers_off():
        AuditEvent.objects.filter(seq=3).delete()
    assert_broken(3, "row 3 is missing")


def test_deleting_the_last_row_is_detected_only_against_a_recorded_head(chain):
    recorded = head(chain)
    with triggers_off():
        AuditEvent.objects.filter(seq=6).delete()

    # The shortened log is a valid chain on its own: that is what the recorded head is for.
    assert verify_chain().intact
    call_command("verify_audit")
    with pytest.raises(CommandError, match="does not contain the recorded head 6"):
        call_command("verify_audit", expect_head=recorded)


@pytest.mark.parametrize(("first", "second"), [(2, 4), (3, 4), (5, 6)])
def test_reordering_two_rows_is_detected_at_the_earlier_one(chain, first, second):
    with triggers_off():
        # seq is unique, so swap through a free number.
        AuditEvent.objects.filter(seq=first).update(seq=-1)
        AuditEvent.objects.filter(seq=second).update(seq=first)
        AuditEvent.objects.filter(seq=-1).update(seq=second)
    assert_broken(first, f"row {first} does not follow row {first - 1}")


def _row(seq: int) -> dict[str, object]:
    values = AuditEvent.objects.filter(seq=seq).values_list(*HASHED_FIELDS).get()
    return dict(zip(HASHED_FIELDS, values, strict=True))


def test_rehashing_an_edited_row_breaks_the_link_to_the_next_row(chain):
    forged = _row(3) | {"justification": "Routine check"}
    with triggers_off():
        AuditEvent.objects.filter(seq=3).update(justification="Routine check", hash=chain_hash(forged, signing_key()))
    assert_broken(4, "row 4 does not follow row 3")


def plain_sha256(row: dict[str, object]) -> str:
    """The chain hash as it was before the chain was keyed: what the reviewer's forger computed."""
    payload = {name: _canonical(row[name]) for name in HASHED_FIELDS}
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def rewrite_tail(chain, forge, *, start: int = 3, key_id: str | None = None) -> None:
    """Edit row `start`, then recompute its hash and every later row's with `forge`, as an
    attacker with write access to the table would (triggers off, links kept consistent)."""
    prev_hash = chain[start - 2].hash
    with triggers_off():
        for seq in range(start, chain[-1].seq + 1):
            row = _row(seq) | {"prev_hash": prev_hash}
            if seq == start:
                row["justification"] = "Routine check"
            if key_id is not None:
                row["key_id"] = key_id
            prev_hash = forge(row)
            AuditEvent.objects.filter(seq=seq).update(
                justification=row["justification"], key_id=row["key_id"], prev_hash=row["prev_hash"], hash=prev_hash
            )


def test_rewriting_the_rest_of_the_chain_with_the_stolen_key_is_caught_by_the_recorded_head(chain):
    """Also the control for the tests below: the same rewrite, keyed right, is a valid chain."""
    recorded = head(chain)
    rewrite_tail(chain, lambda row: chain_hash(row, signing_key()))

    assert AuditEvent.objects.get(seq=3).justification == "Routine check"
    assert verify_chain().intact
    with pytest.raises(CommandError, match="does not contain the recorded head"):
        call_command("verify_audit", expect_head=recorded)


@pytest.mark.parametrize(
    "forge",
    [plain_sha256, lambda row: chain_hash(row, hashlib.sha256(b"a guessed key").digest())],
    ids=["plain-sha256", "wrong-key"],
)
def test_rewriting_a_row_and_its_whole_tail_without_the_key_is_detected_at_that_row(chain, forge):
    rewrite_tail(chain, forge)
    # No recorded head needed: the edited row itself fails.
    assert_broken(3, "row 3 was altered after it was written")


def test_a_rewrite_under_a_key_id_of_the_attackers_own_is_reported_as_an_unknown_key(chain):
    attackers_key = hashlib.sha256(b"attacker").digest()
    rewrite_tail(chain, lambda row: chain_hash(row, attackers_key), key_id="attacker")
    assert_broken(3, "row 3 is signed with key 'attacker', which is not in MASIP_AUDIT_KEYS: restore it")


def test_relabelling_a_rows_key_id_is_detected(chain, settings):
    settings.MASIP_AUDIT_KEYS += "," + generate_key_spec("audit-other")
    with triggers_off():
        AuditEvent.objects.filter(seq=3).update(key_id="audit-other")
    assert_broken(3, "row 3 was altered after it was written")


def test_a_row_signed_with_a_key_missing_from_the_keyring_is_reported(chain, settings):
    key_id = chain[0].key_id
    settings.MASIP_AUDIT_KEYS = generate_key_spec("audit-new")
    assert_broken(1, f"row 1 is signed with key {key_id!r}, which is not in MASIP_AUDIT_KEYS: restore it")


def test_rows_signed_by_an_older_key_still_verify_after_a_new_key_is_put_first(
    settings, capsys, django_assert_num_queries
):
    old, new = generate_key_spec("audit-2025"), generate_key_spec("audit-2026")
    settings.MASIP_AUDIT_KEYS = old
    for n in range(2):
        audit_record(action=AuditAction.VIEW, object_type="cases.case", object_id=str(n))
    settings.MASIP_AUDIT_KEYS = f"{new},{old}"
    for n in range(3):
        audit_record(action=AuditAction.VIEW, object_type="cases.case", object_id=str(n))

    signers = list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True))
    assert signers == ["audit-2025"] * 2 + ["audit-2026"] * 3
    assert verify_chain().intact
    with django_assert_num_queries(1):
        assert signing_key_usage() == {"audit-2025": 2, "audit-2026": 3}
    call_command("verify_audit")
    assert "audit-2026 3 rows (signs new rows), audit-2025 2 rows" in capsys.readouterr().out

    settings.MASIP_AUDIT_KEYS = new  # the old key removed while rows it signed remain
    assert_broken(1, "row 1 is signed with key 'audit-2025', which is not in MASIP_AUDIT_KEYS")


def test_expect_head_must_look_like_a_head(chain):
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("verify_audit", expect_head="6")


# --- the database and the model refuse changes ------------------------------------------------


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: sql("UPDATE audit_auditevent SET justification = 'x' WHERE seq = 3"),
        lambda: sql("DELETE FROM audit_auditevent WHERE seq = 3"),
        lambda: sql("DELETE FROM audit_auditevent"),
        lambda: AuditEvent.objects.filter(seq=3).update(justification="x"),
        lambda: AuditEvent.objects.all().update(justification="x"),
        lambda: AuditEvent.objects.filter(seq=3).delete(),
        lambda: AuditEvent.objects.all().delete(),
    ],
    ids=[
        "sql-update",
        "sql-delete-one",
        "sql-delete-all",
        "orm-update",
        "orm-update-all",
        "orm-delete",
        "orm-delete-all",
    ],
)
def test_database_refuses_update_and_delete(chain, attempt):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        attempt()
    assert list(AuditEvent.objects.order_by("seq")) == chain
    assert verify_chain().intact


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_postgresql_refuses_truncate(chain):
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred foreign-key check
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 6


def test_model_refuses_save_of_an_existing_row_and_delete(chain):
    event = AuditEvent.objects.get(seq=3)
    event.justification = "Routine check"
    with pytest.raises(PermissionError, match="append-only"):
        event.save()
    with pytest.raises(PermissionError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get(seq=3).justification == "Risk raised after new incident"


# --- no code path updates or deletes audit rows -----------------------------------------------

_WRITES = {"update", "delete", "bulk_update", "update_or_create", "_raw_delete", "_update"}


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def audit_row_writes(source: str) -> list[int]:
    """Lines where a chain of calls starting at AuditEvent ends in an update or delete, or raw
    SQL updates or deletes the audit table."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _WRITES
            and _root_name(node.func.value) == "AuditEvent"
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = " ".join(node.value.lower().split())
            if "update audit_auditevent" in text or "delete from audit_auditevent" in text:
                lines.append(node.lineno)
    return lines


def test_the_static_check_finds_writes_to_audit_rows():
    sample = (
        "AuditEvent.objects.filter(seq=1).update(hash='x')\n"
        "AuditEvent.objects.all().delete()\n"
        "AuditEvent._default_manager.filter(\n    seq=2\n).bulk_update([], ['hash'])\n"
        "cursor.execute('DELETE  FROM audit_auditevent')\n"
        "AuditEvent.objects.filter(seq=1).first()\n"
        "Case.unscoped.filter(pk=1).update(status='closed')\n"
    )
    assert sorted(audit_row_writes(sample)) == [1, 2, 3, 6]


def test_no_code_in_src_updates_or_deletes_audit_rows():
    offenders = [
        f"{path.relative_to(SRC)}:{line}"
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts
        for line in audit_row_writes(path.read_text())
    ]
    assert offenders == []


# --- constant memory --------------------------------------------------------------------------


def write_valid_chain(rows: int, batch: int = 2000) -> None:
    """`rows` events with a correctly computed chain, written in batches (never all held at once)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    prev_hash = GENESIS_HASH
    key_id, key = audit_keyring().primary_id, signing_key()
    for first in range(1, rows + 1, batch):
        events = []
        for seq in range(first, min(first + batch, rows + 1)):
            event = AuditEvent(
                seq=seq,
                occurred_at=start + timedelta(seconds=seq),
                actor_label=f"user{seq % 97}@example.org",
                action=AuditAction.VIEW,
                object_type="cases.case",
                object_id=str(seq),
                case_id=uuid.UUID(int=seq),
                fields=["summary"],
                justification="",
                user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                ip_address="10.0.0.1",
                detail={"path": f"/cases/{seq}/"},
                key_id=key_id,
                prev_hash=prev_hash,
            )
            event.hash = prev_hash = chain_hash({**event.__dict__, "action": str(event.action)}, key)
            events.append(event)
        AuditEvent.objects.bulk_create(events)


def _traced_peak(work) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_verifying_twenty_thousand_rows_takes_constant_memory():
    rows, sample = 20_000, 2_000
    write_valid_chain(rows)

    report, verify_peak = _traced_peak(verify_chain)
    # What holding the whole log would take, scaled up from holding one tenth of it.
    _, sample_peak = _traced_peak(lambda: list(AuditEvent.objects.values_list(*HASHED_FIELDS, "hash")[:sample]))
    holding_estimate = sample_peak * rows // sample

    assert report.intact
    assert report.rows_checked == rows
    # Streaming holds one chunk (2,000 rows) at a time, never the 20,000.
    assert verify_peak < holding_estimate / 4, (verify_peak, holding_estimate)


def test_verify_audit_refuses_a_chunk_size_below_one():
    with pytest.raises(CommandError, match="not a whole number of 1 or more"):
        call_command("verify_audit", "--chunk-size", "0")

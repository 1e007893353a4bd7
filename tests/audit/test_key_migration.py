"""Migration audit/0003 keys a chain written before keying, and refuses to launder a broken one."""

from __future__ import annotations

import hashlib
import importlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from masip.audit.models import GENESIS_HASH, HASHED_FIELDS, AuditAction, AuditEvent, _canonical, audit_keyring
from masip.audit.verification import verify_chain
from tests.audit.tamper import triggers_off

pytestmark = pytest.mark.django_db

migration = importlib.import_module("masip.audit.migrations.0003_auditevent_key_id")
UNKEYED_FIELDS = tuple(name for name in HASHED_FIELDS if name != "key_id")


def unkeyed_hash(row: dict[str, object]) -> str:
    """The chain hash as masip computed it before the chain was keyed."""
    payload = {name: _canonical(row[name]) for name in UNKEYED_FIELDS}
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def write_unkeyed_chain(rows: int) -> None:
    start, prev_hash, events = datetime(2026, 1, 1, tzinfo=UTC), GENESIS_HASH, []
    for seq in range(1, rows + 1):
        event = AuditEvent(
            seq=seq,
            occurred_at=start + timedelta(minutes=seq),
            actor_label=f"officer{seq}@police.example",
            action=AuditAction.CHANGE if seq % 2 else AuditAction.VIEW,
            object_type="cases.case",
            object_id=str(uuid.UUID(int=seq)),
            case_id=uuid.UUID(int=seq),
            fields=["summary"],
            justification="Risk review — new incident" if seq == 2 else "",
            ip_address="10.0.0.1",
            detail={"path": f"/cases/{seq}/"},
            key_id="",
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = unkeyed_hash({**event.__dict__, "action": str(event.action)})
        events.append(event)
    AuditEvent.objects.bulk_create(events)


def test_an_intact_unkeyed_chain_is_re_signed_with_the_first_audit_key_and_verifies():
    write_unkeyed_chain(5)
    content_before = list(AuditEvent.objects.order_by("seq").values_list("seq", "justification", "detail"))
    assert not verify_chain().intact  # unkeyed rows are not accepted as they are

    with triggers_off():
        assert migration.resign_legacy_chain(AuditEvent, audit_keyring()) == 5

    report = verify_chain()
    assert report.intact
    assert report.rows_checked == 5
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {audit_keyring().primary_id}
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "justification", "detail")) == content_before


def test_the_re_signing_walks_the_log_in_batches(monkeypatch):
    monkeypatch.setattr(migration, "BATCH", 2)
    write_unkeyed_chain(5)
    with triggers_off():
        assert migration.resign_legacy_chain(AuditEvent, audit_keyring()) == 5
    assert verify_chain().intact


@pytest.mark.parametrize(
    "tamper",
    [
        lambda: AuditEvent.objects.filter(seq=3).update(justification="Routine check"),
        lambda: AuditEvent.objects.filter(seq=3).delete(),
    ],
    ids=["edited", "deleted"],
)
def test_a_broken_unkeyed_chain_is_not_re_signed(tamper):
    write_unkeyed_chain(5)
    with triggers_off():
        tamper()
        before = list(AuditEvent.objects.order_by("seq").values_list("key_id", "hash"))
        with pytest.raises(migration.LegacyChainBroken, match="already broken at row 3"):
            migration.resign_legacy_chain(AuditEvent, audit_keyring())
    # The first batch is checked whole before anything in it is written.
    assert list(AuditEvent.objects.order_by("seq").values_list("key_id", "hash")) == before

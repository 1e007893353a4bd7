"""Evidence services: encryption at rest, hashes, custody with audit rows, integrity, refusals."""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from masip.access.policy import Compartment
from masip.audit.models import AuditAction, AuditEvent
from masip.evidence import services, storage
from masip.evidence.models import CustodyEntry, CustodyEvent, EvidenceItem
from masip.evidence.sniff import FileRefused
from tests.evidence.conftest import EXE, PNG, CaseWithTeam

pytestmark = pytest.mark.django_db


def _blob(folder: Path, item: EvidenceItem) -> Path:
    return folder / item.blob_id


def test_the_stored_file_is_encrypted_and_named_by_a_random_id(world: CaseWithTeam, evidence_dir: Path):
    item = world.upload(PNG, file_name="Jane Smith messages.png")
    stored = _blob(evidence_dir, item).read_bytes()
    assert stored != PNG
    assert PNG[16:80] not in stored
    assert stored.startswith(storage.MAGIC + bytes([len(item.key_id)]) + item.key_id.encode())
    assert [p.name for p in evidence_dir.iterdir()] == [item.blob_id]
    assert "Jane" not in item.blob_id
    assert b"".join(storage.blob_chunks(item.blob_id)) == PNG


def test_large_files_are_kept_in_chunks_that_decrypt_to_the_original(world: CaseWithTeam, evidence_dir: Path):
    data = PNG + bytes(range(256)) * (storage.CHUNK_BYTES // 128)
    item = world.upload(data)
    assert b"".join(storage.blob_chunks(item.blob_id)) == data
    assert item.sha256 == hashlib.sha256(data).hexdigest()


def test_upload_records_hash_reference_and_custody_with_its_audit_row(world: CaseWithTeam):
    first = world.upload(PNG)
    second = world.upload(PNG)
    assert first.sha256 == hashlib.sha256(PNG).hexdigest()
    assert first.size == len(PNG)
    assert first.content_type == "image/png"
    assert first.exhibit_ref == f"{world.case.reference}/EX/001"
    assert second.exhibit_ref == f"{world.case.reference}/EX/002"
    entry = CustodyEntry.unscoped.get(item=first)
    assert entry.event == CustodyEvent.UPLOADED
    assert entry.actor == world.investigator
    audit = entry.audit_event
    assert (audit.action, audit.actor, audit.object_id, audit.case_id) == (
        AuditAction.CREATE,
        world.investigator,
        str(first.pk),
        world.case.pk,
    )
    assert audit.detail["sha256"] == first.sha256


def test_an_officers_own_exhibit_number_is_kept_and_must_be_unique(world: CaseWithTeam):
    item = world.upload(exhibit_ref="JS/1")
    assert item.exhibit_ref == "JS/1"
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="already on this case"):
        world.upload(exhibit_ref="JS/1")
    assert EvidenceItem.unscoped.count() == 1
    assert AuditEvent.objects.count() == before


def _nothing_written(folder: Path, audit_before: int) -> None:
    assert EvidenceItem.unscoped.count() == 0
    assert CustodyEntry.unscoped.count() == 0
    assert AuditEvent.objects.count() == audit_before
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize(
    ("data", "name", "error"),
    [
        (b"", "empty.png", FileRefused),
        (EXE, "photo.jpg", FileRefused),
        (b"<html><script>x</script></html>", "messages.txt", FileRefused),
        (PNG, "tool.exe", FileRefused),
    ],
    ids=["zero-byte", "mislabelled", "html", "program-name"],
)
def test_refused_files_leave_nothing(world: CaseWithTeam, evidence_dir: Path, data: bytes, name: str, error: Any):
    before = AuditEvent.objects.count()
    with pytest.raises(error):
        world.upload(data, file_name=name)
    _nothing_written(evidence_dir, before)


def test_an_oversized_file_is_refused(world: CaseWithTeam, evidence_dir: Path, settings: Any):
    settings.MASIP_EVIDENCE_MAX_BYTES = len(PNG) - 1
    before = AuditEvent.objects.count()
    with pytest.raises(FileRefused, match="larger than"):
        world.upload(PNG)
    _nothing_written(evidence_dir, before)


def test_a_compartment_the_uploader_cannot_write_is_refused(world: CaseWithTeam, evidence_dir: Path):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied, match="Clinical"):
        world.upload(actor=world.advocate, compartment=Compartment.HEALTH)
    _nothing_written(evidence_dir, before)


def test_a_failed_database_write_leaves_no_blob(world: CaseWithTeam, evidence_dir: Path):
    before = AuditEvent.objects.count()
    with (
        mock.patch("masip.evidence.services.audit_record", side_effect=RuntimeError("database went away")),
        pytest.raises(RuntimeError),
    ):
        world.upload()
    _nothing_written(evidence_dir, before)


def test_view_download_and_hand_over_are_custody_entries_with_audit_rows(world: CaseWithTeam):
    item = world.upload(compartment=Compartment.POLICE)
    services.evidence_view_record(actor=world.investigator, item=item)
    download = services.evidence_download(actor=world.investigator, item=item)
    assert b"".join(download.chunks) == PNG
    services.evidence_hand_over(
        actor=world.investigator, item=item, recipient="CPS, J Smith (reviewing lawyer)", reason="Charging decision"
    )
    entries = list(CustodyEntry.unscoped.filter(item=item).order_by("occurred_at", "created_at"))
    assert [(e.event, e.audit_event.action) for e in entries] == [
        (CustodyEvent.UPLOADED, AuditAction.CREATE),
        (CustodyEvent.VIEWED, AuditAction.VIEW),
        (CustodyEvent.DOWNLOADED, AuditAction.EXPORT),
        (CustodyEvent.HANDED_OVER, AuditAction.DISCLOSE),
    ]
    assert all(e.actor == world.investigator and e.audit_event.object_id == str(item.pk) for e in entries)
    hand_over = entries[-1]
    assert hand_over.recipient == "CPS, J Smith (reviewing lawyer)"
    assert hand_over.audit_event.justification == "Charging decision"


def test_hand_over_needs_disclose_in_the_compartment_and_a_reason(world: CaseWithTeam):
    item = world.upload(compartment=Compartment.TEAM)
    with pytest.raises(PermissionDenied):
        services.evidence_hand_over(actor=world.advocate, item=item, recipient="CPS", reason="For the file review")
    with pytest.raises(ValidationError):
        services.evidence_hand_over(actor=world.manager, item=item, recipient="CPS", reason="x")
    assert CustodyEntry.unscoped.filter(event=CustodyEvent.HANDED_OVER).count() == 0


def test_roles_without_the_compartment_cannot_download(world: CaseWithTeam):
    item = world.upload(compartment=Compartment.POLICE)
    with pytest.raises(PermissionDenied):
        services.evidence_download(actor=world.clinician, item=item)


def _tamper(path: Path) -> None:
    stored = bytearray(path.read_bytes())
    stored[-20] ^= 0x01
    path.write_bytes(bytes(stored))


def test_a_tampered_blob_is_refused_on_download_and_logged(world: CaseWithTeam, evidence_dir: Path):
    item = world.upload()
    _tamper(_blob(evidence_dir, item))
    with pytest.raises(services.IntegrityFailure, match="failed its integrity check"):
        services.evidence_download(actor=world.investigator, item=item)
    entry = CustodyEntry.unscoped.filter(item=item).order_by("-occurred_at", "-created_at").first()
    assert entry is not None
    assert entry.event == CustodyEvent.INTEGRITY_FAILED
    assert entry.audit_event.action == AuditAction.DENIED
    assert not CustodyEntry.unscoped.filter(event=CustodyEvent.DOWNLOADED).exists()


def test_a_hash_mismatch_is_reported(world: CaseWithTeam):
    # A file re-encrypted with the right key but different bytes (someone holding the key).
    item = world.upload()
    storage.blob_delete(item.blob_id)
    storage.blob_write(item.blob_id, PNG[:-1] + b"\x00")
    with pytest.raises(services.IntegrityFailure, match="no longer matches the SHA-256"):
        services.evidence_download(actor=world.investigator, item=item)


def test_verify_evidence_reports_mismatches_and_fails(world: CaseWithTeam, evidence_dir: Path):
    good = world.upload()
    bad = world.upload()
    out = StringIO()
    call_command("verify_evidence", stdout=out)
    assert "All 2 evidence files" in out.getvalue()
    _tamper(_blob(evidence_dir, bad))
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("verify_evidence", stdout=StringIO(), stderr=err)
    assert bad.exhibit_ref in err.getvalue()
    assert good.exhibit_ref not in err.getvalue()


def test_verify_evidence_reports_a_missing_file(world: CaseWithTeam, evidence_dir: Path):
    item = world.upload()
    _blob(evidence_dir, item).unlink()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_evidence", stdout=StringIO(), stderr=err)
    assert "missing" in err.getvalue()

"""Evidence pages: upload, the hash shown, downloads, hand-over, refusals and the same 404."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from masip.access.policy import Compartment
from masip.audit.models import AuditAction, AuditEvent
from masip.evidence.models import CustodyEntry, CustodyEvent, EvidenceItem
from tests.conftest import verified_client
from tests.evidence.conftest import EXE, PNG, CaseWithTeam
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def _form(data: bytes, name: str, **overrides: Any) -> dict[str, Any]:
    form = {
        "file": SimpleUploadedFile(name, data, content_type="image/png"),
        "kind": "screenshot",
        "description": "Messages received overnight",
        "captured_by": "PC 1234 Jones",
        "captured_from": "The victim's phone",
        "captured_on": "01/03/2026",
        "captured_time": "14:30",
        "exhibit_ref": "",
        "compartment": "team",
    }
    form.update(overrides)
    return form


def _upload_url(world: CaseWithTeam) -> str:
    return reverse("evidence:upload", kwargs={"case_id": world.case.pk})


def test_upload_shows_the_sha256_of_the_file(world: CaseWithTeam):
    client = verified_client(world.advocate)
    response = client.post(_upload_url(world), _form(PNG, "screenshot.png"), follow=True)
    assert response.status_code == 200
    digest = hashlib.sha256(PNG).hexdigest()
    page = response.content.decode()
    assert f'<code id="sha256">{digest}</code>' in page
    assert f"{world.case.reference}/EX/001" in page
    item = EvidenceItem.unscoped.get()
    assert item.sha256 == digest
    assert item.captured_at.isoformat().startswith("2026-03-01T14:30")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.png", "The file is empty"),
        (EXE, "photo.jpg", "named like a JPEG image"),
        (b"<svg onload=alert(1)></svg>", "image.png", "SVG"),
        (PNG, "setup.exe", "not accepted"),
    ],
    ids=["zero-byte", "mislabelled", "svg", "program-name"],
)
def test_refused_uploads_say_why_and_save_nothing(world: CaseWithTeam, data: bytes, name: str, message: str):
    client = verified_client(world.advocate)
    response = client.post(_upload_url(world), _form(data, name))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    assert not EvidenceItem.unscoped.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(world: CaseWithTeam, settings: Any, evidence_dir: Path):
    settings.MASIP_EVIDENCE_MAX_BYTES = 1024
    client = verified_client(world.advocate)
    response = client.post(_upload_url(world), _form(PNG + b"\x00" * 200_000, "big.png"))
    assert response.status_code == 413
    assert "larger than 1 KB" in response.content.decode()
    assert not EvidenceItem.unscoped.exists()
    assert not evidence_dir.exists()


def test_an_oversized_upload_without_a_declared_size_is_stopped_while_reading(world: CaseWithTeam, settings: Any):
    settings.MASIP_EVIDENCE_MAX_BYTES = 200_000
    client = verified_client(world.advocate)
    # Declared size within the form overhead, file past the limit: the handler stops it.
    response = client.post(_upload_url(world), _form(PNG + b"\x00" * 210_000, "big.png"))
    assert response.status_code == 413
    assert not EvidenceItem.unscoped.exists()


def test_a_forged_compartment_is_refused(world: CaseWithTeam):
    client = verified_client(world.advocate)
    response = client.post(_upload_url(world), _form(PNG, "x.png", compartment="health"))
    assert response.status_code == 403
    assert not EvidenceItem.unscoped.exists()


def test_download_is_an_attachment_of_the_detected_type_and_is_logged(world: CaseWithTeam):
    item = world.upload(PNG, file_name="../victim\r\nphone.jpg")
    client = verified_client(world.advocate)
    response = client.get(reverse("evidence:download", kwargs={"case_id": world.case.pk, "evidence_id": item.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"victimphone.jpg.png\"; filename*=UTF-8''victimphone.jpg.png"
    )
    entry = CustodyEntry.unscoped.filter(item=item, event=CustodyEvent.DOWNLOADED).get()
    assert entry.actor == world.advocate
    assert entry.audit_event.action == AuditAction.EXPORT


def test_a_tampered_file_is_not_sent(world: CaseWithTeam, evidence_dir: Path):
    item = world.upload()
    blob = evidence_dir / item.blob_id
    blob.write_bytes(blob.read_bytes()[:-1] + b"\x00")
    client = verified_client(world.investigator)
    response = client.get(reverse("evidence:download", kwargs={"case_id": world.case.pk, "evidence_id": item.pk}))
    assert response.status_code == 409
    assert "failed its integrity check" in response.content.decode()
    assert "Content-Disposition" not in response
    assert CustodyEntry.unscoped.filter(item=item, event=CustodyEvent.INTEGRITY_FAILED).exists()


def test_the_item_page_shows_the_custody_log_and_records_the_view(world: CaseWithTeam):
    item = world.upload()
    client = verified_client(world.advocate)
    response = client.get(reverse("evidence:detail", kwargs={"case_id": world.case.pk, "evidence_id": item.pk}))
    page = response.content.decode()
    assert "Chain of custody" in page
    assert "Uploaded" in page
    assert CustodyEntry.unscoped.filter(item=item, event=CustodyEvent.VIEWED, actor=world.advocate).exists()


def test_hand_over_is_recorded_with_recipient_and_reason(world: CaseWithTeam):
    item = world.upload(compartment=Compartment.POLICE)
    client = verified_client(world.investigator)
    url = reverse("evidence:hand_over", kwargs={"case_id": world.case.pk, "evidence_id": item.pk})
    response = client.post(url, {"recipient": "CPS, J Smith", "reason": "File for charging decision"}, follow=True)
    assert "Hand-over of exhibit" in response.content.decode()
    entry = CustodyEntry.unscoped.get(item=item, event=CustodyEvent.HANDED_OVER)
    assert entry.recipient == "CPS, J Smith"
    assert entry.audit_event.action == AuditAction.DISCLOSE
    assert "To CPS, J Smith." in response.content.decode()


def test_the_officer_hands_a_team_exhibit_to_the_cps(world: CaseWithTeam):
    """The victim's screenshots, uploaded by the advocate for the whole team, go to the CPS
    through the officer in the case."""
    item = world.upload(compartment=Compartment.TEAM)
    client = verified_client(world.investigator)
    url = reverse("evidence:hand_over", kwargs={"case_id": world.case.pk, "evidence_id": item.pk})
    client.post(url, {"recipient": "CPS, J Smith", "reason": "File for charging decision"}, follow=True)
    entry = CustodyEntry.unscoped.get(item=item, event=CustodyEvent.HANDED_OVER)
    assert entry.actor == world.investigator
    assert entry.audit_event.action == AuditAction.DISCLOSE


def test_hand_over_without_disclose_is_refused_with_a_message(world: CaseWithTeam):
    item = world.upload(compartment=Compartment.TEAM)
    client = verified_client(world.advocate)
    url = reverse("evidence:hand_over", kwargs={"case_id": world.case.pk, "evidence_id": item.pk})
    response = client.post(url, {"recipient": "CPS", "reason": "File for charging decision"}, follow=True)
    assert "does not allow handing over" in response.content.decode()
    assert not CustodyEntry.unscoped.filter(event=CustodyEvent.HANDED_OVER).exists()


@pytest.mark.parametrize("route", ["evidence:detail", "evidence:download", "evidence:hand_over"])
def test_roles_without_the_compartment_get_the_audited_404(world: CaseWithTeam, route: str):
    item = world.upload(compartment=Compartment.POLICE)
    client = verified_client(world.clinician)
    url = reverse(route, kwargs={"case_id": world.case.pk, "evidence_id": item.pk})
    response = client.post(url, {}) if route.endswith("hand_over") else client.get(url)
    assert response.status_code == 404
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=world.clinician).first()
    assert denied is not None
    assert denied.object_id == str(item.pk)
    list_page = client.get(reverse("evidence:list", kwargs={"case_id": world.case.pk})).content.decode()
    assert item.exhibit_ref not in list_page
    assert not CustodyEntry.unscoped.filter(actor=world.clinician).exists()


def test_an_exhibit_of_another_case_or_unit_is_the_same_404(world: CaseWithTeam):
    elsewhere = CaseWithTeam()
    theirs = elsewhere.upload()
    same_unit_case = CaseFactory(unit=world.unit)
    client = verified_client(world.investigator)
    other_unit = client.get(reverse("evidence:detail", kwargs={"case_id": world.case.pk, "evidence_id": theirs.pk}))
    assert other_unit.status_code == 404
    mine = world.upload()
    wrong_case = verified_client(world.manager).get(
        reverse("evidence:detail", kwargs={"case_id": same_unit_case.pk, "evidence_id": mine.pk})
    )
    assert wrong_case.status_code == 404
    malformed = client.get(reverse("evidence:detail", kwargs={"case_id": world.case.pk, "evidence_id": "nope"}))
    assert malformed.status_code == 404
    # Only the per-response nonce differs between the two pages.
    assert len(other_unit.content) == len(malformed.content)
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_id=str(theirs.pk)).exists()


def test_the_case_page_has_an_evidence_section(world: CaseWithTeam):
    team_item = world.upload(compartment=Compartment.TEAM)
    police_item = world.upload(compartment=Compartment.POLICE, exhibit_ref="PC/7")
    client = verified_client(world.advocate)
    page = client.get(reverse("cases:detail", kwargs={"case_id": world.case.pk})).content.decode()
    assert 'id="evidence"' in page
    assert team_item.exhibit_ref in page
    assert team_item.sha256 in page
    assert police_item.exhibit_ref not in page
    assert reverse("evidence:upload", kwargs={"case_id": world.case.pk}) in page


def test_the_list_page_shows_hash_and_capture_details(world: CaseWithTeam):
    item = world.upload()
    client = verified_client(world.advocate)
    page = client.get(reverse("evidence:list", kwargs={"case_id": world.case.pk})).content.decode()
    for text in (item.exhibit_ref, item.sha256, "PC 1234 Jones", "The victim&#x27;s phone", "PNG image"):
        assert text in page
    listed = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="evidence.evidenceitem").first()
    assert listed is not None
    assert listed.detail["listed"] == [str(item.pk)]

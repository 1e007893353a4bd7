"""Evidence export: one ZIP of chosen exhibits with a checked manifest, recorded in custody and audit."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.urls import reverse

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.evidence import bundle, services, storage
from masip.evidence.models import CustodyEntry, CustodyEvent, EvidenceItem
from tests.conftest import verified_client
from tests.evidence.conftest import JPEG, PNG, CaseWithTeam
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

LARGE = JPEG + bytes(range(256)) * (storage.CHUNK_BYTES // 100)
PURPOSE = "File for a charging decision"


def _url(world: CaseWithTeam) -> str:
    return reverse("evidence:export", kwargs={"case_id": world.case.pk})


def _post(client: Any, world: CaseWithTeam, items: list[Any], **overrides: Any) -> Any:
    data = {"exhibits": [str(getattr(item, "pk", item)) for item in items], "recipient": "CPS, J Smith"}
    data["purpose"] = PURPOSE
    data.update(overrides)
    return client.post(_url(world), data)


def _zip(response: Any) -> tuple[bytes, zipfile.ZipFile]:
    data = b"".join(response.streaming_content)
    return data, zipfile.ZipFile(io.BytesIO(data))


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _nothing_exported() -> None:
    assert not CustodyEntry.unscoped.filter(event=CustodyEvent.EXPORTED).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_zip_holds_each_exhibit_and_a_manifest_whose_hashes_match(world: CaseWithTeam):
    photo = world.upload(PNG, file_name="Messages 1.png", description='=HYPERLINK("http://x")')
    video = world.upload(LARGE, file_name="../doorbell.jpg", compartment=Compartment.POLICE, exhibit_ref="JS/2")
    client = verified_client(world.investigator)

    response = _post(client, world, [photo, video])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    data, archive = _zip(response)
    assert response["X-Bundle-SHA256"] == hashlib.sha256(data).hexdigest()
    assert response["Content-Length"] == str(len(data))
    photo_name = f"{world.case.reference.replace('/', '-')}-EX-001 Messages 1.png"
    assert archive.namelist() == [photo_name, "JS-2 doorbell.jpg", "manifest.csv", "custody-log.csv", "manifest.json"]
    assert archive.read(photo_name) == PNG
    assert archive.read("JS-2 doorbell.jpg") == LARGE

    rows = {row["exhibit_ref"]: row for row in _rows(archive, "manifest.csv")}
    for item, original in ((photo, PNG), (video, LARGE)):
        row = rows[item.exhibit_ref]
        assert row["sha256_at_upload"] == row["sha256_exported"] == hashlib.sha256(original).hexdigest()
        assert row["size_bytes"] == str(len(original))
        assert row["captured_by"] == "PC 1234 Jones"
    assert rows["JS/2"]["original_file_name"] == "doorbell.jpg"
    assert rows["JS/2"]["detected_type"] == "JPEG image (image/jpeg)"
    # A formula typed into a description is shown as text by a spreadsheet, never run.
    assert rows[photo.exhibit_ref]["description"] == '\'=HYPERLINK("http://x")'
    custody = _rows(archive, "custody-log.csv")
    assert [(row["exhibit_ref"], row["event"]) for row in custody] == [
        (photo.exhibit_ref, "Uploaded"),
        ("JS/2", "Uploaded"),
    ]
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["recipient"], manifest["purpose"]) == ("CPS, J Smith", PURPOSE)
    assert manifest["exhibits"][0]["description"] == '=HYPERLINK("http://x")'
    assert manifest["exhibits"][1]["sha256_exported"] == hashlib.sha256(LARGE).hexdigest()
    assert manifest["exhibits"][1]["custody"][0]["by"] == str(world.investigator)


def test_the_export_is_one_audit_row_and_a_custody_entry_per_exhibit(world: CaseWithTeam):
    photo = world.upload(PNG)
    other = world.upload(JPEG, file_name="b.jpg", compartment=Compartment.POLICE)
    left_out = world.upload(PNG)
    response = _post(verified_client(world.investigator), world, [photo, other])
    data, _ = _zip(response)
    digest = hashlib.sha256(data).hexdigest()

    (audit,) = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    assert audit.actor == world.investigator
    assert audit.case_id == world.case.pk
    assert audit.justification == PURPOSE
    assert audit.detail["bundle_sha256"] == digest
    assert audit.detail["exhibits"] == [photo.exhibit_ref, other.exhibit_ref]
    entries = CustodyEntry.unscoped.filter(event=CustodyEvent.EXPORTED)
    assert {entry.item_id for entry in entries} == {photo.pk, other.pk}
    for entry in entries:
        assert (entry.actor, entry.recipient, entry.reason) == (world.investigator, "CPS, J Smith", PURPOSE)
        assert entry.bundle_sha256 == digest
        assert entry.audit_event == audit
    assert not CustodyEntry.unscoped.filter(item=left_out, event=CustodyEvent.EXPORTED).exists()

    # The sender finds the ZIP's SHA-256 on the export page and in each exhibit's custody log.
    page = verified_client(world.investigator).get(_url(world)).content.decode()
    assert digest in page
    assert "CPS, J Smith" in page
    detail = verified_client(world.investigator).get(
        reverse("evidence:detail", kwargs={"case_id": world.case.pk, "evidence_id": photo.pk})
    )
    assert digest in detail.content.decode()


def test_the_page_offers_only_exhibits_the_user_may_export(world: CaseWithTeam):
    team = world.upload(PNG)
    police = world.upload(PNG, compartment=Compartment.POLICE)
    advocacy = world.upload(PNG, actor=world.advocate, compartment=Compartment.ADVOCACY)

    investigator = verified_client(world.investigator).get(_url(world)).content.decode()
    assert str(team.pk) in investigator
    assert str(police.pk) in investigator
    assert str(advocacy.pk) not in investigator
    advocate = verified_client(world.advocate).get(_url(world)).content.decode()
    # An advocate sees the case team's exhibit but may not export it.
    assert str(advocacy.pk) in advocate
    assert str(team.pk) not in advocate
    list_page = verified_client(world.investigator).get(reverse("evidence:list", kwargs={"case_id": world.case.pk}))
    assert _url(world) in list_page.content.decode()


def test_a_role_that_may_export_nothing_is_told_so(world: CaseWithTeam):
    world.upload(PNG)
    support = world.on_team(Role.SUPPORT_OFFICER)
    page = verified_client(support).get(_url(world)).content.decode()
    assert "Your role does not allow exporting any of the evidence" in page
    list_page = verified_client(support).get(reverse("evidence:list", kwargs={"case_id": world.case.pk}))
    assert _url(world) not in list_page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exhibits": []}, "Choose at least one exhibit to export."),
        ({"recipient": " "}, "Enter who the evidence is for"),
        ({"purpose": ""}, "Enter why the evidence is being exported"),
    ],
    ids=["no-exhibit", "no-recipient", "no-purpose"],
)
def test_missing_details_are_refused_and_nothing_is_recorded(world: CaseWithTeam, overrides, message):
    item = world.upload()
    client = verified_client(world.investigator)
    before = AuditEvent.objects.filter(action__in=[AuditAction.EXPORT, AuditAction.DENIED]).count()
    response = _post(client, world, [item], **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()
    _nothing_exported()
    assert AuditEvent.objects.filter(action__in=[AuditAction.EXPORT, AuditAction.DENIED]).count() == before


def test_another_cases_or_units_exhibit_is_refused_and_nothing_is_recorded(world: CaseWithTeam):
    mine = world.upload()
    elsewhere = CaseWithTeam().upload()
    client = verified_client(world.investigator)
    for forged in (elsewhere.pk, "not-an-id"):
        response = _post(client, world, [mine, forged])
        assert response.status_code == 200
        assert services.EXPORT_NOT_LISTED in response.content.decode()
    # A unit manager sees every case of the unit, but exports from one case at a time.
    other_case = world.upload(PNG)
    EvidenceItem.unscoped.filter(pk=other_case.pk).update(case=CaseFactory(unit=world.unit))
    response = _post(verified_client(world.manager), world, [mine, other_case])
    assert services.EXPORT_NOT_LISTED in response.content.decode()
    _nothing_exported()


def test_a_compartment_the_user_may_see_but_not_export_is_refused(world: CaseWithTeam):
    team = world.upload(PNG)
    advocacy = world.upload(PNG, actor=world.advocate, compartment=Compartment.ADVOCACY)
    client = verified_client(world.advocate)
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = _post(client, world, [advocacy, team])
    assert response.status_code == 403
    page = response.content.decode()
    assert "does not allow exporting evidence in the “Case team” compartment" in page
    assert team.exhibit_ref in page
    _nothing_exported()
    # What the refusal page shows is audited as read; nothing else is recorded.
    assert set(AuditEvent.objects.filter(seq__gt=before).values_list("action", flat=True)) == {AuditAction.VIEW}


def test_a_compartment_the_user_cannot_see_is_the_same_refusal_as_a_missing_exhibit(world: CaseWithTeam):
    police = world.upload(PNG, compartment=Compartment.POLICE)
    team = world.upload(PNG)
    response = _post(verified_client(world.clinician), world, [team, police])
    assert services.EXPORT_NOT_LISTED in response.content.decode()
    assert police.exhibit_ref not in response.content.decode()
    _nothing_exported()


def test_a_tampered_exhibit_stops_the_whole_export(world: CaseWithTeam, evidence_dir: Path):
    good = world.upload(PNG)
    bad = world.upload(LARGE, file_name="b.jpg")
    blob = evidence_dir / bad.blob_id
    stored = bytearray(blob.read_bytes())
    stored[100] ^= 0x01
    blob.write_bytes(bytes(stored))

    response = _post(verified_client(world.investigator), world, [good, bad])

    assert response.status_code == 409
    assert "Content-Disposition" not in response
    page = response.content.decode()
    assert f"Exhibit {bad.exhibit_ref} failed its integrity check" in page
    assert "Nothing has been exported" in page
    assert "Tell your unit manager at once" in page
    _nothing_exported()
    failed = CustodyEntry.unscoped.get(event=CustodyEvent.INTEGRITY_FAILED)
    assert failed.item == bad


def test_a_hash_mismatch_under_the_right_key_stops_the_export(world: CaseWithTeam):
    item = world.upload(PNG)
    storage.blob_delete(item.blob_id)
    storage.blob_write(item.blob_id, PNG[:-1] + b"\x00")
    with pytest.raises(services.IntegrityFailure, match="no longer matches the SHA-256"):
        services.evidence_export(
            actor=world.investigator, case=world.case, evidence_ids=[item.pk], recipient="CPS", purpose=PURPOSE
        )
    _nothing_exported()


def test_a_failure_while_recording_leaves_no_custody_entry(world: CaseWithTeam):
    first, second = world.upload(PNG), world.upload(PNG)
    real_create = CustodyEntry.unscoped.create
    calls = []

    def fail_on_second(**kwargs: Any) -> CustodyEntry:
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_create(**kwargs)

    with (
        mock.patch.object(CustodyEntry.unscoped, "create", side_effect=fail_on_second),
        pytest.raises(RuntimeError),
    ):
        services.evidence_export(
            actor=world.investigator,
            case=world.case,
            evidence_ids=[first.pk, second.pk],
            recipient="CPS",
            purpose=PURPOSE,
        )
    assert len(calls) == 2
    _nothing_exported()


def test_the_spool_keeps_no_plaintext_on_disk_and_reads_back_whole():
    spool = bundle.SealedSpool()
    for _ in range(3):
        spool.write(LARGE)
    digest = spool.finish()
    spool._file.seek(0)
    on_disk = spool._file.read()
    assert LARGE[:4096] not in on_disk
    assert digest == hashlib.sha256(LARGE * 3).hexdigest()
    assert b"".join(spool.chunks()) == LARGE * 3
    assert spool._file.closed

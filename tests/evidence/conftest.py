"""Evidence tests keep their encrypted files in a folder of their own."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.evidence.models import EvidenceItem
from masip.evidence.services import evidence_upload
from tests.factories import CaseFactory, TeamMemberFactory, member

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 500
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500


def office_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = office_zip(
    {
        "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.openxmlformats-officedocument'
        b'.wordprocessingml.document.main+xml"/></Types>',
        "word/document.xml": b"<w:document/>",
    }
)


@pytest.fixture(autouse=True)
def evidence_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    settings.MASIP_EVIDENCE_DIR = folder
    return folder


class CaseWithTeam:
    """A case with an investigator, a clinician and an advocate on its team, in one unit."""

    def __init__(self) -> None:
        self.case = CaseFactory()
        self.unit = self.case.unit
        self.investigator = self.on_team(Role.POLICE_INVESTIGATOR)
        self.clinician = self.on_team(Role.CLINICIAN)
        self.advocate = self.on_team(Role.STALKING_ADVOCATE)
        self.manager = member(Role.UNIT_MANAGER, unit=self.unit)

    def on_team(self, role: Role) -> Any:
        user = member(role, unit=self.unit)
        TeamMemberFactory(case=self.case, user=user)
        return user

    def upload(
        self, data: bytes = PNG, *, actor: Any = None, compartment: str = Compartment.TEAM, **kwargs: Any
    ) -> EvidenceItem:
        details: dict[str, Any] = {
            "file_name": "screenshot.png",
            "kind": "screenshot",
            "description": "Screenshot of 14 messages received overnight.",
            "captured_by": "PC 1234 Jones",
            "captured_from": "The victim's phone",
            "captured_at": timezone.now() - timedelta(days=1),
        }
        details.update(kwargs)
        return evidence_upload(
            actor=actor or self.investigator, case=self.case, data=data, compartment=compartment, **details
        )


@pytest.fixture
def world(db: Any) -> CaseWithTeam:
    return CaseWithTeam()

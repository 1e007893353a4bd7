"""A panel to test with: one unit, its people from several agencies, two cases and a meeting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from masip.access.models import CaseRole
from masip.accounts.models import AgencyKind, Role
from masip.panel.models import Attendance, Meeting, MeetingMember, MeetingStatus
from tests.factories import AgencyFactory, CaseFactory, TeamMemberFactory, UnitFactory, member


@dataclass
class Panel:
    unit: Any
    police: Any
    nhs: Any
    advocacy: Any
    probation: Any
    chair: Any  # unit manager, police agency
    officer: Any  # police investigator, on the case team
    clinician: Any  # clinician (NHS), on the case team
    advocate: Any  # stalking advocate (advocacy charity), on the case team
    partner: Any  # probation officer with the partner-referrer role: on no case team
    case: Any  # the team above works it
    other_case: Any  # a case of the unit nobody above but the chair works
    meeting: Any  # scheduled for tomorrow at 10:00, everyone above invited

    def member_of(self, user: Any) -> MeetingMember:
        return self.meeting.members.get(user=user)

    def attend_all(self) -> None:
        """Everyone invited attends; the chair opens the meeting (no service: a fixture)."""
        self.meeting.members.update(attendance=Attendance.ATTENDED)
        Meeting.objects.filter(pk=self.meeting.pk).update(status=MeetingStatus.IN_PROGRESS, opened_at=timezone.now())
        self.meeting.refresh_from_db()


def make_panel(**meeting_kwargs: Any) -> Panel:
    unit = UnitFactory()
    police = AgencyFactory(kind=AgencyKind.POLICE)
    nhs = AgencyFactory(kind=AgencyKind.NHS)
    advocacy = AgencyFactory(kind=AgencyKind.ADVOCACY)
    probation = AgencyFactory(kind=AgencyKind.PROBATION)
    chair = member(Role.UNIT_MANAGER, unit=unit, agency=police, full_name="Chris Chair")
    officer = member(Role.POLICE_INVESTIGATOR, unit=unit, agency=police, full_name="Olive Officer")
    clinician = member(Role.CLINICIAN, unit=unit, agency=nhs, full_name="Cleo Clinician")
    advocate = member(Role.STALKING_ADVOCATE, unit=unit, agency=advocacy, full_name="Ada Advocate")
    partner = member(Role.PARTNER_REFERRER, unit=unit, agency=probation, full_name="Pat Probation")
    case = CaseFactory(unit=unit)
    for user, role in (
        (officer, CaseRole.INVESTIGATOR),
        (clinician, CaseRole.CLINICIAN),
        (advocate, CaseRole.ADVOCATE),
    ):
        TeamMemberFactory(case=case, user=user, role_on_case=role)
    other_case = CaseFactory(unit=unit)
    tomorrow = timezone.localdate() + timedelta(days=1)
    starts = timezone.make_aware(timezone.datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, 0))
    defaults = {"starts_at": starts, "ends_at": starts + timedelta(hours=2), "location": "Room 4, Northshire HQ"}
    meeting = Meeting.objects.create(unit=unit, chair=chair, created_by=chair, **{**defaults, **meeting_kwargs})
    for user in (chair, officer, clinician, advocate, partner):
        MeetingMember.objects.create(meeting=meeting, user=user, name=user.full_name, agency=user.agency)
    return Panel(
        unit, police, nhs, advocacy, probation, chair, officer, clinician, advocate, partner, case, other_case, meeting
    )


def _pdf_libraries_missing() -> str | None:
    try:
        import weasyprint  # noqa: F401
    except OSError as missing:  # the package is installed; Pango, which it loads, is not
        return str(missing)
    return None


# Tests that make real PDFs need Pango, as the browser tests need chromium: on a machine without
# it they are skipped with the package to install (CI's machines have it).
requires_pdf = pytest.mark.skipif(
    _pdf_libraries_missing() is not None,
    reason="WeasyPrint cannot load Pango: install Debian's libpango-1.0-0 and libpangoft2-1.0-0 to make PDFs",
)

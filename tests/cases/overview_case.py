"""A busy case for the case overview: its team, people, a long timeline and many exhibits.

Built with bulk_create so that 500 timeline entries take well under a second. Shared by
tests/cases/test_overview.py and bench/case_overview.py; it writes through the models'
`unscoped` managers (test and benchmark data, not a user's action) and only needs Django set up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from itertools import count

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.access.models import CaseRole, CaseTeamMember
from masip.access.policy import Compartment
from masip.accounts.models import Agency, AgencyKind, Membership, Role, Unit, User
from masip.cases.models import (
    Case,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    CaseStatusChange,
    NoteKind,
    ParallelProcess,
    ParticipantRole,
    ProcessKind,
    RiskLevel,
    SpoStage,
)
from masip.evidence.models import EvidenceItem, EvidenceKind
from masip.people.models import Person
from masip.work.models import Task, TaskKind, TaskStatus

_serial = count(1)

# The bodies say which compartment they are in, so a test can look for them in the page.
BODY = {
    Compartment.TEAM: "Team timeline entry",
    Compartment.POLICE: "Police timeline entry",
    Compartment.HEALTH: "Health timeline entry",
    Compartment.ADVOCACY: "Advocacy timeline entry",
}
# One note in ten is a contact record; the compartments take turns.
COMPARTMENT_CYCLE = (Compartment.TEAM, Compartment.POLICE, Compartment.HEALTH, Compartment.ADVOCACY)
STATUS_CHANGES = 20


@dataclass
class BusyCase:
    case: Case
    investigator: User
    clinician: User
    advocate: User
    victim: CaseParticipant
    sister: CaseParticipant


def _user(unit: Unit, agency: Agency, role: str, name: str) -> User:
    n = next(_serial)
    user = User.objects.create_user(f"{role}.{n}.{uuid.uuid4().hex[:6]}@overview.invalid", None, agency=agency)
    user.full_name = f"{name} {n}"
    user.save(update_fields=["full_name"])
    Membership.objects.create(user=user, unit=unit, role=role)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user


def busy_case(*, entries: int = 500, documents: int = 50, unit: Unit | None = None) -> BusyCase:
    """A case with `entries` timeline entries (status changes, then notes and contact records
    spread over the four note compartments) and `documents` exhibits (one in five police-only)."""
    n = next(_serial)
    tag = uuid.uuid4().hex[:6]
    if unit is None:
        agency = Agency.objects.create(name=f"Overview Police {tag}", kind=AgencyKind.POLICE)
        unit = Unit.objects.create(name=f"Overview Unit {tag}", code=f"ov{tag}", lead_agency=agency)
    agency = unit.lead_agency
    investigator = _user(unit, agency, Role.POLICE_INVESTIGATOR, "Investigator")
    clinician = _user(unit, agency, Role.CLINICIAN, "Clinician")
    advocate = _user(unit, agency, Role.STALKING_ADVOCATE, "Advocate")
    now = timezone.now()
    case = Case.unscoped.create(
        unit=unit,
        reference=f"OV-{tag}-{n:04d}",
        status=CaseStatus.ACTIVE,
        risk_level=RiskLevel.HIGH,
        lead_agency=agency,
        opened_at=now - timedelta(days=entries),
        summary="Ex-partner sending messages nightly and waiting outside the victim's workplace.",
        created_by=investigator,
    )
    CaseTeamMember.objects.bulk_create(
        [
            CaseTeamMember(case=case, user=investigator, role_on_case=CaseRole.LEAD_INVESTIGATOR, purpose="Lead"),
            CaseTeamMember(case=case, user=clinician, role_on_case=CaseRole.LEAD_CLINICIAN, purpose="Clinical"),
            CaseTeamMember(case=case, user=advocate, role_on_case=CaseRole.ADVOCATE, purpose="Advocacy"),
        ]
    )
    people = [
        Person(
            unit=unit,
            given_name="Amelia",
            family_name=f"Fairbrook{tag}",
            address="12 Example Street, Anytown, AN1 2BC",
            phone="07700 900123",
        ),
        Person(unit=unit, given_name="Daniel", family_name=f"Marsh{tag}"),
        Person(unit=unit, given_name="Ruby", family_name=f"Fairbrook{tag}", phone="07700 900456"),
    ]
    for person in people:
        person.refresh_match_keys()  # as Person.save() would
    Person.unscoped.bulk_create(people)
    victim, _perpetrator, sister = CaseParticipant.unscoped.bulk_create(
        [
            CaseParticipant(case=case, person=people[0], role=ParticipantRole.VICTIM),
            CaseParticipant(case=case, person=people[1], role=ParticipantRole.PERPETRATOR),
            CaseParticipant(case=case, person=people[2], role=ParticipantRole.FAMILY, relationship="victim's sister"),
        ]
    )
    ParallelProcess.unscoped.bulk_create(
        [
            ParallelProcess(
                case=case,
                kind=ProcessKind.SPO,
                lead_agency=agency.name,
                started_on=now.date() - timedelta(days=30),
                spo_stage=SpoStage.INTERIM_GRANTED,
            ),
            ParallelProcess(
                case=case, kind=ProcessKind.MARAC, lead_agency="Anytown MARAC", started_on=now.date() - timedelta(60)
            ),
        ]
    )
    changes = min(STATUS_CHANGES, entries)
    statuses = [CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.UNDER_REVIEW, CaseStatus.ACTIVE]
    history = CaseStatusChange.unscoped.bulk_create(
        [
            CaseStatusChange(
                case=case,
                from_status=statuses[i % 4],
                to_status=statuses[(i + 1) % 4],
                reason=f"Status change {i}",
                case_version=i + 2,
                created_by=investigator,
            )
            for i in range(changes)
        ]
    )
    authors = {
        Compartment.TEAM: investigator,
        Compartment.POLICE: investigator,
        Compartment.HEALTH: clinician,
        Compartment.ADVOCACY: advocate,
    }
    notes = []
    for i in range(entries - changes):
        compartment = COMPARTMENT_CYCLE[i % len(COMPARTMENT_CYCLE)]
        contact = i % 10 == 9
        notes.append(
            CaseNote(
                case=case,
                compartment=compartment,
                kind=NoteKind.CONTACT if contact else NoteKind.NOTE,
                body=f"{BODY[compartment]} {i}",
                created_by=authors[compartment],
                contact_at=now - timedelta(hours=i) if contact else None,
                contact_by=authors[compartment] if contact else None,
                contact_with=victim if contact else None,
                channel="phone" if contact else "",
            )
        )
    CaseNote.unscoped.bulk_create(notes)
    # Spread the timeline over time (bulk_create stamps the rows with the moment they were made):
    # a note an hour, a status change a day, an exhibit every ten hours, interleaved.
    for i, note in enumerate(notes):
        note.created_at = note.updated_at = now - timedelta(hours=i)
    CaseNote.unscoped.bulk_update(notes, ["created_at", "updated_at"], batch_size=250)
    for i, change in enumerate(history):
        change.created_at = change.updated_at = now - timedelta(hours=24 * i + 3)
    CaseStatusChange.unscoped.bulk_update(history, ["created_at", "updated_at"])
    items = [
        EvidenceItem(
            case=case,
            compartment=Compartment.POLICE if i % 5 == 4 else Compartment.TEAM,
            exhibit_ref=f"EX-{i + 1:03d}",
            kind=EvidenceKind.SCREENSHOT,
            description=f"Screenshot of message {i}",
            captured_by="PC Example",
            captured_from="The victim's phone",
            captured_at=now - timedelta(days=i),
            file_name=f"message-{i}.png",
            content_type="image/png",
            size=1000 + i,
            sha256=f"{i:064x}",
            blob_id=uuid.uuid4().hex,
            key_id="bench",
            created_by=investigator,
        )
        for i in range(documents)
    ]
    EvidenceItem.unscoped.bulk_create(items)
    for i, item in enumerate(items):
        item.created_at = item.updated_at = now - timedelta(hours=10 * (documents - 1 - i) + 5)
    EvidenceItem.unscoped.bulk_update(items, ["created_at", "updated_at"], batch_size=250)
    today = timezone.localdate()
    Task.unscoped.bulk_create(
        [
            Task(
                case=case,
                title="Review the case (high risk)",
                owner=investigator,
                due_date=today + timedelta(days=7),
                kind=TaskKind.REVIEW,
                rule="review:high",
                period_start=today,
            ),
            Task(case=case, title="Call the victim about the hearing", owner=advocate, due_date=today + timedelta(2)),
            Task(
                case=case,
                title="Chase phone download",
                owner=investigator,
                due_date=today - timedelta(days=1),
            ),
            Task(
                case=case,
                title="First contact",
                owner=advocate,
                due_date=today - timedelta(days=20),
                status=TaskStatus.DONE,
                closed_at=timezone.now() - timedelta(days=19),
            ),
        ]
    )
    return BusyCase(case, investigator, clinician, advocate, victim, sister)

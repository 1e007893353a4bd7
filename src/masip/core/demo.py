"""The demo unit: a synthetic stalking unit in its first ten months, for trying masip out.

Shaped on the Cheshire unit's first ten months (docs: /work/shared/DOMAIN.md §1): 260
referrals, 83 taken on for unit risk management, 177 left with partners under unit advice.
Every name, address and note is made up from the small lists below; phone numbers are in
Ofcom's drama range and email addresses on example.com, so none can reach a real person.

The data follows from the seed, so two runs with one seed describe the same unit. The
second-factor secrets do not: they come from `secrets`, because a code derived from a
published seed would be no second factor at all.

Only ever loaded under demo settings (`settings.MASIP_DEMO`); the commands refuse otherwise.
"""

from __future__ import annotations

import math
import random
import secrets
import time
from base64 import b32encode
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.access.models import CaseRole, CaseTeamMember
from masip.access.policy import Compartment
from masip.accounts.models import Agency, AgencyKind, Membership, Role, Unit, User
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import (
    Case,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    ParticipantRole,
    RiskLevel,
    case_reference,
)
from masip.core.models import TimeStampedModel
from masip.core.workdays import add_working_days
from masip.interventions.demo import demo_interventions
from masip.panel.demo import demo_panel
from masip.people.models import Gender, Person, PersonFlag
from masip.referrals.models import (
    Behaviour,
    Channel,
    FourAnswer,
    Referral,
    ReferralStatus,
    ReferralSubject,
    Relationship,
    Screening,
    SubjectRole,
    TriageDeadlines,
    TriageDecision,
    Urgency,
)
from masip.referrals.questions import CURRENT_QUESTION_SET
from masip.referrals.services import (
    ReferralDraft,
    SubjectEntry,
    referral_assign_screener,
    referral_receive,
    referral_save_draft,
    referral_subject_create_person,
    referral_subject_link,
    referral_submit,
    screening_save,
)
from masip.reports.demo import demo_reports
from masip.risk.definition import Definition, score
from masip.risk.models import Assessment, AssessmentStatus, InstrumentVersion
from masip.timeline.models import AlertStatus, BehaviourType, EntrySource, RedFlagAlert, ReportedBy, TimelineEntry
from masip.timeline.redflags import redflags_evaluate_unit
from masip.training.demo import demo_training
from masip.work.services import work_rules_apply_all

UNIT_NAME = "Northshire Integrated Stalking Unit"
UNIT_CODE = "NSU"
DEMO_DOMAIN = "demo.masip.test"
# Published on purpose: the demo holds only synthetic data, and both commands refuse to run
# outside demo settings, so this password can never open a real deployment.
DEMO_PASSWORD = "northshire-demo-2026"  # noqa: S105
DEFAULT_SEED = 2026

REFERRALS = 260
ACCEPTED = 83
MONTHS = 10
_SPAN_DAYS = 304  # ten months
DEMO_SCREEN = "masip-stalking-screen"  # the shipped instrument the demo's cases were screened with
_QUIET_DAYS = 7  # the last referral arrives a week ago, so every decision is already made


_Stamped = TypeVar("_Stamped", bound=TimeStampedModel)


class DemoError(Exception):
    """The demo cannot do what was asked; the message says why and what to do instead."""


def demo_enabled() -> bool:
    return bool(getattr(settings, "MASIP_DEMO", False))


def require_demo_settings(command: str) -> None:
    if not demo_enabled():
        raise DemoError(
            f"`{command}` only runs under demo settings (MASIP_DEMO is not set), because it publishes "
            "passwords and second-factor codes. Use `make demo`, or DJANGO_SETTINGS_MODULE=masip.settings.dev."
        )


# --- Who is in the unit -------------------------------------------------------------------


@dataclass(frozen=True)
class AgencySpec:
    key: str
    name: str
    kind: AgencyKind
    referral_share: float  # of the unit's referrals; most come from the police


AGENCIES = (
    AgencySpec("police", "Northshire Police", AgencyKind.POLICE, 0.60),
    AgencySpec("advocacy", "Northshire Stalking Advocacy Service", AgencyKind.ADVOCACY, 0.13),
    AgencySpec("nhs", "Northshire and Vale NHS Foundation Trust", AgencyKind.NHS, 0.11),
    AgencySpec("council", "Northshire County Council", AgencyKind.LOCAL_AUTHORITY, 0.10),
    AgencySpec("probation", "Probation Service, Northshire", AgencyKind.PROBATION, 0.06),
)


@dataclass(frozen=True)
class StaffSpec:
    local_part: str
    full_name: str
    agency: str
    job_title: str
    role: Role


# One account that can sign in for every role (a test checks none is missing).
SIGN_IN_USERS = (
    StaffSpec("manager", "Helen Marsh", "police", "Detective Inspector, unit manager", Role.UNIT_MANAGER),
    StaffSpec("investigator", "Sam Okafor", "police", "Detective Constable", Role.POLICE_INVESTIGATOR),
    StaffSpec("clinician", "Dr Priya Nair", "nhs", "Forensic psychologist", Role.CLINICIAN),
    StaffSpec("outreach", "Jo Whitfield", "nhs", "Mental health outreach worker", Role.OUTREACH_WORKER),
    StaffSpec("advocate", "Aisha Rahman", "advocacy", "Independent stalking advocate (ISAC)", Role.STALKING_ADVOCATE),
    StaffSpec("support", "Tom Baxter", "police", "Unit support officer", Role.SUPPORT_OFFICER),
    StaffSpec("referrer", "Karen Doyle", "council", "Adult social care practitioner", Role.PARTNER_REFERRER),
    StaffSpec("analyst", "Ravi Patel", "police", "Performance analyst", Role.ANALYST),
    StaffSpec("trainer", "Megan Hughes", "advocacy", "Training lead", Role.TRAINER),
    StaffSpec("admin", "Chris Lowe", "police", "Systems administrator", Role.SYSTEM_ADMINISTRATOR),
)

# Colleagues who share the caseload. They cannot sign in (no password, no second factor):
# they exist so that each demo account is on some cases and not on others.
COLLEAGUES = (
    StaffSpec("lewis.grant", "Lewis Grant", "police", "Detective Constable", Role.POLICE_INVESTIGATOR),
    StaffSpec("farah.ahmed", "Farah Ahmed", "police", "Detective Sergeant", Role.POLICE_INVESTIGATOR),
    StaffSpec("piotr.kowalski", "Piotr Kowalski", "police", "Detective Constable", Role.POLICE_INVESTIGATOR),
    StaffSpec("ama.osei", "Dr Ama Osei", "nhs", "Consultant forensic psychiatrist", Role.CLINICIAN),
    StaffSpec("liam.brennan", "Liam Brennan", "nhs", "Forensic psychologist", Role.CLINICIAN),
    StaffSpec(
        "sophie.clarke", "Sophie Clarke", "advocacy", "Independent stalking advocate (ISAC)", Role.STALKING_ADVOCATE
    ),
    StaffSpec("nadia.begum", "Nadia Begum", "advocacy", "Independent stalking advocate (ISAC)", Role.STALKING_ADVOCATE),
    StaffSpec("dylan.evans", "Dylan Evans", "nhs", "Outreach worker", Role.OUTREACH_WORKER),
    StaffSpec("grace.mensah", "Grace Mensah", "nhs", "Outreach worker", Role.OUTREACH_WORKER),
    # Presents the training package's legal, investigation and local-procedure topics.
    StaffSpec("owen.price", "Owen Price", "police", "Detective Sergeant, force stalking lead", Role.TRAINER),
)


def demo_email(local_part: str) -> str:
    return f"{local_part}@{DEMO_DOMAIN}"


SIGN_IN_EMAILS = frozenset(demo_email(spec.local_part) for spec in SIGN_IN_USERS)


# --- Words the synthetic records are made of -----------------------------------------------

GIVEN_NAMES = (
    "Amelia", "Olivia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Chloe", "Lucy", "Hannah",
    "Zara", "Leah", "Megan", "Rebecca", "Sarah", "Laura", "Aisha", "Maya", "Niamh", "Ella",
    "Jack", "Oliver", "Harry", "George", "Noah", "Daniel", "James", "Ryan", "Adam", "Tom",
    "Mohammed", "Kieran", "Callum", "Luke", "Jamie", "Marek", "Connor", "Ethan", "Ben", "Sean",
)  # fmt: skip
FAMILY_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
    "Clarke", "Khan", "Hughes", "Edwards", "Lewis", "Harris", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Turner", "Ali", "Nowak", "Kelly", "Murphy", "Baker", "Price", "Bennett", "Shaw",
)  # fmt: skip
STREETS = (
    "Mill Lane", "Station Road", "Church Street", "Victoria Road", "Park Avenue", "Oak Close",
    "Bridge Street", "Meadow Way", "Queen Street", "Orchard Drive", "Chapel Row", "Windmill Hill",
)  # fmt: skip
TOWNS = ("Northam", "Eastbridge", "Kelby", "Marston Vale", "Holloway Cross", "Sandford")

RELATIONSHIPS = (
    ("Former partner", 0.50),
    ("Acquaintance", 0.18),
    ("Stranger", 0.12),
    ("Work colleague", 0.08),
    ("Neighbour", 0.07),
    ("Family member", 0.05),
)
BEHAVIOURS = (
    "repeated unwanted calls and messages",
    "turning up at the victim's home and workplace",
    "messages from new accounts each time one is blocked",
    "loitering outside the victim's children's school",
    "gifts and letters left on the victim's car",
    "posting about the victim on social media",
    "contacting the victim's friends and family to find her",
    "a tracking device found on the victim's car",
    "threats to harm the victim's new partner",
    "damage to the victim's property",
)
CONTEXTS = (
    "The victim is very frightened and has changed her routine.",
    "The behaviour has escalated since the end of the relationship.",
    "Earlier police warnings have not stopped the contact.",
    "The victim reports at least weekly incidents over several months.",
    "The victim has moved once already; the contact resumed within weeks.",
)

RELATIONSHIP_WEIGHTS = (
    (Relationship.EX_INTIMATE, 0.50),
    (Relationship.ACQUAINTANCE, 0.17),
    (Relationship.STRANGER, 0.10),
    (Relationship.ONLINE_ONLY, 0.07),
    (Relationship.WORK, 0.07),
    (Relationship.FAMILY, 0.05),
    (Relationship.PROFESSIONAL_CLIENT, 0.04),
)
URGENCY_WEIGHTS = ((Urgency.ROUTINE, 0.6), (Urgency.URGENT, 0.3), (Urgency.IMMEDIATE, 0.1))
# Most referrals report some of the first; fewer report any of the second.
COMMON_BEHAVIOURS = (
    Behaviour.UNWANTED_COMMUNICATION,
    Behaviour.TURNING_UP,
    Behaviour.FOLLOWING,
    Behaviour.LOITERING,
    Behaviour.ONLINE_MONITORING,
    Behaviour.THIRD_PARTIES,
)
SERIOUS_BEHAVIOURS = (
    Behaviour.TRACKING,
    Behaviour.PROPERTY_DAMAGE,
    Behaviour.GIFTS_OR_ITEMS,
    Behaviour.THREATS,
    Behaviour.APPROACHING,
    Behaviour.USING_OTHERS,
    Behaviour.PHYSICAL_VIOLENCE,
)
ORDERS = (
    "Non-molestation order, Northam Family Court: no contact and a 100 metre exclusion zone around her home.",
    "Interim Stalking Protection Order, Eastbridge Magistrates' Court: no contact by any means.",
    "Police bail: not to contact the victim directly or indirectly, not to enter Kelby.",
    "Restraining order on conviction for harassment, two years, Northshire Crown Court.",
    "Community order with a prohibited activity requirement: no contact with the victim.",
)
REASONS = {
    TriageDecision.ACCEPTED: (
        "FOUR check met; fixation is escalating and the victim is very frightened. Unit risk management.",
        "Repeated breaches of earlier orders and threats: needs the unit's joint police and clinical response.",
        "Persistent pursuit after separation, with tracking; high concern for the victim's safety.",
    ),
    TriageDecision.PARTNER_MANAGED: (
        "Stalking confirmed but current risk manageable by the referring agency with the unit's advice.",
        "Contact has reduced since police warning; referrer to continue to manage with advice below.",
        "Early-stage behaviour; referring agency well placed to manage with a safety plan and advice.",
    ),
}
ADVICE = (
    "Record every incident as part of one course of conduct, not as separate events. Refer the victim to "
    "the stalking advocacy service and re-refer at once if the suspect turns up at her home again.",
    "Consider a Stalking Protection Order application. Help the victim keep a diary and screenshots; "
    "check her devices and car for tracking. Re-refer if threats are made.",
    "Agree a safety plan with the victim covering her route to work. Ask the officer in the case to treat "
    "any further contact as a breach. We will advise again if anything changes.",
)
# The unit's serial stalker: several victims over the months, one of them a case the unit runs.
# His name is in none of the lists below, so no other demo person shares it.
SERIAL_SUSPECT = ("Stephen", "Caldwell", date(1979, 11, 23))


@dataclass(frozen=True)
class OpenReferral:
    """One referral still in the screening queue when the demo is loaded."""

    days_ago: int
    urgency: Urgency
    sender: str  # "records" (the police records system), "referrer" or "advocate" (the web form)
    channel: Channel = Channel.WEB
    stage: str = "received"  # "received", "assigned" to a screener, or "screened"
    suspect: str = "known"  # "known", "unidentified", "serial" (a new spelling) or "serial_linked"


# Oldest first; the first four are past their decision deadline whatever the bank holidays.
OPEN_QUEUE = (
    OpenReferral(16, Urgency.ROUTINE, "records", Channel.IMPORT, stage="screened"),
    OpenReferral(14, Urgency.ROUTINE, "records", Channel.API, stage="screened", suspect="serial_linked"),
    OpenReferral(13, Urgency.URGENT, "referrer", stage="assigned"),
    OpenReferral(8, Urgency.IMMEDIATE, "records", Channel.API, stage="screened"),
    OpenReferral(6, Urgency.URGENT, "advocate"),
    OpenReferral(6, Urgency.ROUTINE, "records", Channel.IMPORT, suspect="unidentified"),
    OpenReferral(5, Urgency.URGENT, "referrer", stage="assigned", suspect="unidentified"),
    OpenReferral(4, Urgency.ROUTINE, "records", Channel.API),
    OpenReferral(3, Urgency.ROUTINE, "records", Channel.API, suspect="serial"),
    OpenReferral(2, Urgency.ROUTINE, "advocate", stage="screened"),
    OpenReferral(2, Urgency.URGENT, "records", Channel.IMPORT),
    OpenReferral(1, Urgency.ROUTINE, "referrer"),
    OpenReferral(0, Urgency.IMMEDIATE, "records", Channel.API),
    OpenReferral(0, Urgency.ROUTINE, "records", Channel.IMPORT),
)
OVERDUE_AT_LEAST = 4

NOTES: dict[str, tuple[str, ...]] = {
    Compartment.TEAM: (
        "Accepted at triage for unit risk management; case team allocated.",
        "Discussed at the weekly case review; safety plan actions agreed and owners named.",
        "Victim reports new messages since the last contact; screenshots passed to the investigator.",
        "Review date set; risk level confirmed by the team.",
    ),
    Compartment.POLICE: (
        "Suspect interviewed under caution; released on bail with a no-contact condition.",
        "Digital evidence request sent to the phone provider for the last three months.",
        "Application for a Stalking Protection Order being prepared with the force solicitor.",
        "Breach of bail conditions reported; suspect arrested and remanded overnight.",
    ),
    Compartment.HEALTH: (
        "Initial consultation with the perpetrator's care coordinator; formulation in progress.",
        "Perpetrator offered the eight-session intervention; attended the first session.",
        "Clinical risk formulation shared with the team as a summary; full notes held here.",
    ),
    Compartment.ADVOCACY: (
        "Victim says she is afraid to leave the house in the evenings and is not sleeping.",
        "Victim asked that her employer is not contacted; agreed, and recorded here only.",
        "Victim is thinking about moving out of the area and wants this kept from the wider team for now.",
    ),
    Compartment.VICTIM_CONTACT: (
        "Victim prefers contact by text on her safe number, after 6pm only.",
        "Victim is staying with her sister for now; do not send letters to her home address.",
    ),
}


# --- The generator --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    referrals: int  # the ten months' referrals, all decided
    open_referrals: int  # waiting in the screening queue
    accepted: int
    partner_managed: int
    cases: int
    people: int
    team_rows: int
    notes: int
    users: int
    referrals_by_source: dict[str, int]

    def as_detail(self) -> dict[str, object]:
        return {
            "referrals": self.referrals,
            "open_referrals": self.open_referrals,
            "accepted": self.accepted,
            "partner_managed": self.partner_managed,
            "cases": self.cases,
            "people": self.people,
            "team_rows": self.team_rows,
            "notes": self.notes,
            "users": self.users,
            "referrals_by_source": self.referrals_by_source,
        }


def demo_unit() -> Unit | None:
    return Unit.objects.filter(code=UNIT_CODE).first()


def demo_unit_create(*, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Create the demo unit, its staff and ten months of referrals and cases, from `seed`.

    Guarantees: everything is written in one transaction with a single `admin` audit event
    holding the counts (no values), or nothing is written; the same seed gives the same
    referrals, cases, people, teams and notes (dates are relative to today); each sign-in
    account has a confirmed TOTP device. Raises DemoError outside demo settings or when the
    demo unit already exists.
    """
    require_demo_settings("demo_unit")
    with transaction.atomic():
        if demo_unit() is not None:
            raise DemoError(f"The demo unit {UNIT_CODE} already exists.")
        # A seeded generator on purpose: the demo must come out the same for the same seed.
        return _Builder(random.Random(seed), now=timezone.now()).build(seed)  # noqa: S311


class _Builder:
    def __init__(self, rng: random.Random, *, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.start = (now - timedelta(days=_SPAN_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
        self.written_at: dict[int, datetime] = {}  # id(record) -> when it was really written
        self.case_people: dict[int, tuple[Person, Person]] = {}  # id(case) -> its victim and suspect
        self.serial: Person
        self.records_system: User

    def build(self, seed: int) -> DemoSummary:
        agencies = self._agencies()
        unit = Unit.objects.create(name=UNIT_NAME, code=UNIT_CODE, lead_agency=agencies["police"])
        staff = self._staff(unit, agencies)
        plans = self._referral_plan(agencies)
        self.serial = self._serial_suspect(unit, staff[demo_email("manager")])
        cases, people, participants, team, notes = self._cases(unit, agencies, staff, plans)
        referrals, subjects, screenings, named = self._referrals(unit, staff, plans, cases)
        people += [self.serial, *named]
        for person in people:
            # bulk_create skips Person.save(), which computes the matching keys and blind indexes.
            person.refresh_match_keys()

        Case.unscoped.bulk_create(cases)
        Person.unscoped.bulk_create(people)
        CaseParticipant.unscoped.bulk_create(participants)
        CaseTeamMember.objects.bulk_create(team)
        CaseNote.unscoped.bulk_create(notes)
        Referral.unscoped.bulk_create(referrals)
        ReferralSubject.unscoped.bulk_create(subjects)
        Screening.unscoped.bulk_create(screenings)
        assessments = Assessment.unscoped.bulk_create(self._assessments(cases, team))
        self._timelines(cases, team)
        # auto_now_add stamps "now" on insert; put back the dates the records really carry.
        stamps = ["created_at", "updated_at"]
        Case.unscoped.bulk_update(self._restamped(cases), stamps, batch_size=500)
        Person.unscoped.bulk_update(self._restamped(people), stamps, batch_size=500)
        CaseNote.unscoped.bulk_update(self._restamped(notes), stamps, batch_size=500)
        Referral.unscoped.bulk_update(self._restamped(referrals), stamps, batch_size=500)
        ReferralSubject.unscoped.bulk_update(self._restamped(subjects), stamps, batch_size=500)
        Screening.unscoped.bulk_update(self._restamped(screenings), stamps, batch_size=500)
        Assessment.unscoped.bulk_update(self._restamped(assessments), stamps, batch_size=500)
        demo_interventions(team=team, seed=seed)  # safety, Victims' Code, justice, orders, programmes

        # The referrals still waiting go through the intake services, as live ones do.
        waiting = _OpenQueue(self, unit, staff, agencies).build()
        # The red flags the nightly run would raise on the logs, then every open case's next
        # review from the unit's rules, as the daily run gives it.
        redflags_evaluate_unit(unit=unit)
        self._acknowledge_old_flags(unit, team)
        work_rules_apply_all()
        # The panel's last meetings and its next agenda (built from the flags and reviews above).
        demo_panel(
            unit=unit,
            staff=staff,
            chair=staff[demo_email("manager")],
            partner=staff[demo_email("referrer")],
            rng=self.rng,
        )
        demo_reports(unit=unit, manager=staff[demo_email("manager")])
        demo_training(
            unit=unit, lead=staff[demo_email("trainer")], police_trainer=staff[demo_email("owen.price")], rng=self.rng
        )

        by_source = Counter(r.source_agency.name for r in referrals)
        summary = DemoSummary(
            referrals=len(referrals),
            open_referrals=len(waiting),
            accepted=sum(r.decision == TriageDecision.ACCEPTED for r in referrals),
            partner_managed=sum(r.decision == TriageDecision.PARTNER_MANAGED for r in referrals),
            cases=len(cases),
            people=Person.unscoped.filter(unit=unit).count(),
            team_rows=len(team),
            notes=len(notes),
            users=len(staff),
            referrals_by_source=dict(sorted(by_source.items(), key=lambda item: -item[1])),
        )
        audit_record(
            action=AuditAction.ADMIN,
            actor=None,
            unit=unit,
            obj=unit,
            detail={"event": "demo unit loaded", "command": "demo_unit", "seed": seed, **summary.as_detail()},
        )
        return summary

    def _serial_suspect(self, unit: Unit, author: User) -> Person:
        given, family, born = SERIAL_SUSPECT
        person = Person(
            unit=unit,
            given_name=given,
            family_name=family,
            date_of_birth=born,
            gender=Gender.MALE,
            flags=[PersonFlag.BREACHED_ORDERS, PersonFlag.THREATS_TO_KILL],
            created_by=author,
        )
        self.written_at[id(person)] = self.start
        return person

    def _restamped(self, rows: list[_Stamped]) -> list[_Stamped]:
        for row in rows:
            row.created_at = row.updated_at = self.written_at[id(row)]
        return rows

    # Agencies and staff ------------------------------------------------------------------

    def _agencies(self) -> dict[str, Agency]:
        return {
            spec.key: Agency.objects.get_or_create(name=spec.name, defaults={"kind": spec.kind})[0] for spec in AGENCIES
        }

    def _staff(self, unit: Unit, agencies: dict[str, Agency]) -> dict[str, User]:
        # One hash for all: argon2 is slow on purpose, and every demo account shares the password.
        password = make_password(DEMO_PASSWORD)
        joined = self.start - timedelta(days=14)
        users = [
            User(
                email=demo_email(spec.local_part),
                full_name=spec.full_name,
                agency=agencies[spec.agency],
                job_title=spec.job_title,
                password=password if spec in SIGN_IN_USERS else make_password(None),
                date_joined=joined,
            )
            for spec in (*SIGN_IN_USERS, *COLLEAGUES)
        ]
        User.objects.bulk_create(users)
        by_email = {user.email: user for user in users}
        admin = by_email[demo_email("admin")]
        Membership.objects.bulk_create(
            Membership(
                user=by_email[demo_email(spec.local_part)],
                unit=unit,
                role=spec.role,
                granted_by=None if spec.role == Role.SYSTEM_ADMINISTRATOR else admin,
            )
            for spec in (*SIGN_IN_USERS, *COLLEAGUES)
        )
        # The police records system sends referrals by API and file import: a service account.
        records = User.objects.create(
            email=demo_email("records.system"),
            full_name="Northshire Police records system",
            agency=agencies["police"],
            job_title="System",
            password=make_password(None),
            is_service_account=True,
            date_joined=joined,
        )
        Membership.objects.create(user=records, unit=unit, role=Role.PARTNER_REFERRER, granted_by=admin)
        self.records_system = records
        TOTPDevice.objects.bulk_create(
            TOTPDevice(
                user=by_email[demo_email(spec.local_part)],
                name="Demo authenticator",
                key=secrets.token_hex(20),
                confirmed=True,
            )
            for spec in SIGN_IN_USERS
        )
        return by_email

    # Referrals and decisions -----------------------------------------------------------------

    def _referral_plan(self, agencies: dict[str, Agency]) -> list[_Planned]:
        rng = self.rng
        sources = [agencies[key] for key, n in _apportion(REFERRALS, AGENCIES) for _ in range(n)]
        rng.shuffle(sources)
        accepted = set(rng.sample(range(REFERRALS), ACCEPTED))
        span = _SPAN_DAYS - _QUIET_DAYS
        plans = []
        for i, source in enumerate(sources):
            # Half uniform, half rising: a new unit's referrals grow as partners learn of it.
            offset = span * (rng.random() if rng.random() < 0.5 else math.sqrt(rng.random()))
            received = self.start + timedelta(days=offset)
            received = received.replace(hour=rng.randint(8, 17), minute=rng.randrange(60))
            decided = received + timedelta(days=rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6)), hours=rng.randint(1, 6))
            plans.append(_Planned(source=source, received=received, decided=decided, accepted=i in accepted))
        plans.sort(key=lambda plan: plan.received)
        # The serial stalker: a case the unit runs, and earlier a referral left with a partner.
        taken = [i for i, plan in enumerate(plans) if plan.accepted]
        left = [i for i, plan in enumerate(plans) if not plan.accepted]
        for i in (taken[len(taken) // 2], left[len(left) // 3]):
            plans[i] = replace(plans[i], serial=True)
        return plans

    def _referrals(
        self, unit: Unit, staff: dict[str, User], plans: list[_Planned], cases: list[Case]
    ) -> tuple[list[Referral], list[ReferralSubject], list[Screening], list[Person]]:
        rng = self.rng
        referrer, support = staff[demo_email("referrer")], staff[demo_email("support")]
        screeners = _rota(rng, [staff[demo_email(s.local_part)] for s in _TRIAGE_STAFF])
        case_for = iter(cases)  # cases were made in the order of their accepted referrals
        numbers = _YearCounter()
        referrals: list[Referral] = []
        subjects: list[ReferralSubject] = []
        screenings: list[Screening] = []
        named: list[Person] = []  # people recorded at screening of referrals left with partners
        for plan in plans:
            own = plan.source.kind == AgencyKind.LOCAL_AUTHORITY  # the demo referrer's agency
            police = plan.source.kind == AgencyKind.POLICE
            decider = next(screeners)
            decision = TriageDecision.ACCEPTED if plan.accepted else TriageDecision.PARTNER_MANAGED
            case = next(case_for) if plan.accepted else None
            if case is not None:
                victim, suspect = self.case_people[id(case)]
            else:
                victim, suspect, _ = self._people(unit, plan.received, decider)
                if plan.serial:
                    suspect = self.serial
                named += [person for person in (victim, suspect) if person.given_name and person is not self.serial]
            intake = self._intake(plan.received, serial=plan.serial)
            received_on = timezone.localdate(plan.received)
            referral = Referral(
                unit=unit,
                reference=f"{UNIT_CODE}-REF-{plan.received.year}-{numbers.next(plan.received.year):04d}",
                source_agency=plan.source,
                referred_by=referrer if own else None,
                created_by=referrer if own else support,
                external_reference=f"NP-{rng.randint(100000, 999999)}" if police else "",
                channel=(Channel.IMPORT if rng.random() < 0.6 else Channel.API) if police else Channel.WEB,
                crime_reference=f"NP/{rng.randint(10000, 99999)}/{plan.received.year % 100:02d}" if police else "",
                received_at=plan.received,
                decision_deadline=add_working_days(received_on, TriageDeadlines.DEFAULTS[Urgency(intake.urgency)]),
                status=ReferralStatus.DECIDED,
                screener=decider,
                decision=decision,
                decided_at=plan.decided,
                decided_by=decider,
                decision_reasons=rng.choice(REASONS[decision]),
                advice=rng.choice(ADVICE) if decision == TriageDecision.PARTNER_MANAGED else "",
                case=case,
                **intake.fields(received_on),
            )
            self.written_at[id(referral)] = plan.received
            referrals.append(referral)
            for role, person in ((SubjectRole.VICTIM, victim), (SubjectRole.SUSPECT, suspect)):
                subject = _subject_for(referral, role, person)
                self.written_at[id(subject)] = plan.received
                subjects.append(subject)
            if rng.random() < 0.25:  # screenings recorded in masip since it went live
                screening = self._screening(referral, decider)
                self.written_at[id(screening)] = plan.decided - timedelta(hours=1)
                screenings.append(screening)
        return referrals, subjects, screenings, named

    def _intake(self, received: datetime, *, serial: bool = False) -> _Intake:
        """What a referrer says about the stalking: urgency, relationship, behaviours, orders."""
        rng = self.rng
        behaviours = rng.sample(COMMON_BEHAVIOURS, rng.randint(1, 3))
        if rng.random() < 0.5:
            behaviours += rng.sample(SERIOUS_BEHAVIOURS, rng.randint(1, 2))
        orders = rng.choice(ORDERS) if serial or rng.random() < 0.15 else ""
        if orders and (serial or rng.random() < 0.5):
            behaviours.append(Behaviour.BREACH)
        relationship = Relationship.STRANGER if serial else _weighted(rng, RELATIONSHIP_WEIGHTS)
        return _Intake(
            urgency=Urgency.URGENT if serial else Urgency(_weighted(rng, URGENCY_WEIGHTS)),
            relationship=Relationship(relationship),
            behaviours=tuple(behaviours),
            existing_orders=orders,
            consent_to_referral=rng.random() < 0.95,
            consent_to_sharing=rng.random() < 0.85,
            summary=_referral_summary(rng, Relationship(relationship), behaviours),
        )

    def _screening(self, referral: Referral, screener: User) -> Screening:
        rng = self.rng
        four = {name: FourAnswer.YES if rng.random() < 0.9 else FourAnswer.UNKNOWN for name in _FOUR}
        questions = CURRENT_QUESTION_SET
        return Screening(
            referral=referral,
            screened_by=screener,
            created_by=screener,
            question_set_id=questions.id,
            question_set_version=questions.version,
            answers={q: rng.choice(("yes", "no", "no", "unknown")) for q in questions.question_ids()},
            **four,
        )

    # Cases ---------------------------------------------------------------------------------

    def _cases(
        self, unit: Unit, agencies: dict[str, Agency], staff: dict[str, User], plans: list[_Planned]
    ) -> tuple[list[Case], list[Person], list[CaseParticipant], list[CaseTeamMember], list[CaseNote]]:
        rng = self.rng
        manager = staff[demo_email("manager")]
        pools = {
            role: [staff[demo_email(s.local_part)] for s in (*SIGN_IN_USERS, *COLLEAGUES) if s.role == role]
            for role in (Role.POLICE_INVESTIGATOR, Role.CLINICIAN, Role.STALKING_ADVOCATE, Role.OUTREACH_WORKER)
        }
        # Rotas hand cases round each pool in shuffled turns: everyone gets a share, nobody gets all.
        investigators = _rota(rng, pools[Role.POLICE_INVESTIGATOR])
        clinicians = _rota(rng, pools[Role.CLINICIAN])
        advocates = _rota(rng, pools[Role.STALKING_ADVOCATE])
        outreach = _rota(rng, pools[Role.OUTREACH_WORKER])
        support = staff[demo_email("support")]

        cases: list[Case] = []
        people: list[Person] = []
        participants: list[CaseParticipant] = []
        team: list[CaseTeamMember] = []
        notes: list[CaseNote] = []
        numbers = _YearCounter()
        for plan in (p for p in plans if p.accepted):
            opened = plan.decided
            age_days = (self.now - opened).days
            status, closed = self._status(opened, age_days)
            case = Case(
                unit=unit,
                reference=case_reference(UNIT_CODE, opened.year, numbers.next(opened.year)),
                status=status,
                risk_level=_weighted(rng, ((RiskLevel.HIGH, 0.3), (RiskLevel.MODERATE, 0.45), (RiskLevel.LOW, 0.25))),
                lead_agency=agencies["police"],
                opened_at=opened,
                closed_at=closed,
                summary=_describe(rng),
                created_by=manager,
            )
            self.written_at[id(case)] = opened
            cases.append(case)

            victim, suspect, suspect_role = self._people(unit, opened, manager)
            if plan.serial:
                suspect, suspect_role = self.serial, ParticipantRole.PERPETRATOR
            self.case_people[id(case)] = (victim, suspect)
            people += [victim] if plan.serial else [victim, suspect]
            participants += [
                CaseParticipant(case=case, person=victim, role=ParticipantRole.VICTIM, created_by=manager),
                CaseParticipant(case=case, person=suspect, role=suspect_role, created_by=manager),
            ]

            members: dict[str, User] = {Compartment.POLICE: next(investigators)}
            roles = [(members[Compartment.POLICE], CaseRole.LEAD_INVESTIGATOR)]
            if rng.random() < 0.9:  # most victims take up an advocate
                members[Compartment.ADVOCACY] = next(advocates)
                roles.append((members[Compartment.ADVOCACY], CaseRole.ADVOCATE))
            if suspect.given_name and rng.random() < 0.5:  # a known perpetrator may be offered treatment
                members[Compartment.HEALTH] = next(clinicians)
                roles.append((members[Compartment.HEALTH], CaseRole.LEAD_CLINICIAN))
            if rng.random() < 0.5:
                roles.append((next(outreach), CaseRole.OUTREACH_WORKER))
            if rng.random() < 0.3:
                roles.append((support, CaseRole.SUPPORT))
            team += [
                CaseTeamMember(
                    case=case,
                    user=user,
                    role_on_case=role,
                    granted_by=manager,
                    purpose="Allocated at triage",
                    since=opened,
                )
                for user, role in roles
            ]
            notes += self._notes(case, manager, members, [user for user, _ in roles], closed or self.now)
        return cases, people, participants, team, notes

    # Risk assessments ----------------------------------------------------------------------

    def _assessments(self, cases: list[Case], team: list[CaseTeamMember]) -> list[Assessment]:
        """Each case's screens over its life with masip's illustrative stalking screen, the
        latest giving the case's risk level (as the engine scores the answers)."""
        version = (
            InstrumentVersion.objects.filter(instrument__key=DEMO_SCREEN, instrument__unit__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if version is None:  # the shipped instruments are loaded before the demo unit is built
            return []
        rng, definition = self.rng, version.parsed
        leads = {id(m.case): m.user for m in team if m.role_on_case == CaseRole.LEAD_INVESTIGATOR}
        made: list[Assessment] = []
        for case in cases:
            until = case.closed_at or self.now
            span = max((until - case.opened_at).days, 1)
            screens = 1 + (span > 60) + (span > 150)
            earlier = ((RiskLevel.HIGH, 0.3), (RiskLevel.MODERATE, 0.4), (RiskLevel.LOW, 0.3))
            levels = [*(_weighted(rng, earlier) for _ in range(screens - 1)), case.risk_level]
            for n, level in enumerate(levels):
                on = case.opened_at + timedelta(days=span * n // screens + rng.randint(0, 3))
                answers = _answers_for(rng, definition, level)
                result = score(definition, answers)
                assessment = Assessment(
                    unit=case.unit,
                    case=case,
                    instrument_version=version,
                    status=AssessmentStatus.COMPLETED,
                    compartment=definition.compartment,
                    assessor=leads[id(case)],
                    assessed_on=on.date(),
                    score=result.score,
                    computed_band=result.band.label if result.band else "",
                    computed_level=result.level or "",
                    level=result.level or "",
                    completed_at=on,
                    created_by=leads[id(case)],
                )
                assessment.answers = answers
                self.written_at[id(assessment)] = on
                made.append(assessment)
            case.risk_level, case.risk_assessed_on = made[-1].level, made[-1].assessed_on
        return made

    # Timelines -------------------------------------------------------------------------------

    def _timelines(self, cases: list[Case], team: list[CaseTeamMember]) -> None:
        """Each case's behaviour log: weeks of messages before the referral and, for about a third
        of the cases, an escalation (watching, then turning up, then threats) the red flags find."""
        rng = self.rng
        kinds = {b.code: b for b in BehaviourType.objects.all()}
        leads = {id(m.case): m.user for m in team if m.role_on_case == CaseRole.LEAD_INVESTIGATOR}
        entries: list[tuple[TimelineEntry, list[str]]] = []
        for case in cases:
            until = (case.closed_at or self.now).date()
            start = case.opened_at.date() - timedelta(days=rng.randint(21, 120))
            escalates = rng.random() < 0.35
            day = start
            while day < until:
                day += timedelta(days=rng.randint(2, 9))
                if day >= until:
                    break
                before_referral = day < case.opened_at.date()
                codes = [rng.choice(("comm_text", "comm_text", "comm_phone", "comm_social", "comm_email"))]
                if escalates and not before_referral:
                    codes = [_weighted(rng, DEMO_ESCALATION)]
                reported_on = min(day + timedelta(days=rng.randint(0, 3)), until)
                entry = TimelineEntry(
                    case=case,
                    compartment=Compartment.POLICE if "breach_order" in codes else Compartment.TEAM,
                    occurred_on=day,
                    incidents=rng.choice((1, 1, 1, 2, 2, 3)) if codes[0].startswith("comm_") else 1,
                    reported_on=reported_on,
                    reported_by=ReportedBy.VICTIM_DIARY if before_referral else ReportedBy.VICTIM,
                    description=rng.choice(DEMO_ENTRY_TEXT),
                    created_by=leads[id(case)],
                    source=EntrySource.BULK if before_referral else EntrySource.FORM,
                )
                self.written_at[id(entry)] = datetime.combine(reported_on, datetime.min.time(), tzinfo=UTC)
                entries.append((entry, codes))
        made = TimelineEntry.unscoped.bulk_create([entry for entry, _ in entries], batch_size=500)
        TimelineEntry.unscoped.bulk_update(self._restamped(made), ["created_at", "updated_at"], batch_size=500)
        Through = TimelineEntry.behaviours.through
        links = [Through(timelineentry_id=e.pk, behaviourtype_id=kinds[c].pk) for e, codes in entries for c in codes]
        Through.objects.bulk_create(links, batch_size=1000)

    def _acknowledge_old_flags(self, unit: Unit, team: list[CaseTeamMember]) -> None:
        """A live unit would have dealt with the flags of weeks ago as they were raised: those
        older than three weeks are acknowledged by the case's lead investigator; the recent ones
        stay open for the demo's users to see. Each flag carries the night it was raised."""
        leads = {m.case.pk: m.user for m in team if m.role_on_case == CaseRole.LEAD_INVESTIGATOR}
        cutoff = self.now.date() - timedelta(days=21)
        old = list(RedFlagAlert.unscoped.filter(case__unit=unit, occurred_on__lt=cutoff))
        for alert in old:
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_by = leads[alert.case_id]
            alert.acknowledged_at = datetime.combine(alert.occurred_on + timedelta(days=2), datetime.min.time(), UTC)
            alert.acknowledgement = self.rng.choice(DEMO_ACKNOWLEDGEMENTS)
        fields = ["status", "acknowledged_by", "acknowledged_at", "acknowledgement"]
        RedFlagAlert.unscoped.bulk_update(old, fields, batch_size=500)
        # The nightly run raised each flag the night after the entry that set it off.
        raised = list(RedFlagAlert.unscoped.filter(case__unit=unit))
        for alert in raised:
            alert.created_at = datetime.combine(alert.occurred_on + timedelta(days=1), datetime.min.time(), UTC)
        RedFlagAlert.unscoped.bulk_update(raised, ["created_at"], batch_size=500)

    def _status(self, opened: datetime, age_days: int) -> tuple[CaseStatus, datetime | None]:
        rng = self.rng
        if age_days > 120 and rng.random() < 0.35:
            closed = opened + timedelta(days=rng.randint(60, age_days - 14))
            return CaseStatus.CLOSED, closed
        if age_days < 10:
            return CaseStatus.OPEN, None
        return (CaseStatus.UNDER_REVIEW if rng.random() < 0.2 else CaseStatus.ACTIVE), None

    def _people(self, unit: Unit, opened: datetime, author: User) -> tuple[Person, Person, ParticipantRole]:
        rng = self.rng
        given, family = rng.choice(GIVEN_NAMES[:20]), rng.choice(FAMILY_NAMES)
        victim = Person(
            unit=unit,
            given_name=given,
            family_name=family,
            gender=Gender.FEMALE,
            date_of_birth=_birth_date(rng, opened, 18, 65),
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}, {_postcode(rng)}",
            # Ofcom's drama range and example.com: these can never reach a real person.
            phone=f"07700 900{rng.randint(0, 999):03d}",
            email=f"{given}.{family}{rng.randint(1, 99)}@example.com".lower(),
            created_by=author,
        )
        roll = rng.random()
        if roll < 0.15:  # the stalker is not yet identified; victims are supported all the same
            suspect = Person(unit=unit, created_by=author)
            role = ParticipantRole.SUSPECT
        else:
            suspect_given = rng.choice(GIVEN_NAMES[20:] if rng.random() < 0.85 else GIVEN_NAMES[:20])
            suspect = Person(
                unit=unit,
                given_name=suspect_given,
                family_name=rng.choice(FAMILY_NAMES),
                gender=Gender.MALE if suspect_given in GIVEN_NAMES[20:] else Gender.FEMALE,
                date_of_birth=_birth_date(rng, opened, 18, 70),
                created_by=author,
            )
            role = ParticipantRole.PERPETRATOR if roll < 0.7 else ParticipantRole.SUSPECT
        for person in (victim, suspect):
            self.written_at[id(person)] = opened
        return victim, suspect, role

    def _notes(
        self, case: Case, manager: User, members: dict[str, User], team: Sequence[User], until: datetime
    ) -> list[CaseNote]:
        rng = self.rng
        written = [(Compartment.TEAM, manager, NOTES[Compartment.TEAM][0])]
        written.append((Compartment.POLICE, members[Compartment.POLICE], rng.choice(NOTES[Compartment.POLICE])))
        for compartment in (Compartment.HEALTH, Compartment.ADVOCACY):
            if compartment in members:
                written.append((compartment, members[compartment], rng.choice(NOTES[compartment])))
        if Compartment.ADVOCACY in members and rng.random() < 0.3:
            contact = rng.choice(NOTES[Compartment.VICTIM_CONTACT])
            written.append((Compartment.VICTIM_CONTACT, members[Compartment.ADVOCACY], contact))
        if (until - case.opened_at).days > 21:
            written.append((Compartment.TEAM, rng.choice(team), rng.choice(NOTES[Compartment.TEAM][1:])))
        span = max((until - case.opened_at).total_seconds(), 3600.0)
        notes = []
        for step, (compartment, author, body) in enumerate(written):
            # The triage note within the hour; the rest spread over the case's life, in order.
            if step == 0:
                at = case.opened_at + timedelta(minutes=rng.randint(5, 55))
            else:
                at = case.opened_at + timedelta(seconds=span * (step + rng.random()) / len(written))
            note = CaseNote(case=case, compartment=compartment, body=body, created_by=author)
            self.written_at[id(note)] = at
            notes.append(note)
        return notes


@dataclass(frozen=True)
class _Planned:
    source: Agency
    received: datetime
    decided: datetime
    accepted: bool
    serial: bool = False


_TRIAGE_STAFF = tuple(
    spec
    for spec in (*SIGN_IN_USERS, *COLLEAGUES)
    if spec.role in (Role.UNIT_MANAGER, Role.POLICE_INVESTIGATOR, Role.CLINICIAN)
)
_FOUR = ("fixated", "obsessive", "unwanted", "repeated")


@dataclass(frozen=True)
class _Intake:
    urgency: Urgency
    relationship: Relationship
    behaviours: tuple[str, ...]
    existing_orders: str
    consent_to_referral: bool
    consent_to_sharing: bool
    summary: str

    def fields(self, received_on: date) -> dict[str, object]:
        """As Referral fields; consent is recorded on the day of the referral."""
        return {
            "urgency": self.urgency,
            "relationship": self.relationship,
            "behaviours": list(self.behaviours),
            "existing_orders": self.existing_orders,
            "consent_to_referral": self.consent_to_referral,
            "consent_to_referral_on": received_on,
            "consent_to_sharing": self.consent_to_sharing,
            "consent_to_sharing_on": received_on,
            "summary": self.summary,
        }

    def draft(
        self, received_on: date, subjects: tuple[SubjectEntry, ...], external_reference: str = ""
    ) -> ReferralDraft:
        return ReferralDraft(
            urgency=self.urgency,
            relationship=self.relationship,
            behaviours=self.behaviours,
            existing_orders=self.existing_orders,
            consent_to_referral=self.consent_to_referral,
            consent_to_referral_on=received_on,
            consent_to_sharing=self.consent_to_sharing,
            consent_to_sharing_on=received_on,
            summary=self.summary,
            external_reference=external_reference,
            subjects=subjects,
        )


def _subject_for(referral: Referral, role: str, person: Person) -> ReferralSubject:
    """The person as the referral named them, linked to their record at screening; a suspect
    nobody could name is recorded as not identified, with no record to link."""
    if role == SubjectRole.SUSPECT and not person.given_name:
        return ReferralSubject(referral=referral, role=role, unidentified=True, created_by=referral.created_by)
    return ReferralSubject(
        referral=referral,
        role=role,
        given_name=person.given_name,
        family_name=person.family_name,
        date_of_birth=person.date_of_birth,
        gender=person.gender,
        phone=person.phone,
        person=person,
        created_by=referral.created_by,
    )


class _OpenQueue:
    """The referrals still waiting for a decision, made through the intake services: sent by
    the police records system (API or file import) or on the web form, some assigned to a
    screener, some screened with the people they name matched, the oldest overdue. One of them
    names the unit's serial stalker under another spelling, for a screener to match; the demo
    referrer also has a draft to resume."""

    def __init__(self, builder: _Builder, unit: Unit, staff: dict[str, User], agencies: dict[str, Agency]) -> None:
        self.builder = builder
        self.rng = builder.rng
        self.unit = unit
        self.senders = {
            "records": builder.records_system,
            "referrer": staff[demo_email("referrer")],
            "advocate": staff[demo_email("advocate")],
        }
        self.manager = staff[demo_email("manager")]
        self.screeners = _rota(self.rng, [staff[demo_email("investigator")], staff[demo_email("clinician")]])

    def build(self) -> list[Referral]:
        made = [self._one(number, spec) for number, spec in enumerate(OPEN_QUEUE, start=1)]
        now = self.builder.now
        later = self.builder._intake(now)
        referral_save_draft(
            actor=self.senders["referrer"],
            unit=self.unit,
            draft=replace(
                later.draft(timezone.localdate(now), (self._victim(),)),
                summary="Started after a call from the victim's landlord; suspect details to follow.",
            ),
        )
        return made

    def _victim(self) -> SubjectEntry:
        rng = self.rng
        given, family = rng.choice(GIVEN_NAMES[:20]), rng.choice(FAMILY_NAMES)
        return SubjectEntry(
            role=SubjectRole.VICTIM,
            given_name=given,
            family_name=family,
            gender=Gender.FEMALE,
            date_of_birth=_birth_date(rng, self.builder.now, 18, 65),
            phone=f"07700 900{rng.randint(0, 999):03d}",
            email=f"{given}.{family}{rng.randint(1, 99)}@example.com".lower(),
        )

    def _suspect(self, kind: str) -> SubjectEntry:
        rng = self.rng
        given, family, born = SERIAL_SUSPECT
        if kind == "unidentified":
            return SubjectEntry(role=SubjectRole.SUSPECT, unidentified=True)
        if kind == "serial":  # as a partner spelt him: matching should still find him
            return SubjectEntry(role=SubjectRole.SUSPECT, given_name="Steve", family_name="Caldwel", date_of_birth=born)
        if kind == "serial_linked":
            return SubjectEntry(role=SubjectRole.SUSPECT, given_name=given, family_name=family, date_of_birth=born)
        return SubjectEntry(
            role=SubjectRole.SUSPECT,
            given_name=rng.choice(GIVEN_NAMES[20:]),
            family_name=rng.choice(FAMILY_NAMES),
            gender=Gender.MALE,
            date_of_birth=_birth_date(rng, self.builder.now, 18, 70) if rng.random() < 0.7 else None,
        )

    def _one(self, number: int, spec: OpenReferral) -> Referral:
        rng = self.rng
        received = self.builder.now - timedelta(days=spec.days_ago, hours=rng.randint(1, 4))
        intake = replace(self.builder._intake(received), urgency=spec.urgency)
        if spec.suspect.startswith("serial"):
            intake = replace(intake, relationship=Relationship.STRANGER)
        subjects = (self._victim(), self._suspect(spec.suspect))
        sender = self.senders[spec.sender]
        received_on = timezone.localdate(received)
        if spec.channel == Channel.WEB:
            draft = referral_save_draft(actor=sender, unit=self.unit, draft=intake.draft(received_on, subjects))
            referral = referral_submit(
                actor=sender, referral=draft, expected_version=draft.version, received_at=received
            )
        else:
            reference = f"NP-{received:%y%m%d}-{number:03d}"
            referral, _ = referral_receive(
                actor=sender,
                unit=self.unit,
                draft=intake.draft(received_on, subjects, external_reference=reference),
                channel=spec.channel,
                received_at=received,
            )
        if spec.stage in ("assigned", "screened"):
            self._screen(referral, full=spec.stage == "screened")
        return referral

    def _screen(self, referral: Referral, *, full: bool) -> None:
        screener = next(self.screeners)
        referral_assign_screener(
            actor=self.manager, referral=referral, screener=screener, expected_version=referral.version
        )
        if not full:
            return
        rng = self.rng
        screening_save(
            actor=screener,
            referral=referral,
            fixated=FourAnswer.YES,
            obsessive=FourAnswer.YES,
            unwanted=FourAnswer.YES,
            repeated=FourAnswer.YES,
            answers={q: rng.choice(("yes", "no", "unknown")) for q in CURRENT_QUESTION_SET.question_ids()},
            notes="Spoke to the referrer to confirm the timeline of incidents.",
        )
        for subject in ReferralSubject.unscoped.filter(referral=referral, unidentified=False).select_related(
            "referral__unit"
        ):
            if (subject.given_name, subject.family_name, subject.date_of_birth) == SERIAL_SUSPECT:
                referral_subject_link(actor=screener, subject=subject, person=self.builder.serial)
            else:
                referral_subject_create_person(actor=screener, subject=subject)


def _referral_summary(rng: random.Random, relationship: Relationship, behaviours: Sequence[str]) -> str:
    described = [Behaviour(b).label.lower() for b in behaviours]
    listed = ", ".join(described[:-1]) + f" and {described[-1]}" if len(described) > 1 else described[0]
    return f"{relationship.label}: {listed}. {rng.choice(CONTEXTS)}"


class _YearCounter:
    """Reference numbers restart each calendar year, as a unit's registers do."""

    def __init__(self) -> None:
        self._counters: dict[int, Iterator[int]] = {}

    def next(self, year: int) -> int:
        return next(self._counters.setdefault(year, count(1)))


def _apportion(total: int, specs: Sequence[AgencySpec]) -> list[tuple[str, int]]:
    """Whole counts in proportion to each share that add up to `total` (largest remainders)."""
    exact = [(spec.key, total * spec.referral_share) for spec in specs]
    counts = {key: int(share) for key, share in exact}
    by_remainder = sorted(exact, key=lambda item: item[1] - int(item[1]), reverse=True)
    for key, _ in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return list(counts.items())


def _rota(rng: random.Random, members: Sequence[User]) -> Iterator[User]:
    while True:
        turn = list(members)
        rng.shuffle(turn)
        yield from turn


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]


def _answers_for(rng: random.Random, definition: Definition, level: str) -> dict[str, str]:
    """Answers to a yes/no screen that the engine scores at `level`: "no" to everything, then
    "yes" to one more item at a time until the level is reached (some "unknown" besides)."""
    items = [item.id for item in definition.items]
    answers = {item_id: ("unknown" if rng.random() < 0.1 else "no") for item_id in items}
    rng.shuffle(items)
    for item_id in items:
        if (score(definition, answers).level or "low") == level:
            break
        answers[item_id] = "yes"
    return answers


DEMO_ESCALATION = (
    ("comm_text", 0.35),
    ("comm_phone", 0.1),
    ("loitering", 0.15),
    ("online_monitoring", 0.05),
    ("turning_up_home", 0.1),
    ("turning_up_work", 0.08),
    ("items_left", 0.05),
    ("threat_harm", 0.05),
    ("threat_kill", 0.03),
    ("breach_order", 0.04),
)
DEMO_ACKNOWLEDGEMENTS = (
    "Discussed at the weekly case review; the safety plan was updated with the victim.",
    "Risk re-assessed the same week; the victim was told and the police marker renewed.",
    "Raised with the officer in the case, who arrested him for the breach two days later.",
)
DEMO_ENTRY_TEXT = (
    "Messages through the night asking to meet.",
    "Seen across the road from the house for about an hour.",
    "Called the victim's mother asking where she is living now.",
    "Left flowers and a card on the doorstep.",
    "Posted about the victim on a public profile.",
    "Waiting in the car park at the end of her shift.",
    "Voicemails, calm at first and then angry.",
)


def _describe(rng: random.Random) -> str:
    relationship = _weighted(rng, RELATIONSHIPS)
    first, second = rng.sample(BEHAVIOURS, 2)
    return f"{relationship}: {first}, and {second}. {rng.choice(CONTEXTS)}"


def _postcode(rng: random.Random) -> str:
    # "NS" is no real postcode area, so no address here is anyone's.
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"NS{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def _birth_date(rng: random.Random, at: datetime, youngest: int, oldest: int) -> date:
    return at.date() - timedelta(days=rng.randint(youngest * 365, oldest * 365))


# --- Signing in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    email: str
    full_name: str
    role_label: str
    totp_secret: str  # base32, as an authenticator app expects it


def demo_logins() -> list[DemoLogin]:
    """The sign-in accounts of the demo unit, in role order, with their TOTP secrets."""
    devices = {
        device.user.email: device
        for device in TOTPDevice.objects.filter(user__email__in=SIGN_IN_EMAILS, confirmed=True).select_related("user")
    }
    logins = []
    for spec in SIGN_IN_USERS:
        device = devices.get(demo_email(spec.local_part))
        if device is not None:
            secret = b32encode(device.bin_key).decode()
            logins.append(DemoLogin(device.user.email, device.user.full_name, spec.role.label, secret))
    return logins


def demo_caseload_example(email: str) -> tuple[int, int, str | None]:
    """For the break-glass hint: the account's caseload size, the unit's case count, and one
    case reference of the unit outside that caseload."""
    unit = demo_unit()
    if unit is None:
        return 0, 0, None
    # Direct queries, not visible_to: this is the demo's own report of what it created.
    unit_cases = Case.unscoped.filter(unit=unit)
    mine = CaseTeamMember.objects.filter(case__unit=unit, user__email=email).values("case_id")
    outside = unit_cases.exclude(pk__in=mine).order_by("reference").values_list("reference", flat=True).first()
    return unit_cases.filter(pk__in=mine).count(), unit_cases.count(), outside


@dataclass(frozen=True)
class DemoCode:
    code: str
    seconds_left: int


def demo_code_for(email: str) -> DemoCode:
    """The current TOTP code of a demo sign-in account. Raises DemoError outside demo settings,
    or for any account that is not one of the demo's sign-in accounts."""
    require_demo_settings("demo_code")
    email = email.strip().lower()
    device = TOTPDevice.objects.filter(user__email=email, confirmed=True).first() if email in SIGN_IN_EMAILS else None
    if device is None:
        raise DemoError(
            f"{email} is not a demo account. demo_code only gives codes for the demo unit's sign-in accounts, "
            f"such as {demo_email('manager')}; run `make demo` first if the demo unit is not loaded."
        )
    now = time.time()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = now
    seconds_left = device.step - int(now - device.t0) % device.step
    return DemoCode(code=f"{totp.token():0{device.digits}d}", seconds_left=seconds_left)

"""Walk every URL pattern as every role and check the outcome against the policy table.

Each view declares its permission (masip.access.decorators, or `masip_permission` / permission
classes on API views). From that declaration and the policy tables this test works out what
each role should get, and then asks the running application. A view with no declaration, or a
URL argument this walk does not know how to fill, fails the test: teach it, don't skip it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.permissions import AllowAny

from masip.access.decorators import ViewPermission
from masip.access.models import BreakGlassGrant, CaseRole
from masip.access.policy import Action, Capability, Compartment, allows, has_capability
from masip.accounts.models import Invitation, Role
from masip.api.permissions import SignedIn
from masip.cases.models import ParallelProcess, ProcessKind
from masip.referrals.models import ImportJob, ImportStatus, ReferralStatus, ReferralSubject, SubjectRole
from masip.risk.models import Formulation, RiskEvent, RiskEventKind
from masip.timeline.models import RedFlagAlert
from masip.work.models import Task
from tests.conftest import verified_client
from tests.factories import (
    CaseFactory,
    CaseNoteFactory,
    ParticipantFactory,
    ReferralFactory,
    TeamMemberFactory,
    UnitFactory,
    member,
)


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: Any

    @property
    def permission(self) -> ViewPermission | None:
        declared = getattr(self.callback, "masip_permission", None)
        if declared is not None:
            return declared
        view_class = getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)
        if view_class is None:
            return None
        declared = getattr(view_class, "masip_permission", None)
        if declared is not None:
            return declared
        if "permission_classes" not in _own_attributes(view_class):
            return None  # inherits the DenyAll default: an undeclared API view
        classes = list(view_class.permission_classes)
        capabilities = [c.masip_capability for c in classes if hasattr(c, "masip_capability")]
        if capabilities:
            return ViewPermission("capability", capability=capabilities[0])
        if any(issubclass(c, SignedIn) for c in classes):
            return ViewPermission("signed_in")
        if classes and all(issubclass(c, AllowAny) for c in classes):
            return ViewPermission("public")
        return None


def _own_attributes(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("masip") or klass.__module__.startswith("drf_spectacular"):
            names |= set(vars(klass))
    return names


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}:{entry.namespace}" if entry.namespace and namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(name=name, pattern=prefix + str(entry.pattern), callback=entry.callback)


def routes() -> list[Route]:
    return [r for r in _walk(get_resolver().url_patterns) if not r.pattern.startswith("static")]


def test_every_view_declares_its_permission():
    undeclared = [f"{r.name or '(unnamed)'}  {r.pattern}" for r in routes() if r.permission is None]
    assert not undeclared, "Views without a declared permission:\n" + "\n".join(undeclared)


def test_the_walk_covers_the_core_pages():
    names = {r.name for r in routes()}
    assert {"home", "cases:list", "cases:detail", "audit:list", "accounts:members", "api:case-list"} <= names


class World:
    """One unit with one user of the role under test, a case (with the user on its team when
    the role works cases), notes in every compartment, and a second member to administer."""

    def __init__(self, role: Role) -> None:
        self.unit = UnitFactory()
        self.user = member(role, unit=self.unit)
        self.case = CaseFactory(unit=self.unit)
        if has_capability(role, Capability.WORK_CASES):
            TeamMemberFactory(case=self.case, user=self.user)
        self.participant = ParticipantFactory(case=self.case)
        for compartment in Compartment:
            if compartment != Compartment.VICTIM_CONTACT:
                CaseNoteFactory(case=self.case, compartment=compartment)
        # The user's own entry: a health note when their role writes clinical notes (so it can
        # be released), a team note otherwise.
        self.own_note = CaseNoteFactory(
            case=self.case,
            created_by=self.user,
            compartment=Compartment.HEALTH if allows(role, Compartment.HEALTH, Action.CREATE) else Compartment.TEAM,
        )
        self.colleague = member(Role.OUTREACH_WORKER, unit=self.unit)
        self.team_member = TeamMemberFactory(case=self.case, user=self.colleague, role_on_case=CaseRole.OUTREACH_WORKER)
        self.process = ParallelProcess.unscoped.create(
            case=self.case, kind=ProcessKind.MARAC, lead_agency="Local MARAC", started_on=timezone.localdate()
        )
        self.grant = BreakGlassGrant.objects.create(
            case=self.case,
            user=self.colleague,
            reason="Duty call from the victim out of hours",
            until=timezone.now() + timedelta(hours=1),
        )
        token, token_hash = Invitation.new_token()
        self.invitation_token = token
        Invitation.objects.create(
            email="new.member@example.org",
            full_name="New Member",
            unit=self.unit,
            role=Role.OUTREACH_WORKER,
            agency=self.unit.lead_agency,
            token_hash=token_hash,
            invited_by=self.colleague,
            expires_at=timezone.now() + timedelta(days=7),
        )
        self.task = Task.unscoped.create(case=self.case, title="Call the victim", due_date=timezone.localdate())
        self.api_token_id = self._api_token()
        self.evidence = self._evidence()
        self.instrument_version = _instrument_version(self.unit)
        # A draft formulation and a risk event the whole case team may read.
        self.formulation = Formulation.unscoped.create(
            unit=self.unit,
            case=self.case,
            compartment=Compartment.TEAM,
            assessor=self.colleague,
            assessed_on=timezone.localdate(),
        )
        self.risk_event = RiskEvent.unscoped.create(
            case=self.case, kind=RiskEventKind.BREACH, occurred_on=timezone.localdate(), compartment=Compartment.TEAM
        )
        # An open red flag in the team compartment (every case role may read it).
        self.alert = RedFlagAlert.unscoped.create(
            case=self.case,
            rule_key="weapon",
            fingerprint="0" * 64,
            title="Weapon",
            explanation="Weapon shown.",
            occurred_on=timezone.localdate(),
        )
        self.vcop_update = _vcop_update(self.case, self.participant)
        self._referrals(role)
        # Version 1 of the victim's safety plan, so its page ("number" 1) opens.
        from masip.interventions.models_safety import SafetyPlan, SafetyPlanVersion

        plan = SafetyPlan.unscoped.create(case=self.case, participant=self.participant, created_by=self.colleague)
        SafetyPlanVersion.unscoped.create(
            plan=plan, case=self.case, number=1, risks="Waits outside work", review_on=timezone.localdate()
        )
        self.assessment = self._assessment()
        self._timeline()
        self._perpetrator_interventions()
        # An order in force (team compartment) on the case.
        from masip.interventions.models_legal import Order, OrderKind, OrderStatus

        self.order = Order.unscoped.create(
            case=self.case,
            kind=OrderKind.SPO,
            status=OrderStatus.IN_FORCE,
            starts_on=timezone.localdate(),
            until_further_order=True,
        )
        self._panel(role)
        self._training()
        # A checked referral import of the unit, uploaded by the user when their role screens
        # referrals; its file is only the header, so confirming it imports nothing.
        self.import_job = ImportJob.unscoped.create(
            unit=self.unit,
            created_by=self.user if has_capability(role, Capability.TRIAGE_REFERRALS) else self.colleague,
            file_name="referrals.csv",
            size=0,
            sha256="0" * 64,
            status=ImportStatus.CHECKED,
            content="reference,agency,received_date,consent_to_referral,victim_given_name,victim_family_name\n",
        )

    def _panel(self, role: Role) -> None:
        """A schedule and a meeting of the unit in progress and quorate, chaired by the user when
        their role chairs panels (by a manager colleague otherwise), with the user attending when
        their role attends panels; the case on its agenda with a team note, a decision and an
        action owned by the colleague; the user's own request to bring the case; the minutes'
        draft."""
        from masip.accounts.models import Agency, AgencyKind
        from masip.panel.models import (
            AgendaItem,
            AgendaRequest,
            Attendance,
            DecisionOption,
            DiscussionNote,
            ItemDecision,
            Meeting,
            MeetingMember,
            MeetingStatus,
            Minutes,
            PanelAction,
            PanelSchedule,
        )

        chair = self.user if has_capability(role, Capability.CHAIR_PANEL) else member(Role.UNIT_MANAGER, unit=self.unit)
        now = timezone.now()
        self.schedule = PanelSchedule.objects.create(
            unit=self.unit, starts_on=timezone.localdate(), start_time="10:00", chair=chair
        )
        self.meeting = Meeting.objects.create(
            unit=self.unit,
            schedule=self.schedule,
            starts_at=now - timedelta(minutes=30),
            ends_at=now + timedelta(minutes=90),
            chair=chair,
            status=MeetingStatus.IN_PROGRESS,
            opened_at=now - timedelta(minutes=30),
        )
        police = Agency.objects.create(name=f"Police of {self.unit.code}", kind=AgencyKind.POLICE)
        probation = Agency.objects.create(name=f"Probation of {self.unit.code}", kind=AgencyKind.PROBATION)
        for person, agency in ((chair, police), (self.colleague, probation)):
            MeetingMember.objects.create(
                meeting=self.meeting, user=person, name=person.full_name, agency=agency, attendance=Attendance.ATTENDED
            )
        if has_capability(role, Capability.ATTEND_PANEL) and chair != self.user:
            MeetingMember.objects.create(
                meeting=self.meeting,
                user=self.user,
                name=self.user.full_name,
                agency=police,
                attendance=Attendance.ATTENDED,
            )
        self.panel_item = AgendaItem.unscoped.create(meeting=self.meeting, case=self.case, position=1)
        DiscussionNote.unscoped.create(item=self.panel_item, case=self.case, text="Escalating since the order.")
        self.decision_option = DecisionOption.objects.create(unit=self.unit, key="civil_order", label="Civil order")
        ItemDecision.unscoped.create(item=self.panel_item, case=self.case, option=self.decision_option)
        action_task = Task.unscoped.create(
            case=self.case, title="Apply for an SPO", owner=self.colleague, due_date=timezone.localdate()
        )
        self.panel_action = PanelAction.unscoped.create(
            item=self.panel_item,
            meeting=self.meeting,
            case=self.case,
            title="Apply for an SPO",
            owner=self.colleague,
            agency=police,
            due_on=timezone.localdate(),
            task=action_task,
        )
        self.agenda_request = AgendaRequest.unscoped.create(
            unit=self.unit, case=self.case, reason="New threats at work", created_by=self.user
        )
        Minutes.objects.create(meeting=self.meeting)

    def _training(self) -> None:
        """The unit's training: a topic with an outcome, an agenda, an enquiry, an organisation,
        a delivery (held today, with that agenda) with a named attendee."""
        from masip.training.models import (
            Agenda,
            AgendaItem,
            AgendaItemKind,
            Attendee,
            AttendeeRole,
            Delivery,
            Enquiry,
            LearningOutcome,
            Organisation,
            OrganisationKind,
            Topic,
            UkRegion,
        )

        today = timezone.localdate()
        self.topic = Topic.objects.create(
            unit=self.unit, key="what-stalking-is", title="What stalking is", min_minutes=20, max_minutes=40
        )
        LearningOutcome.objects.create(topic=self.topic, text="Tell stalking from harassment")
        self.training_agenda = Agenda.objects.create(unit=self.unit, title="Half day for SPOCs", slot_minutes=210)
        AgendaItem.objects.create(
            agenda=self.training_agenda,
            position=1,
            kind=AgendaItemKind.TOPIC,
            topic=self.topic,
            title="What stalking is",
            minutes=30,
        )
        organisation = Organisation.objects.create(unit=self.unit, name="Constabulary", kind=OrganisationKind.POLICE)
        self.enquiry = Enquiry.objects.create(
            unit=self.unit,
            reference=f"{self.unit.code}-TRN-2026-0001",
            organisation_name="Constabulary",
            organisation_kind=OrganisationKind.POLICE,
            region=UkRegion.WALES,
            contact_name="Sam Price",
            email="sam.price@example.org",
            source_digest="0" * 64,
        )
        self.delivery = Delivery.objects.create(
            unit=self.unit,
            reference=f"{self.unit.code}-DEL-2026-0001",
            organisation=organisation,
            title="Stalking awareness",
            date=today,
            agenda=self.training_agenda,
            feedback_closes_on=today + timedelta(days=14),
        )
        self.attendee = Attendee.objects.create(
            delivery=self.delivery, name="Alex Jones", organisation=organisation, role=AttendeeRole.SPOCS
        )

    def _referrals(self, role: Role) -> None:
        """A received referral and a draft, made by the user when their role can refer (so the
        referrer's own pages open) and by a colleague otherwise; the referral names the case's
        participant as its suspect."""
        referrer = self.user if has_capability(role, Capability.SUBMIT_REFERRALS) else self.colleague
        self.referral = ReferralFactory(unit=self.unit, referred_by=referrer, status=ReferralStatus.RECEIVED)
        self.draft = ReferralFactory(
            unit=self.unit, referred_by=referrer, status=ReferralStatus.DRAFT, received_at=None
        )
        self.person = self.participant.person
        self.subject = ReferralSubject.unscoped.create(
            referral=self.referral,
            role=SubjectRole.SUSPECT,
            given_name=self.person.given_name,
            family_name=self.person.family_name,
            person=self.person,
        )

    def _evidence(self) -> Any:
        """An exhibit in the team compartment, uploaded by the colleague (every case role may view it)."""
        from masip.evidence.services import evidence_upload

        return evidence_upload(
            actor=self.colleague,
            case=self.case,
            data=b"\x89PNG\r\n\x1a\n" + bytes(64),
            file_name="screenshot.png",
            compartment=Compartment.TEAM,
            kind="screenshot",
            description="Messages received overnight",
            captured_by="PC 1234 Jones",
            captured_from="The victim's phone",
            captured_at=timezone.now(),
        )

    def _timeline(self) -> None:
        """The user's own timeline entry in the team compartment, and a checked incident log they
        uploaded (one valid row, so confirming it imports one entry)."""
        from masip.timeline.models import BehaviourType, TimelineEntry, TimelineImport

        self.timeline_entry = TimelineEntry.unscoped.create(
            case=self.case, occurred_on=timezone.localdate(), reported_by="victim", created_by=self.user
        )
        self.timeline_entry.behaviours.add(BehaviourType.objects.get(code="comm_text"))
        self.timeline_import = TimelineImport.unscoped.create(
            case=self.case,
            created_by=self.user,
            file_name="log.csv",
            size=0,
            sha256="0" * 64,
            content=f"date,behaviours\n{timezone.localdate():%Y-%m-%d},comm_text\n",
            total_rows=1,
        )

    def _perpetrator_interventions(self) -> None:
        """The case's suspect; the user's own social-support intervention with them (team), and a
        treatment programme (health) with one planned session."""
        from masip.cases.models import ParticipantRole
        from masip.interventions.models_perpetrator import InterventionKind, PerpetratorIntervention, ProgrammeSession

        suspect = ParticipantFactory(case=self.case, role=ParticipantRole.SUSPECT)
        self.intervention = PerpetratorIntervention.unscoped.create(
            case=self.case,
            participant=suspect,
            kind=InterventionKind.SOCIAL_SUPPORT,
            compartment=Compartment.TEAM,
            created_by=self.user,
        )
        self.programme = PerpetratorIntervention.unscoped.create(
            case=self.case,
            participant=suspect,
            kind=InterventionKind.TREATMENT_PROGRAMME,
            compartment=Compartment.HEALTH,
        )
        self.programme_session = ProgrammeSession.unscoped.create(
            case=self.case, programme=self.programme, number=1, planned_on=timezone.localdate()
        )

    def _assessment(self) -> Any:
        """The user's own draft assessment with an instrument every case role may use, in the team
        compartment; made at screening on the referral, and since moved to the case."""
        from masip.risk.models import Assessment
        from tests.risk.assessment_helpers import count_yes_definition, store_version

        return Assessment.unscoped.create(
            unit=self.unit,
            case=self.case,
            referral=self.referral,
            instrument_version=store_version(count_yes_definition(), unit=self.unit),
            assessor=self.user,
            assessed_on=timezone.localdate(),
        )

    def _api_token(self) -> str:
        from knox.models import AuthToken

        from masip.accounts.models import Membership

        system = member(Role.PARTNER_REFERRER, unit=self.unit, is_service_account=True)
        Membership.objects.filter(user=system).update(role=Role.PARTNER_REFERRER)
        instance, _ = AuthToken.objects.create(system)
        return str(instance.pk)

    def kwargs_for(self, route: Route) -> dict[str, Any]:
        fill = {
            "case_id": self.case.pk,
            "membership_id": self.colleague.memberships.get().pk,
            "user_id": self.colleague.pk,
            "grant_id": self.grant.pk,
            "token": self.invitation_token,
            "token_id": self.api_token_id,
            "pk": self.case.pk,
            "referral_id": self.referral.pk,
            "draft_id": self.draft.pk,
            "subject_id": self.subject.pk,
            "person_id": self.person.pk,
            "number": 1,  # the first victim or suspect of a draft
            "import_id": self.import_job.pk,
            "task_id": self.task.pk,
            "note_id": self.own_note.pk,
            "member_id": self.team_member.pk,
            "participant_id": self.participant.pk,
            "process_id": self.process.pk,
            "evidence_id": self.evidence.pk,
            "version_id": self.instrument_version.pk,
            "assessment_id": self.assessment.pk,
            "formulation_id": self.formulation.pk,
            "event_id": self.risk_event.pk,
            "entry_id": self.timeline_entry.pk,
            "log_id": self.timeline_import.pk,
            "alert_id": self.alert.pk,
            "intervention_id": self.intervention.pk,
            "programme_id": self.programme.pk,
            "session_id": self.programme_session.pk,
            "update_id": self.vcop_update.pk,
            "order_id": self.order.pk,
            "meeting_id": self.meeting.pk,
            "item_id": self.panel_item.pk,
            "schedule_id": self.schedule.pk,
            "request_id": self.agenda_request.pk,
            "action_id": self.panel_action.pk,
            "option_id": self.decision_option.pk,
            "topic_id": self.topic.pk,
            "agenda_id": self.training_agenda.pk,
            "enquiry_id": self.enquiry.pk,
            "delivery_id": self.delivery.pk,
            "attendee_id": self.attendee.pk,
        }
        wanted = _url_arguments(route)
        unknown = wanted - fill.keys()
        assert not unknown, f"Teach the permission walk how to fill {sorted(unknown)} for {route.name}"
        return {name: fill[name] for name in wanted}


def _vcop_update(case: Any, victim: Any) -> Any:
    """An open Victims' Code update owed to the case's victim after an arrest an hour ago."""
    from masip.interventions.models_vcop import VcopEvent, VcopEventKind, VcopUpdateDue

    event = VcopEvent.unscoped.create(
        case=case, kind=VcopEventKind.ARREST, occurred_at=timezone.now() - timedelta(hours=1)
    )
    return VcopUpdateDue.unscoped.create(
        case=case, event=event, participant=victim, enhanced_rights=True, due_on=timezone.localdate()
    )


def _instrument_version(unit: Any) -> Any:
    """A version of an instrument of the unit (its manager may see and withdraw it)."""
    from masip.risk.loading import instrument_load
    from masip.risk.management.commands.load_instrument import SHIPPED_DIR

    text = (SHIPPED_DIR / "masip-test-instrument.yaml").read_bytes()
    return instrument_load(actor=None, unit=unit, text=text, filename="masip-test-instrument.yaml")


_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>")


def _url_arguments(route: Route) -> set[str]:
    return set(_ARGUMENT.findall(route.pattern))


def expected_allowed(permission: ViewPermission, role: Role) -> bool:
    if permission.kind in ("public", "signed_in"):
        return True
    if permission.kind == "capability":
        assert permission.capability is not None
        return has_capability(role, permission.capability)
    assert permission.compartment is not None
    assert permission.action is not None
    sees_case = has_capability(role, Capability.WORK_CASES) or has_capability(role, Capability.OVERSEE_UNIT_CASELOAD)
    return sees_case and allows(role, permission.compartment, permission.action)


def outcome(client: Client, url: str, is_api: bool) -> tuple[str, int]:
    response = client.get(url, HTTP_ACCEPT="application/json" if is_api else "text/html")
    if response.status_code == 405:
        response = client.post(url, {})
    status = response.status_code
    assert status < 500, f"{url} answered {status}"
    if status in (401, 403, 404):
        return "denied", status
    if status in (301, 302):
        location = response["Location"]
        # Sign-in redirects carry ?next=; signing out also lands on the sign-in page, without it.
        sent_to_sign_in = location.startswith(reverse("accounts:login")) and "next=" in location
        if sent_to_sign_in or location.startswith(reverse("accounts:second_factor")):
            return "denied", status
    return "allowed", status


WALKED_ROUTES = [r for r in routes() if r.permission is not None and r.permission.kind != "public"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_gets_what_the_policy_table_says(role: Role):
    mismatches = []
    for route in WALKED_ROUTES:
        world = World(role)
        permission = route.permission
        assert permission is not None
        url = reverse(route.name, kwargs=world.kwargs_for(route))
        got, status = outcome(verified_client(world.user), url, is_api=route.name.startswith("api:"))
        want = "allowed" if expected_allowed(permission, role) else "denied"
        if got != want:
            mismatches.append(f"{route.name} ({permission.describe()}): expected {want}, got {got} ({status})")
    assert not mismatches, f"As {role.label}:\n" + "\n".join(mismatches)


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_everywhere_but_public_pages():
    world = World(Role.UNIT_MANAGER)
    for route in WALKED_ROUTES:
        url = reverse(route.name, kwargs=world.kwargs_for(route))
        got, status = outcome(Client(), url, is_api=route.name.startswith("api:"))
        assert got == "denied", f"{route.name} let an anonymous visitor in ({status})"


@pytest.mark.django_db
def test_password_without_second_factor_reaches_nothing_but_public_pages():
    world = World(Role.UNIT_MANAGER)
    client = Client()
    client.force_login(world.user)  # signed in with a password, second factor not yet passed
    for route in WALKED_ROUTES:
        url = reverse(route.name, kwargs=world.kwargs_for(route))
        got, status = outcome(client, url, is_api=route.name.startswith("api:"))
        assert got == "denied", f"{route.name} let a user in before the second factor ({status})"


def test_expectations_cover_allowed_and_denied_for_every_role():
    # Guards the walk against a policy table where nothing is denied (or allowed) by accident.
    for role in Role:
        if role in (Role.PARTNER_REFERRER, Role.ANALYST, Role.TRAINER, Role.SYSTEM_ADMINISTRATOR):
            assert not expected_allowed(ViewPermission("case", compartment=Compartment.TEAM, action=Action.VIEW), role)
        else:
            assert expected_allowed(ViewPermission("case", compartment=Compartment.TEAM, action=Action.VIEW), role)

"""The demo unit: the shape the README promises, loaded once, signed into with its second factor."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max, Min
from django.test import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.access.models import CaseTeamMember
from masip.accounts.models import AgencyKind, Membership, Role, Unit, User
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import Case, CaseNote, CaseParticipant, ParticipantRole
from masip.core.demo import (
    DEMO_PASSWORD,
    OPEN_QUEUE,
    OVERDUE_AT_LEAST,
    SERIAL_SUSPECT,
    SIGN_IN_USERS,
    UNIT_CODE,
    demo_email,
)
from masip.people.matching import PersonDetails, person_candidates
from masip.people.models import Person
from masip.people.selectors import person_history_for
from masip.referrals.models import (
    Channel,
    Referral,
    ReferralStatus,
    ReferralSubject,
    Screening,
    SubjectRole,
    TriageDecision,
)
from masip.referrals.selectors import candidates_for_subject, referrals_of_referrer, screening_queue

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = StringIO()
    call_command("demo_unit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return load("--seed", "7")


def test_referrals_and_decisions_match_the_first_ten_months(demo):
    referrals = Referral.unscoped.filter(unit__code=UNIT_CODE, status=ReferralStatus.DECIDED)
    assert referrals.count() == 260
    decisions = Counter(referrals.values_list("decision", flat=True))
    assert decisions == {TriageDecision.ACCEPTED: 83, TriageDecision.PARTNER_MANAGED: 177}
    assert not referrals.filter(decision=TriageDecision.ACCEPTED, case__isnull=True).exists()
    assert not referrals.filter(decision=TriageDecision.PARTNER_MANAGED, case__isnull=False).exists()
    assert Case.unscoped.filter(unit__code=UNIT_CODE).count() == 83

    sources = Counter(referrals.values_list("source_agency__kind", flat=True))
    assert sources.most_common(1)[0][0] == AgencyKind.POLICE
    assert sources[AgencyKind.POLICE] > 260 / 2
    for received, decided in referrals.values_list("received_at", "decided_at"):
        assert timedelta(days=1) <= decided - received <= timedelta(days=7)
    span = referrals.aggregate(first=Min("received_at"), last=Max("received_at"))
    assert timedelta(days=270) <= span["last"] - span["first"] <= timedelta(days=304)


def test_every_accepted_case_has_a_victim_and_a_perpetrator_or_suspect(demo):
    roles_by_case: dict[object, set[str]] = {}
    for case_id, role in CaseParticipant.unscoped.values_list("case_id", "role"):
        roles_by_case.setdefault(case_id, set()).add(role)
    assert len(roles_by_case) == 83
    for roles in roles_by_case.values():
        assert ParticipantRole.VICTIM in roles
        assert roles & {ParticipantRole.PERPETRATOR, ParticipantRole.SUSPECT}
    victim = CaseParticipant.unscoped.filter(role=ParticipantRole.VICTIM).select_related("person").first()
    assert victim is not None
    assert victim.person.phone.startswith("07700 900")  # decrypted: the drama range, nobody's real number
    assert set(Case.unscoped.values_list("risk_level", flat=True)) >= {"high", "moderate", "low"}


def test_every_open_case_has_its_next_review_from_the_units_rules(demo):
    from masip.cases.models import CaseStatus
    from masip.work.models import Task, TaskKind, TaskStatus

    open_cases = set(Case.unscoped.exclude(status=CaseStatus.CLOSED).values_list("pk", flat=True))
    reviews = list(Task.unscoped.filter(kind=TaskKind.REVIEW, status=TaskStatus.OPEN).values_list("case_id", flat=True))
    assert open_cases
    assert sorted(reviews) == sorted(open_cases)  # one open review each, none for closed cases


def test_one_user_for_every_role_each_with_a_confirmed_second_factor(demo):
    assert {spec.role for spec in SIGN_IN_USERS} == set(Role)
    for role in Role:
        email = demo_email(next(spec.local_part for spec in SIGN_IN_USERS if spec.role == role))
        user = User.objects.get(email=email)
        assert Membership.objects.active().filter(user=user, unit__code=UNIT_CODE, role=role).exists()
        assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
        assert user.check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in demo
    assert "manage.py demo_code manager@demo.masip.test" in demo


def test_demo_users_are_on_some_cases_and_not_others_so_break_glass_can_be_tried(demo):
    for local_part in ("investigator", "clinician", "advocate", "outreach", "support"):
        mine = CaseTeamMember.objects.filter(user__email=demo_email(local_part)).values("case_id").distinct()
        assert 0 < mine.count() < 83, local_part
    notes = Counter(CaseNote.unscoped.values_list("compartment", flat=True))
    assert set(notes) >= {"team", "police", "health", "advocacy"}


def test_load_is_audited_once_with_counts_only(demo):
    events = AuditEvent.objects.filter(action=AuditAction.ADMIN)
    assert events.count() == 1
    detail = events.get().detail
    assert (detail["referrals"], detail["accepted"], detail["partner_managed"]) == (260, 83, 177)
    assert "07700" not in str(detail)


def test_second_run_changes_nothing_and_prints_the_sign_in_details_again(demo):
    counts = (User.objects.count(), Referral.unscoped.count(), Case.unscoped.count(), AuditEvent.objects.count())
    again = load()
    assert "already loaded" in again
    assert demo_email("manager") in again
    assert DEMO_PASSWORD in again
    assert (
        User.objects.count(),
        Referral.unscoped.count(),
        Case.unscoped.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_reset_is_refused_because_the_audit_log_is_append_only(demo):
    with pytest.raises(CommandError, match="append-only"):
        load("--reset")
    assert Case.unscoped.count() == 83


def _snapshot() -> list[tuple[object, ...]]:
    """What a user would recognise of a unit: its cases, their people, teams and wording."""
    rows = []
    for case in Case.unscoped.order_by("reference").prefetch_related("participants__person", "team__user"):
        people = sorted((p.role, p.person.display_name) for p in case.participants.all())
        team = sorted((m.user.email, m.role_on_case) for m in case.team.all())
        rows.append((case.reference, case.risk_level, case.status, case.summary, people, team))
    return rows


def test_same_seed_gives_the_same_unit_and_another_seed_another():
    snapshots = {}
    for seed in ("7", "8"):
        with transaction.atomic():
            load("--seed", seed)
            snapshots[seed] = _snapshot()
            transaction.set_rollback(True)  # so the next load starts from an empty database
    load("--seed", "7")
    assert _snapshot() == snapshots["7"]
    assert snapshots["7"] != snapshots["8"]


@override_settings(MASIP_DEMO=False)
def test_demo_unit_refuses_outside_demo_settings():
    with pytest.raises(CommandError, match="demo settings"):
        load()
    assert not User.objects.exists()


def test_demo_code_prints_a_code_the_device_accepts(demo):
    out = StringIO()
    call_command("demo_code", "Manager@demo.masip.test", stdout=out, stderr=StringIO())
    code = out.getvalue().strip()
    assert len(code) == 6
    assert code.isdigit()
    device = TOTPDevice.objects.get(user__email=demo_email("manager"))
    assert device.verify_token(code)


def test_demo_code_refuses_colleagues_and_strangers(demo):
    for email in ("lewis.grant@demo.masip.test", "someone@example.org"):
        with pytest.raises(CommandError, match="not a demo account"):
            call_command("demo_code", email, stdout=StringIO())


def test_demo_code_refuses_outside_demo_settings(demo):
    with override_settings(MASIP_DEMO=False), pytest.raises(CommandError, match="demo settings"):
        call_command("demo_code", demo_email("manager"), stdout=StringIO())


# The intake: what referrals record, the queue, the serial stalker and the referrer -------------


def _unit():
    return Unit.objects.get(code=UNIT_CODE)


def _user(local_part: str) -> User:
    return User.objects.get(email=demo_email(local_part))


def test_referrals_record_the_intake_questions_and_the_people_they_name(demo):
    submitted = Referral.unscoped.filter(unit__code=UNIT_CODE).exclude(status=ReferralStatus.DRAFT)
    assert not submitted.filter(relationship="").exists()
    assert not submitted.filter(consent_to_referral__isnull=True).exists()
    assert all(behaviours for behaviours in submitted.values_list("behaviours", flat=True))
    assert set(submitted.values_list("channel", flat=True)) == {Channel.WEB, Channel.API, Channel.IMPORT}
    assert len(set(submitted.values_list("relationship", flat=True))) >= 5
    for referral in submitted.prefetch_related("subjects"):
        roles = Counter(s.role for s in referral.subjects.all())
        assert roles[SubjectRole.VICTIM] >= 1, referral.reference
        assert roles[SubjectRole.SUSPECT] >= 1, referral.reference
    subjects = ReferralSubject.unscoped.filter(referral__in=submitted)
    assert subjects.filter(unidentified=True).exists()
    assert subjects.filter(person__isnull=False, role=SubjectRole.SUSPECT).exists()
    assert not subjects.filter(unidentified=True, person__isnull=False).exists()
    decided = submitted.filter(status=ReferralStatus.DECIDED)
    # Every decided referral's people are on record, so linked history has something to show.
    assert not ReferralSubject.unscoped.filter(referral__in=decided, unidentified=False, person__isnull=True).exists()
    assert 0 < Screening.unscoped.filter(referral__in=decided).count() < decided.count()
    assert any(orders for orders in decided.values_list("existing_orders", flat=True))


def test_the_screening_queue_has_open_referrals_some_overdue_some_screened(demo):
    manager = _user("manager")
    queue = list(screening_queue(user=manager))
    assert len(queue) == len(OPEN_QUEUE)
    assert sum(r.overdue for r in queue) >= OVERDUE_AT_LEAST
    assert not all(r.overdue for r in queue)
    assert {r.status for r in queue} == {ReferralStatus.RECEIVED, ReferralStatus.SCREENING}
    assert Screening.unscoped.filter(referral__in=[r.pk for r in queue]).exists()


def test_people_are_found_by_matching(demo):
    victim = CaseParticipant.unscoped.filter(role=ParticipantRole.VICTIM).select_related("person").first()
    assert victim is not None
    person = victim.person
    details = PersonDetails(
        given_name=person.given_name, family_name=person.family_name, date_of_birth=person.date_of_birth
    )
    assert person in [c.person for c in person_candidates(unit=_unit(), details=details)]


def test_a_serial_stalker_with_several_victims_shows_in_linked_history_and_is_matched_again(demo):
    given, family, born = SERIAL_SUSPECT
    serial = Person.unscoped.get(unit__code=UNIT_CODE, given_name=given, family_name=family, date_of_birth=born)
    history = person_history_for(user=_user("manager"), person_id=serial.pk)
    assert history.serial is not None
    assert history.serial.victim_count >= 3
    assert len(history.serial.victims) == history.serial.victim_count
    assert history.cases
    assert history.breaches
    # A new referral spells him differently and is not yet linked: matching proposes him first.
    fresh = ReferralSubject.unscoped.get(family_name="Caldwel", person__isnull=True)
    found = candidates_for_subject(user=_user("investigator"), subject=fresh)
    assert found.candidates[0].person == serial


def test_the_partner_referrer_follows_their_referrals_and_reads_the_units_advice(demo):
    mine = referrals_of_referrer(user=_user("referrer"))
    statuses = Counter(r.status for r in mine)
    assert statuses[ReferralStatus.DRAFT] == 1
    assert statuses[ReferralStatus.DECIDED] > 0
    assert statuses[ReferralStatus.RECEIVED] + statuses[ReferralStatus.SCREENING] > 0
    advised = [r for r in mine if r.decision == TriageDecision.PARTNER_MANAGED]
    assert advised
    assert all(r.advice for r in advised)


def test_the_panel_has_met_and_its_next_agenda_is_built(demo):
    from masip.panel.models import Meeting, MeetingStatus, MinutesStatus, PanelAction
    from masip.panel.selectors_minutes import minutes_awaiting_approval

    meetings = list(Meeting.objects.filter(unit__code=UNIT_CODE).order_by("starts_at"))
    past = [m for m in meetings if m.status == MeetingStatus.CLOSED]
    upcoming = [m for m in meetings if m.status == MeetingStatus.SCHEDULED]
    assert len(past) == 3
    assert upcoming
    # Each meeting's minutes were approved at the next; the latest wait for the next meeting.
    assert [m.minutes.status for m in past] == [MinutesStatus.APPROVED, MinutesStatus.APPROVED, MinutesStatus.DRAFT]
    assert [m.minutes.approved_at_meeting for m in past[:2]] == past[1:]
    assert list(minutes_awaiting_approval(upcoming[0])) == [past[-1]]
    # Every past item was decided, and each action is a task its owner can see on the case.
    for meeting in past:
        assert meeting.items.count() == 5
        for action in PanelAction.unscoped.filter(meeting=meeting).select_related("task", "case"):
            assert action.task.owner == action.owner
            assert action.case.team.filter(user=action.owner).exists() or action.owner == meeting.chair
    assert upcoming[0].agenda_built_at is not None
    assert upcoming[0].items.exists()
    # The partner referrer sits on the panel.
    assert upcoming[0].members.filter(user__email=demo_email("referrer")).exists()


def test_a_share_of_the_open_cases_have_their_interventions_made_through_the_services(demo):
    from masip.cases.models import CaseStatus
    from masip.interventions.models_legal import ChecklistTick, JusticeRecord, Order, OrderStatus
    from masip.interventions.models_perpetrator import InterventionKind, PerpetratorIntervention, ProgrammeSession
    from masip.interventions.models_safety import SafetyPlan, SafetyPlanVersion
    from masip.interventions.models_vcop import (
        REGULAR_PERIODS,
        VcopUpdateDue,
        VcopUpdateKind,
        VcopUpdateStatus,
        VcopVictimSettings,
    )
    from masip.interventions.selectors_legal import unit_orders_ending_for
    from masip.interventions.selectors_vcop import unit_overdue_updates_for
    from masip.timeline.models import RedFlagAlert, TimelineEntry
    from masip.work.models import Task, TaskKind

    open_cases = Case.unscoped.exclude(status=CaseStatus.CLOSED)
    plans = SafetyPlan.unscoped.all()
    assert open_cases.count() * 0.2 <= plans.count() <= open_cases.count() * 0.7
    assert not plans.filter(case__status=CaseStatus.CLOSED).exists()
    assert plans.filter(version=2).exists()  # some revised
    assert SafetyPlanVersion.unscoped.count() == sum(plans.values_list("version", flat=True))
    victims = set(CaseParticipant.unscoped.filter(role=ParticipantRole.VICTIM).values_list("pk", flat=True))
    assert set(plans.values_list("participant_id", flat=True)) <= victims

    # The Victims' Code: an agreement per victim with a plan, updates given, a few overdue, and
    # exactly one open regular update for each victim who agreed regular ones.
    agreements = VcopVictimSettings.unscoped.all()
    assert agreements.count() == plans.count()
    updates = VcopUpdateDue.unscoped.all()
    assert set(updates.values_list("participant_id", flat=True)) <= victims
    assert (
        updates.filter(status=VcopUpdateStatus.SENT).count() > updates.filter(status=VcopUpdateStatus.OPEN).count() / 2
    )
    for update in updates.filter(status=VcopUpdateStatus.SENT, kind=VcopUpdateKind.EVENT).select_related("event"):
        assert update.event.occurred_at <= update.sent_at
    periodic = agreements.filter(update_frequency__in=list(REGULAR_PERIODS))
    regular = updates.filter(kind=VcopUpdateKind.REGULAR, status=VcopUpdateStatus.OPEN)
    assert sorted(regular.values_list("participant_id", flat=True)) == sorted(
        periodic.values_list("participant_id", flat=True)
    )
    manager = User.objects.get(email=demo_email("manager"))
    assert 1 <= len(unit_overdue_updates_for(user=manager)) <= updates.count() / 2

    # The criminal-justice record: arrests, some released on bail; the checklist ticked.
    records = JusticeRecord.unscoped.all()
    assert records.filter(arrested_at__isnull=False).count() == records.count() > 0
    assert records.filter(bail_started_on__isnull=False).exists()
    assert ChecklistTick.unscoped.filter(done=True, case__justice_record__isnull=False).exists()

    # Orders: in force, some ending soon with their expiry reminder, some breached (a timeline
    # entry linked to the order that raised a red flag).
    orders = Order.unscoped.all()
    assert orders.filter(status=OrderStatus.IN_FORCE).count() == orders.count() > 0
    ending = unit_orders_ending_for(user=manager)
    assert ending
    reminded = set(Task.unscoped.filter(kind=TaskKind.ORDER_EXPIRY).values_list("case_id", flat=True))
    assert {row.order.case_id for row in ending if row.days_left <= 90} <= reminded
    breaches = TimelineEntry.unscoped.filter(order__isnull=False).select_related("order")
    assert breaches.exists()
    for entry in breaches:
        assert entry.order.starts_on <= entry.occurred_on <= (entry.order.ends_on or entry.occurred_on)
        assert RedFlagAlert.unscoped.filter(case=entry.case, rule_key="breach").exists()

    # Treatment programmes, kept in the clinical compartment, with attendance recorded.
    programmes = PerpetratorIntervention.unscoped.filter(kind=InterventionKind.TREATMENT_PROGRAMME)
    assert programmes.exists()
    assert set(programmes.values_list("compartment", flat=True)) == {"health"}
    sessions = ProgrammeSession.unscoped.filter(programme__in=programmes)
    assert sessions.exclude(attendance="").exists()
    assert not sessions.exclude(attendance="").filter(planned_on__gt=timezone.localdate()).exists()

    # Written through the services: each order's creation is in the audit log.
    audited = set(
        AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="interventions.order").values_list(
            "object_id", flat=True
        )
    )
    assert audited == {str(pk) for pk in orders.values_list("pk", flat=True)}


def test_the_analyst_reads_the_dashboard_and_takes_an_export_with_the_demo_key(demo):
    import io
    import zipfile

    import polars as pl
    from django.urls import reverse

    from masip.reports.demo import DEMO_EXPORT_KEY
    from masip.reports.models import EvaluationExport, ExportKey
    from tests.conftest import verified_client

    analyst = User.objects.get(email=demo_email("analyst"))
    client = verified_client(analyst)
    today = timezone.localdate()
    period = {"start": (today - timedelta(days=364)).isoformat(), "end": today.isoformat()}
    dashboard = client.get(reverse("reports:dashboard"), period)
    assert dashboard.status_code == 200
    assert "0 referrals received" not in dashboard.content.decode()
    key = ExportKey.objects.get(unit__code=UNIT_CODE, name=DEMO_EXPORT_KEY)
    response = client.post(
        reverse("reports:export_new"),
        {
            **period,
            "file_format": "parquet",
            "key": key.pk,
            "recipient": "Evaluation team, University of Anytown",
            "purpose": "Trying the evaluation export on the demo unit",
        },
    )
    assert response.status_code == 200
    cases = pl.read_parquet(io.BytesIO(zipfile.ZipFile(io.BytesIO(response.content)).read("cases.parquet")))
    assert cases.height > 10
    references = set(Case.unscoped.filter(unit__code=UNIT_CODE).values_list("reference", flat=True))
    assert not references & set(cases["case"].to_list())
    assert EvaluationExport.objects.get().requested_by == analyst


def test_the_trainer_finds_a_year_of_training_its_feedback_and_the_next_booking(demo):
    from django.urls import reverse

    from masip.training.models import Delivery, DeliveryStatus, Enquiry, EnquiryStatus, FeedbackResponse, Topic
    from tests.conftest import verified_client

    trainer = User.objects.get(email=demo_email("trainer"))
    held = Delivery.objects.filter(unit__code=UNIT_CODE, status=DeliveryStatus.HELD)
    assert held.count() == 7
    # Every topic on every agenda can be presented by one of that delivery's trainers.
    for delivery in Delivery.objects.filter(unit__code=UNIT_CODE):
        trainers = set(delivery.trainers.values_list("pk", flat=True))
        for item in delivery.agenda.items.filter(topic__isnull=False):
            assert trainers & set(item.topic.trainers.values_list("pk", flat=True)), item.title
    assert not Topic.objects.filter(unit__code=UNIT_CODE, trainers=None).exists()
    assert FeedbackResponse.objects.filter(delivery__in=held).count() > 50
    booked = Delivery.objects.get(unit__code=UNIT_CODE, status=DeliveryStatus.PLANNED)
    assert booked.date > timezone.localdate()
    assert booked.enquiry.status == EnquiryStatus.BOOKED
    assert set(Enquiry.objects.filter(unit__code=UNIT_CODE).values_list("status", flat=True)) == {
        EnquiryStatus.BOOKED,
        EnquiryStatus.IN_DISCUSSION,
        EnquiryStatus.NEW,
    }
    client = verified_client(trainer)
    report = client.get(reverse("training:reports"))
    assert report.status_code == 200
    assert "Northshire Constabulary" in report.content.decode()
    assert client.get(reverse("training:offer")).status_code == 200

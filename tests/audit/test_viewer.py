"""The audit viewer: what a unit manager may read, how the filters narrow it, and that reading it is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.audit.selectors import AuditFilters, audit_events_for
from masip.audit.services import audit_record
from tests.factories import CaseFactory, UnitFactory, member

pytestmark = pytest.mark.django_db

URL = reverse("audit:list")


def seqs(queryset):
    return list(queryset.values_list("seq", flat=True))


def record_at(moment: datetime, **kwargs) -> AuditEvent:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return audit_record(**kwargs)


@pytest.fixture
def manager():
    return member(Role.UNIT_MANAGER)


@pytest.fixture
def unit_of(manager):
    return manager.memberships.get().unit


# --- what is in scope -------------------------------------------------------------------------


def test_manager_reads_own_unit_and_own_members_sign_ins_only(manager, unit_of):
    colleague = member(Role.CLINICIAN, unit=unit_of)
    stranger = member(Role.CLINICIAN)
    mine = audit_record(action=AuditAction.VIEW, actor=colleague, unit=unit_of, object_type="cases.case")
    theirs = audit_record(action=AuditAction.VIEW, actor=stranger, unit=stranger.memberships.get().unit)
    colleague_login = audit_record(action=AuditAction.LOGIN, actor=colleague)
    failed_for_colleague = audit_record(action=AuditAction.LOGIN_FAILED, obj=colleague)
    stranger_login = audit_record(action=AuditAction.LOGIN, actor=stranger)
    failed_for_stranger = audit_record(action=AuditAction.LOGIN_FAILED, obj=stranger)
    anonymous_failure = audit_record(action=AuditAction.LOGIN_FAILED)

    seen = seqs(audit_events_for(user=manager, filters=AuditFilters()))

    assert seen == [failed_for_colleague.seq, colleague_login.seq, mine.seq]
    for hidden in (theirs, stranger_login, failed_for_stranger, anonymous_failure):
        assert hidden.seq not in seen


def test_member_of_two_units_is_read_only_for_the_unit_the_reader_audits(manager, unit_of):
    both = member(Role.POLICE_INVESTIGATOR, unit=unit_of)
    other_unit = UnitFactory()
    member(Role.UNIT_MANAGER, unit=other_unit)
    elsewhere = audit_record(action=AuditAction.CHANGE, actor=both, unit=other_unit)
    assert elsewhere.seq not in seqs(audit_events_for(user=manager, filters=AuditFilters()))


def test_sign_in_attempts_of_a_suspended_member_stay_visible(manager, unit_of):
    suspended = member(Role.OUTREACH_WORKER, unit=unit_of)
    suspended.memberships.update(status="suspended")
    attempt = audit_record(action=AuditAction.LOGIN_FAILED, obj=suspended)
    assert attempt.seq in seqs(audit_events_for(user=manager, filters=AuditFilters()))


@pytest.mark.parametrize("role", [r for r in Role if r != Role.UNIT_MANAGER])
def test_roles_without_view_audit_get_nothing_from_the_selector(role):
    user = member(role)
    audit_record(action=AuditAction.VIEW, actor=user, unit=user.memberships.get().unit)
    assert not audit_events_for(user=user, filters=AuditFilters()).exists()


def test_page_refuses_roles_without_view_audit(client_for):
    investigator = member(Role.POLICE_INVESTIGATOR)
    response = client_for(investigator).get(URL)
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(object_type="audit.log").exists()


# --- filters ----------------------------------------------------------------------------------


def test_filter_by_case_reference_or_id(manager, unit_of):
    case = CaseFactory(unit=unit_of, reference="CHS-00042")
    on_case = audit_record(action=AuditAction.VIEW, actor=manager, unit=unit_of, obj=case, case_id=case.pk)
    audit_record(action=AuditAction.VIEW, actor=manager, unit=unit_of, case_id=uuid.uuid4())

    assert seqs(audit_events_for(user=manager, filters=AuditFilters(case="chs-00042"))) == [on_case.seq]
    assert seqs(audit_events_for(user=manager, filters=AuditFilters(case=str(case.pk)))) == [on_case.seq]


def test_case_reference_of_another_unit_matches_nothing(manager, unit_of):
    elsewhere = CaseFactory(reference="OTH-00001")
    audit_record(action=AuditAction.VIEW, unit=unit_of, case_id=elsewhere.pk)
    assert not audit_events_for(user=manager, filters=AuditFilters(case="OTH-00001")).exists()


def test_filter_by_person(manager, unit_of):
    person_id = uuid.uuid4()
    about = audit_record(action=AuditAction.VIEW, actor=manager, unit=unit_of, person_id=person_id)
    audit_record(action=AuditAction.VIEW, actor=manager, unit=unit_of, person_id=uuid.uuid4())
    assert seqs(audit_events_for(user=manager, filters=AuditFilters(person_id=person_id))) == [about.seq]


def test_filter_by_user_email_finds_their_actions_and_failed_sign_ins(manager, unit_of):
    colleague = member(Role.CLINICIAN, unit=unit_of, email="clinician@example.org")
    acted = audit_record(action=AuditAction.CHANGE, actor=colleague, unit=unit_of)
    failed = audit_record(action=AuditAction.LOGIN_FAILED, obj=colleague)
    audit_record(action=AuditAction.CHANGE, actor=manager, unit=unit_of)

    found = seqs(audit_events_for(user=manager, filters=AuditFilters(user_email="clinician@example.org")))
    assert found == [failed.seq, acted.seq]


def test_filter_by_action(manager, unit_of):
    exported = audit_record(action=AuditAction.EXPORT, actor=manager, unit=unit_of)
    audit_record(action=AuditAction.VIEW, actor=manager, unit=unit_of)
    assert seqs(audit_events_for(user=manager, filters=AuditFilters(action="export"))) == [exported.seq]


def test_date_filters_use_uk_days_not_utc_days(manager, unit_of):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    late = record_at(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), action=AuditAction.VIEW, unit=unit_of)
    early = record_at(datetime(2026, 6, 30, 22, 30, tzinfo=UTC), action=AuditAction.VIEW, unit=unit_of)

    july = AuditFilters(date_from=date(2026, 7, 1), date_to=date(2026, 7, 1))
    june = AuditFilters(date_to=date(2026, 6, 30))
    assert seqs(audit_events_for(user=manager, filters=july)) == [late.seq]
    assert seqs(audit_events_for(user=manager, filters=june)) == [early.seq]


# --- the page ---------------------------------------------------------------------------------


def test_page_lists_newest_first_and_records_its_own_reading(client_for, manager, unit_of):
    client = client_for(manager)
    first = audit_record(action=AuditAction.CREATE, actor=manager, unit=unit_of, object_type="cases.case")
    second = audit_record(action=AuditAction.CHANGE, actor=manager, unit=unit_of, object_type="cases.case")

    response = client.get(URL, {"action": "change", "date_from": "1/1/2026"})

    assert response.status_code == 200
    assert [row.event.seq for row in response.context["rows"]] == [second.seq]
    reading = AuditEvent.objects.order_by("-seq").first()
    assert reading.action == AuditAction.VIEW
    assert reading.object_type == "audit.log"
    assert reading.actor == manager
    assert reading.unit_id == unit_of.pk
    assert reading.detail["filters"] == {"action": "change", "date_from": "2026-01-01"}
    assert first.seq < second.seq < reading.seq


def test_failed_sign_in_shows_the_target_users_email(client_for, manager, unit_of):
    colleague = member(Role.CLINICIAN, unit=unit_of, email="target@example.org")
    audit_record(action=AuditAction.LOGIN_FAILED, obj=colleague)
    response = client_for(manager).get(URL, {"action": "login_failed"})
    assert response.context["rows"][0].target_email == "target@example.org"
    assert "target@example.org" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "31/2/2026"}, "Enter the from date as a real date"),
        ({"date_to": "yesterday"}, "Enter the to date as a real date"),
        ({"date_from": "1/1/1066"}, "Enter a from date between 2000 and 2999"),
        ({"date_to": "31/12/9999"}, "Enter a to date between 2000 and 2999"),
        ({"date_from": "2/1/2026", "date_to": "1/1/2026"}, "The to date must be the same as or after the from date"),
        ({"action": "delete_everything"}, "Choose an action from the list"),
        ({"person": "not-a-uuid"}, "Enter a person ID like"),
        ({"user": "not an email"}, "Enter the user&#x27;s email address"),
    ],
)
def test_bad_filters_are_errors_on_the_page_not_500s(client_for, manager, params, message):
    response = client_for(manager).get(URL, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["rows"] == []
    assert not AuditEvent.objects.filter(object_type="audit.log").exists()


def test_pages_of_fifty_keep_the_filters(client_for, manager, unit_of):
    for _ in range(51):
        audit_record(action=AuditAction.CREATE, actor=manager, unit=unit_of, object_type="cases.case")
    client = client_for(manager)

    first = client.get(URL, {"action": "create"})
    second = client.get(URL, {"action": "create", "page": "2"})
    nonsense = client.get(URL, {"action": "create", "page": "lots"})

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 1
    assert first.context["rows"][0].event.seq > second.context["rows"][0].event.seq
    assert "?action=create&amp;page=2" in first.content.decode()
    assert nonsense.status_code == 200
    assert nonsense.context["page"].number == 1


def _fill(unit, manager, count):
    for i in range(count):
        case = CaseFactory(unit=unit)
        colleague = member(Role.CLINICIAN, unit=unit)
        audit_record(action=AuditAction.VIEW, actor=colleague, unit=unit, obj=case, case_id=case.pk)
        audit_record(action=AuditAction.LOGIN_FAILED, obj=colleague, detail={"n": i})


def test_query_count_does_not_grow_with_the_rows_shown(client_for, manager, unit_of, django_assert_max_num_queries):
    client = client_for(manager)
    _fill(unit_of, manager, 2)
    client.get(URL)  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    _fill(unit_of, manager, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert len(response.context["rows"]) == 50

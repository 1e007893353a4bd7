"""Break-glass: a reasoned, audited, time-limited opening of a case outside the caseload,
reported to the unit's managers and reviewed by them."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from masip.access.models import BREAK_GLASS_LIFETIME, BreakGlassGrant
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from tests.conftest import verified_client
from tests.factories import CaseFactory, UnitFactory, member

pytestmark = pytest.mark.django_db

REASON = "Victim rang the duty line: suspect outside her flat now; case team off duty."


def _without_tokens(html: bytes) -> str:
    # CSRF tokens are masked afresh on every response; nothing else may differ.
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html.decode())


def _glass_url(case_id) -> str:
    return reverse("cases:break_glass", kwargs={"case_id": case_id})


def test_opening_a_case_outside_the_caseload_leads_to_the_break_glass_page():
    case = CaseFactory()
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    response = verified_client(advocate).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert response.status_code == 302
    assert response.url == _glass_url(case.pk)


def test_break_glass_page_asks_for_a_reason_and_audits_the_refusal():
    case = CaseFactory()
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    response = verified_client(advocate).get(_glass_url(case.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This case is not in your caseload" in html
    assert escape(case.summary) not in html
    refusal = AuditEvent.objects.get(actor=advocate, action=AuditAction.DENIED)
    assert (refusal.action, refusal.case_id, refusal.detail) == (
        AuditAction.DENIED,
        case.pk,
        {"reason": "outside caseload"},
    )
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("which", ["another-unit", "missing", "malformed"])
def test_break_glass_page_gives_the_same_404_as_any_unknown_case(which):
    elsewhere = CaseFactory()
    advocate = member(Role.STALKING_ADVOCATE)
    client = verified_client(advocate)
    case_id = {"another-unit": elsewhere.pk, "missing": uuid.uuid4(), "malformed": "12345"}[which]
    glass = client.get(_glass_url(case_id))
    plain = client.get(reverse("cases:detail", kwargs={"case_id": uuid.uuid4()}))
    assert glass.status_code == plain.status_code == 404
    assert _without_tokens(glass.content) == _without_tokens(plain.content)
    assert not BreakGlassGrant.objects.exists()
    assert client.post(_glass_url(case_id), {"reason": REASON}).status_code == 404
    assert not BreakGlassGrant.objects.exists()


def test_break_glass_is_refused_to_roles_without_the_capability():
    case = CaseFactory()
    support = member(Role.SUPPORT_OFFICER, unit=case.unit)
    client = verified_client(support)
    assert client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).status_code == 404
    assert client.post(_glass_url(case.pk), {"reason": REASON}).status_code == 403
    assert not BreakGlassGrant.objects.exists()


def test_a_short_reason_is_refused_with_what_to_write():
    case = CaseFactory()
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    response = verified_client(advocate).post(_glass_url(case.pk), {"reason": "urgent"})
    assert response.status_code == 200
    assert "Explain in at least 20 characters why you need this case now." in response.content.decode()
    assert not BreakGlassGrant.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS).exists()


def test_breaking_glass_opens_the_case_for_eight_hours_audits_and_tells_the_managers(
    django_capture_on_commit_callbacks,
):
    case = CaseFactory()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    member(Role.UNIT_MANAGER)  # a manager of another unit hears nothing
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    client = verified_client(advocate)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_glass_url(case.pk), {"reason": REASON})
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", kwargs={"case_id": case.pk})

    grant = BreakGlassGrant.objects.get()
    assert (grant.case, grant.user, grant.reason) == (case, advocate, REASON)
    assert grant.until - grant.since == BREAK_GLASS_LIFETIME

    event = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS)
    assert (event.actor, event.case_id, event.justification, event.object_id) == (
        advocate,
        case.pk,
        REASON,
        str(grant.pk),
    )

    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert case.reference in mail.outbox[0].subject
    assert REASON not in mail.outbox[0].body
    assert case.summary not in mail.outbox[0].body  # plain text: no escaping

    assert client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).status_code == 200


def test_the_page_sends_someone_who_can_already_see_the_case_straight_to_it():
    case = CaseFactory()
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    BreakGlassGrant.objects.create(case=case, user=advocate, reason=REASON, until=timezone.now() + timedelta(hours=1))
    response = verified_client(advocate).get(_glass_url(case.pk))
    assert response.status_code == 302
    assert BreakGlassGrant.objects.count() == 1


# --- managers' review ------------------------------------------------------------------------


def _grant(unit=None) -> BreakGlassGrant:
    case = CaseFactory(unit=unit or UnitFactory())
    user = member(Role.CLINICIAN, unit=case.unit)
    return BreakGlassGrant.objects.create(
        case=case, user=user, reason=REASON, until=timezone.now() + BREAK_GLASS_LIFETIME
    )


def test_managers_see_unreviewed_grants_of_their_units_only():
    mine = _grant()
    theirs = _grant()
    manager = member(Role.UNIT_MANAGER, unit=mine.case.unit)
    response = verified_client(manager).get(reverse("cases:break_glass_reviews"))
    assert response.status_code == 200
    assert response.context["grants"] == [mine]
    html = response.content.decode()
    assert mine.case.reference in html
    assert theirs.case.reference not in html


def test_marking_a_grant_reviewed_is_audited_and_removes_it_from_the_list():
    grant = _grant()
    manager = member(Role.UNIT_MANAGER, unit=grant.case.unit)
    client = verified_client(manager)
    response = client.post(reverse("cases:break_glass_review", kwargs={"grant_id": grant.pk}))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == manager
    assert grant.reviewed_at is not None
    event = AuditEvent.objects.get(action=AuditAction.CHANGE)
    assert (event.actor, event.object_type, event.object_id, event.fields) == (
        manager,
        "access.breakglassgrant",
        str(grant.pk),
        ["reviewed_at", "reviewed_by"],
    )
    assert client.get(reverse("cases:break_glass_reviews")).context["grants"] == []
    # A second review changes nothing and says so.
    again = client.post(reverse("cases:break_glass_review", kwargs={"grant_id": grant.pk}), follow=True)
    assert "already been reviewed" in again.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE).count() == 1


def test_a_grant_in_another_unit_is_404():
    grant = _grant()
    manager = member(Role.UNIT_MANAGER)
    response = verified_client(manager).post(reverse("cases:break_glass_review", kwargs={"grant_id": grant.pk}))
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_reviews_are_for_managers_only():
    grant = _grant()
    colleague = member(Role.POLICE_INVESTIGATOR, unit=grant.case.unit)
    client = verified_client(colleague)
    assert client.get(reverse("cases:break_glass_reviews")).status_code == 403
    assert client.post(reverse("cases:break_glass_review", kwargs={"grant_id": grant.pk})).status_code == 403

"""Red flags as the team meets them: on the case page at a glance, on the case's red-flags page,
on "My work" and the manager's pages; acknowledged with a note, never lost, never deleted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from masip.access.models import CaseRole
from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.timeline.models import AlertStatus, RedFlagAlert
from masip.timeline.redflags import redflags_evaluate_case
from tests.conftest import verified_client
from tests.factories import member
from tests.timeline.redflag_helpers import a_case, ago, entry, on_team

pytestmark = pytest.mark.django_db


def _threatened_case():
    """An ex-partner's threat to kill (the team may read it) and a police-only weapon report."""
    case = a_case()
    officer = on_team(case)
    advocate = on_team(case, Role.STALKING_ADVOCATE, CaseRole.ADVOCATE)
    entry(case, ago(5), "threat_kill")
    entry(case, ago(3), "weapon", compartment=Compartment.POLICE)
    redflags_evaluate_case(case=case)
    return case, officer, advocate


def _page(user, name, **kwargs) -> str:
    response = verified_client(user).get(reverse(name, kwargs=kwargs or None))
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_shows_the_open_red_flags_each_viewer_may_read():
    case, officer, advocate = _threatened_case()
    team_flags = RedFlagAlert.unscoped.filter(case=case, compartment=Compartment.TEAM).count()
    police_flags = RedFlagAlert.unscoped.filter(case=case, compartment=Compartment.POLICE).count()
    assert team_flags >= 1
    assert police_flags >= 1

    officers_page = _page(officer, "cases:detail", case_id=case.pk)
    assert f"{team_flags + police_flags} open</strong>" in officers_page
    advocates_page = _page(advocate, "cases:detail", case_id=case.pk)
    assert f"{team_flags} open</strong>" in advocates_page
    weapon = RedFlagAlert.unscoped.filter(case=case, compartment=Compartment.POLICE).first()
    assert weapon.title not in advocates_page
    assert weapon.title not in _page(advocate, "timeline:alerts", case_id=case.pk)


def test_acknowledging_needs_a_note_and_keeps_the_alert_listed():
    case, officer, _ = _threatened_case()
    alert = RedFlagAlert.unscoped.filter(case=case, compartment=Compartment.TEAM).first()
    url = reverse("timeline:alert_acknowledge", kwargs={"case_id": case.pk, "alert_id": alert.pk})
    client = verified_client(officer)

    refused = client.post(url, {"note": "  ", "version": alert.version})
    assert "Write what was done or decided about this red flag." in refused.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN

    note = "Safety plan reviewed with her today; he was arrested for the threat this afternoon."
    response = client.post(url, {"note": note, "version": alert.version}, follow=True)
    assert "acknowledged. It stays on the case&#x27;s list." in response.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.acknowledgement) == (AlertStatus.ACKNOWLEDGED, officer, note)
    assert alert.title in _page(officer, "timeline:alerts", case_id=case.pk)
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, object_id=str(alert.pk), actor=officer).exists()


def test_a_stale_acknowledgement_keeps_the_note_typed():
    case, officer, _ = _threatened_case()
    alert = RedFlagAlert.unscoped.filter(case=case, compartment=Compartment.TEAM).first()
    RedFlagAlert.unscoped.filter(pk=alert.pk).update(version=alert.version + 1)  # someone else saved it since
    url = reverse("timeline:alert_acknowledge", kwargs={"case_id": case.pk, "alert_id": alert.pk})
    note = "Spoke to her this morning: she has moved to her sister in Leeds."
    response = verified_client(officer).post(url, {"note": note, "version": alert.version})
    assert response.status_code == 409
    assert note in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_a_role_that_may_not_change_team_records_cannot_acknowledge():
    case, _, _ = _threatened_case()
    support = on_team(case, Role.SUPPORT_OFFICER, CaseRole.SUPPORT)
    alert = RedFlagAlert.unscoped.filter(case=case, compartment=Compartment.TEAM).first()
    url = reverse("timeline:alert_acknowledge", kwargs={"case_id": case.pk, "alert_id": alert.pk})
    response = verified_client(support).post(url, {"note": "Seen.", "version": alert.version})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_open_alerts_reach_my_work_and_the_managers_pages():
    case, officer, _ = _threatened_case()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    threat = RedFlagAlert.unscoped.filter(case=case, compartment=Compartment.TEAM).first()
    weapon = RedFlagAlert.unscoped.filter(case=case, compartment=Compartment.POLICE).first()

    assert threat.title in _page(officer, "work:mine")
    assert weapon.title in _page(officer, "work:mine")
    for page in (_page(manager, "work:caseloads"), _page(manager, "alerts:index")):
        assert threat.title in page
        assert case.reference in page

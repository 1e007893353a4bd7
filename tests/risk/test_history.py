"""A case's current risk by the unit's rule, and its risk over time: the chart and the table
show the same points, only those the viewer may see, and follow each new assessment."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.cases.models import RiskLevel
from masip.risk.chart import risk_chart
from masip.risk.current import case_risk_refresh, current_risk_for, risk_settings_for, risk_settings_set
from masip.risk.models import CurrentRiskRule, RiskEvent, RiskEventKind, RiskSettings
from tests.conftest import verified_client
from tests.factories import CaseFactory, UnitFactory, member
from tests.risk.history_factories import assessment, formulation, instrument_version, team

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
D1, D2, D3 = TODAY - timedelta(days=60), TODAY - timedelta(days=30), TODAY - timedelta(days=10)


def _case():
    case = CaseFactory()
    return case, team(case)


# --- current risk ---------------------------------------------------------------------------------


def test_latest_takes_the_latest_completed_assessment_or_formulation():
    case, people = _case()
    formulation(case, "high", D1, people["clinician"])
    assessment(case, "low", D2, people["investigator"])
    assert current_risk_for(case, CurrentRiskRule.LATEST).level == RiskLevel.LOW
    formulation(case, "moderate", D3, people["clinician"])
    assert current_risk_for(case, CurrentRiskRule.LATEST) == current_risk_for(case)
    assert current_risk_for(case).level == RiskLevel.MODERATE
    assert current_risk_for(case).assessed_on == D3


def test_higher_of_latest_keeps_a_formulations_high_state_over_a_later_low_screen():
    case, people = _case()
    formulation(case, "high", D1, people["clinician"])
    assessment(case, "moderate", D2 - timedelta(days=5), people["investigator"])  # older screen
    assessment(case, "low", D2, people["investigator"])
    found = current_risk_for(case, CurrentRiskRule.HIGHER_OF_LATEST)
    assert (found.level, found.assessed_on) == (RiskLevel.HIGH, D2)
    # Only the latest of each counts: a newer, lower formulation brings it down to the screen's.
    formulation(case, "low", D3, people["clinician"])
    assert current_risk_for(case, CurrentRiskRule.HIGHER_OF_LATEST).level == RiskLevel.LOW


def test_nothing_completed_means_not_assessed():
    case, _people = _case()
    assert current_risk_for(case) == current_risk_for(case, CurrentRiskRule.HIGHER_OF_LATEST)
    assert current_risk_for(case).level == RiskLevel.NOT_ASSESSED
    assert current_risk_for(case).assessed_on is None


def test_refresh_follows_the_units_rule_and_keeps_the_day_last_assessed():
    case, people = _case()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    formulation(case, "high", D1, people["clinician"])
    assessment(case, "low", D2, people["investigator"])
    assert case_risk_refresh(case=case, actor=people["investigator"]) is True
    case.refresh_from_db()
    assert (case.risk_level, case.risk_assessed_on) == (RiskLevel.LOW, D2)
    assert case_risk_refresh(case=case) is False  # nothing new
    risk_settings_set(
        actor=manager,
        unit=case.unit,
        current_risk_rule=CurrentRiskRule.HIGHER_OF_LATEST,
        reassess_after_event_working_days=3,
    )
    assert case_risk_refresh(case=case, actor=manager) is True
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.HIGH
    changes = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk), action="change")
    assert [e.detail["to"] for e in changes.order_by("seq")] == ["low", "high"]


def test_the_settings_page_is_for_unit_managers():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    url = reverse("work:risk_settings")
    for role in (Role.CLINICIAN, Role.POLICE_INVESTIGATOR, Role.STALKING_ADVOCATE):
        assert verified_client(member(role, unit=unit)).get(url).status_code == 403
    client = verified_client(manager)
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"unit": unit.pk, "current_risk_rule": "higher_of_latest", "reassess_after_event_working_days": 0}
    )
    assert bad.status_code == 200
    assert "Enter at least 1 working day" in bad.content.decode()
    assert not RiskSettings.objects.filter(unit=unit).exists()
    saved = client.post(
        url, {"unit": unit.pk, "current_risk_rule": "higher_of_latest", "reassess_after_event_working_days": 5}
    )
    assert saved.status_code == 302
    assert risk_settings_for(unit_id=unit.pk).current_risk_rule == CurrentRiskRule.HIGHER_OF_LATEST
    assert risk_settings_for(unit_id=unit.pk).reassess_after_event_working_days == 5
    other = UnitFactory()
    assert client.get(url, {"unit": other.pk}).status_code == 404


# --- risk over time ------------------------------------------------------------------------------------


def _history(client, case) -> str:
    response = client.get(reverse("risk:history", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _svg(html: str) -> str:
    return html[html.index("<svg") : html.index("</svg>")]


def _table(html: str) -> str:
    return html[html.index('id="risk-table"') : html.index("</table>", html.index('id="risk-table"'))]


def test_the_chart_and_table_show_the_same_points_and_follow_a_new_assessment():
    case, people = _case()
    screen = instrument_version("Illustrative screen", "2")
    assessment(case, "moderate", D1, people["investigator"], version=screen)
    formulation(case, "high", D2, people["clinician"], status="moderate", compartment=Compartment.TEAM)
    RiskEvent.unscoped.create(case=case, kind=RiskEventKind.BREACH, occurred_on=D2 + timedelta(days=3))
    case_risk_refresh(case=case)
    client = verified_client(people["investigator"])
    before = _history(client, case)
    svg = _svg(before)
    assert 'role="img"' in svg
    assert "<title id=" in svg
    assert "<desc id=" in svg
    assert "style=" not in svg
    assert "<script" not in svg
    assert f"{D1:%-d %b %Y}: Moderate (Illustrative screen v2" in svg
    assert f"{D2:%-d %b %Y}: High (Formulation" in svg
    assert "risk status Moderate" in svg
    assert f"{D2 + timedelta(days=3):%-d %b %Y}: Breach of an order or bail condition (Risk event)" in svg
    assert svg.count('class="masip-risk-chart__point"') == 2
    assert svg.count('class="masip-risk-chart__marker"') == 1
    table = _table(before)
    assert f"{D1:%-d %b %Y}" in table
    assert "Illustrative screen v2" in table
    assert "Moderate" in table
    assert f"{D2:%-d %b %Y}" in table
    assert "Risk status: Moderate" in table
    assert "Breach of an order" in table
    assert 'id="current-risk"' in before
    assert "High" in before
    # A second assessment: one more point on the chart and in the table, and the case's risk follows.
    assessment(case, "low", D3, people["investigator"], version=screen)
    case_risk_refresh(case=case)
    after = _history(client, case)
    assert _svg(after).count('class="masip-risk-chart__point"') == 3
    assert f"{D3:%-d %b %Y}: Low (Illustrative screen v2" in _svg(after)
    assert f"{D3:%-d %b %Y}" in _table(after)
    assert f"{D3:%-d %B %Y}" in after[after.index('id="last-assessed"') :]


def test_the_chart_shows_only_what_the_viewer_may_see_but_the_current_risk_to_all():
    case, people = _case()
    assessment(case, "high", D1, people["investigator"], compartment=Compartment.POLICE)
    formulation(case, "moderate", D2, people["clinician"])  # health
    case_risk_refresh(case=case)
    advocate = _history(verified_client(people["advocate"]), case)
    assert "<svg" not in advocate
    assert "No completed assessment, formulation or risk event you can see" in advocate
    assert "Moderate" in advocate[advocate.index('id="current-risk"') :][:200]
    clinician = _svg(_history(verified_client(people["clinician"]), case))
    assert clinician.count('class="masip-risk-chart__point"') == 1
    assert f"{D1:%-d %b %Y}: High" not in clinician
    investigator = _svg(_history(verified_client(people["investigator"]), case))
    assert f"{D1:%-d %b %Y}: High" in investigator
    assert investigator.count('class="masip-risk-chart__point"') == 1  # not the health formulation


def test_the_listing_is_audited():
    case, people = _case()
    first = assessment(case, "high", D1, people["investigator"])
    _history(verified_client(people["investigator"]), case)
    listed = AuditEvent.objects.get(actor=people["investigator"], object_type="risk.assessment")
    assert listed.detail["listed"] == [str(first.pk)]


def test_one_point_draws_and_two_hundred_points_draw_too():
    case, people = _case()
    screen = instrument_version()
    assessment(case, "low", D1, people["investigator"], version=screen)
    one = _svg(_history(verified_client(people["investigator"]), case))
    assert one.count('class="masip-risk-chart__point"') == 1
    assert "<path d=" in one
    start = TODAY - timedelta(days=400)
    for n in range(199):
        assessment(
            case,
            ("low", "moderate", "high")[n % 3],
            start + timedelta(days=2 * n),
            people["investigator"],
            version=screen,
        )
    many = _history(verified_client(people["investigator"]), case)
    assert _svg(many).count('class="masip-risk-chart__point"') == 200
    assert _table(many).count('<tr class="govuk-table__row">') == 201  # the header and 200 rows
    # At most six date labels, however many points.
    assert len(re.findall(r"masip-risk-chart__date", _svg(many))) <= 6


def test_the_chart_of_only_events_and_of_one_day():
    point_day = date(2026, 3, 2)
    chart = risk_chart(points=[], markers=[], today=point_day, current_label="Not yet assessed")
    assert chart is None
    from masip.risk.history import MARKER_EVENT, RiskMarker

    only_events = risk_chart(
        points=[], markers=[RiskMarker(point_day, MARKER_EVENT, "New threat")], today=point_day, current_label="Low"
    )
    assert only_events is not None
    assert "2 Mar 2026: New threat (Risk event)" in only_events.svg


def test_the_case_page_links_to_the_risk_history_and_shows_when_risk_was_last_assessed():
    case, people = _case()
    assessment(case, "moderate", D2, people["investigator"])
    case_risk_refresh(case=case)
    html = (
        verified_client(people["advocate"]).get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    )
    assert reverse("risk:history", kwargs={"case_id": case.pk}) in html
    risk = html[html.index('id="risk"') :][:400]
    assert "Moderate" in risk
    assert f"{D2:%-d %B %Y}" in risk
    nxt = html[html.index('id="next-reassessment"') :][:600]
    assert "Re-assess risk (moderate risk)" in nxt

"""The unit dashboard as a manager and an analyst read it: every measure for the chosen period,
counts only, the reading audited; a reversed period gets a clear message."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from tests.conftest import verified_client
from tests.factories import member
from tests.reports.fixtures import build_world

pytestmark = pytest.mark.django_db


def _get(user, **params):
    return verified_client(user).get(reverse("reports:dashboard"), params)


def test_the_analyst_reads_the_measures_of_the_period_and_no_identity(django_assert_max_num_queries):
    data = build_world()
    analyst = member(Role.ANALYST, unit=data.unit_a)
    client = verified_client(analyst)
    client.get(reverse("home"))
    with django_assert_max_num_queries(40):
        response = client.get(reverse("reports:dashboard"), {"start": "2025-03-01", "end": "2025-03-31"})
    assert response.status_code == 200
    body = response.content.decode()
    assert data.unit_a.name in body
    # The hand-counted March of tests/reports/test_measures.py: 9 received, 7 decided.
    assert "9 referrals received, 7 decided" in body
    # The pictures carry the numbers too, and the tables beside them.
    per_month = body[body.index('id="chart-per-month"') :][:6000]
    assert "<svg" in per_month
    assert ">9<" in per_month  # March's bar is labelled with its count
    assert 'id="referrals-per-month"' in body
    sources = body[body.index('id="referrals-by-source"') :][:2000]
    assert sources.index("Police force P") < sources.index("NHS trust N") < sources.index("Advocacy V")
    # Time to decision as a distribution, its numbers in the table beside the chart
    # (days 0 1 2 3 4 6 10, as in test_measures.py).
    assert "<svg" in body[body.index('id="chart-time-to-decision"') :][:6000]
    bands = _table(body, "time-to-decision-bands")
    assert bands == [
        ("Same day", "1"),
        ("1 day", "1"),
        ("2 to 3 days", "2"),
        ("4 to 7 days", "2"),
        ("8 to 14 days", "1"),
        ("15 to 28 days", "0"),
        ("29 days or more", "0"),
    ]
    # Risk intake -> closure: C2 moderate -> low, C4 high -> low, C3 not assessed -> high.
    assert "Lowered: 2; Unchanged: 0; Raised: 0; Not assessed at intake: 1." in body
    assert _table(body, "risk-changes") == [
        ("Lowered", "2"),
        ("Unchanged", "0"),
        ("Raised", "0"),
        ("Not assessed at intake", "1"),
    ]
    # Victim-reported: C1, C2, C4 measured twice; safety +3 -1 +5, wellbeing 0 +2 +3.
    victims = body[body.index('id="victim-change"') :][:3000]
    assert "3 victims measured at least twice" in victims
    assert _rows(victims) == [
        ["Feeling of safety", "3", "2", "0", "1"],
        ["Wellbeing", "2", "2", "1", "0"],
    ]
    assert "Victim-reported safety and wellbeing" in body
    assert f'href="{reverse("reports:quarterly")}"' in body
    assert "Quarterly report (PDF)" in body
    # No case reference reaches an aggregate page.
    for case in data.cases.values():
        assert case.reference not in body
    event = AuditEvent.objects.filter(object_type="reports.dashboard").get()
    assert event.detail == {"event": "unit_dashboard", "start": "2025-03-01", "end": "2025-03-31"}


def _rows(html):
    table = html[: html.index("</table>")]
    body = table[table.index("<tbody") :]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _table(body, table_id):
    return [tuple(cells) for cells in _rows(body[body.index(f'id="{table_id}"') :])]


def test_a_period_that_ends_before_it_starts_is_refused_with_what_to_do():
    data = build_world()
    response = _get(member(Role.UNIT_MANAGER, unit=data.unit_a), start="2025-06-30", end="2025-04-01")
    assert response.status_code == 400
    assert "ends (01/04/2025) before it starts (30/06/2025)" in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="reports.dashboard").exists()


def test_an_empty_period_is_a_report_of_zeros_not_an_error():
    data = build_world()
    response = _get(member(Role.UNIT_MANAGER, unit=data.unit_c), start="2020-01-01", end="2020-01-31")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="empty"' in body
    assert "no victim measured at least twice by the end of this period" in body
    # Each of the 4 charts says so (in its description and in its picture) rather than drawing nothing.
    assert body.count("No data in this period") == 8


def test_roles_without_aggregates_are_refused():
    data = build_world()
    assert _get(member(Role.POLICE_INVESTIGATOR, unit=data.unit_a)).status_code == 403


def test_the_default_period_is_the_last_twelve_months():
    from masip.reports.forms import default_period

    period = default_period(date(2026, 11, 22))
    assert (period.start, period.end, period.days) == (date(2025, 11, 23), date(2026, 11, 22), 365)


def test_the_figures_counted_today_are_kept_and_counted_again_on_request(django_assert_max_num_queries):
    """The day's figures are kept: a second reader gets the same page without a recount, told
    when they were counted; something recorded since shows after "Count again now"; figures of
    another shape (version) or of an earlier day are counted again."""
    from masip.reports.models import DashboardFigures
    from masip.reports.selectors import DASHBOARD_VERSION, dashboard_figures, stored_dashboard
    from tests.reports.fixtures import MARCH, _referral, at, d

    data = build_world()
    manager = member(Role.UNIT_MANAGER, unit=data.unit_a)
    client = verified_client(manager)
    march = {"start": "2025-03-01", "end": "2025-03-31"}
    assert "9 referrals received, 7 decided" in client.get(reverse("reports:dashboard"), march).content.decode()
    row = DashboardFigures.objects.get(unit=data.unit_a, start=MARCH.start, end=MARCH.end)
    # What was stored is what was counted, in every figure.
    assert stored_dashboard(unit=data.unit_a, period=MARCH) == dataclasses.replace(
        dashboard_figures(unit=data.unit_a, period=MARCH), counted_at=row.computed_at
    )
    # A referral received since: the stored figures stand, and say when they were counted.
    _referral(data.unit_a, data.agencies["P"], at(d(3, 30)))
    analyst = verified_client(member(Role.ANALYST, unit=data.unit_a))
    analyst.get(reverse("home"))
    with django_assert_max_num_queries(12):
        body = analyst.get(reverse("reports:dashboard"), march).content.decode()
    assert "9 referrals received, 7 decided" in body
    assert f"Counted on {timezone.localtime(row.computed_at):%d/%m/%Y at %H:%M}" in body
    assert 'id="counted"' in body
    # Count again now: a POST, then the same page, now with the new referral.
    response = analyst.post(reverse("reports:dashboard"), march)
    assert response.status_code == 302
    assert "start=2025-03-01" in response["Location"]
    assert "10 referrals received, 7 decided" in analyst.get(response["Location"]).content.decode()
    # Another version's row, or one counted before today, is counted again.
    DashboardFigures.objects.update(version=DASHBOARD_VERSION + 1, figures={"shape": "another"})
    assert stored_dashboard(unit=data.unit_a, period=MARCH).referrals_received == 10
    DashboardFigures.objects.update(computed_at=timezone.now() - timedelta(days=1), figures={"shape": "old"})
    assert stored_dashboard(unit=data.unit_a, period=MARCH).referrals_received == 10
    assert DashboardFigures.objects.get().version == DASHBOARD_VERSION


def test_the_nightly_precompute_counts_each_units_last_twelve_months():
    from django.core.management import call_command

    from masip.reports.forms import default_period
    from masip.reports.models import DashboardFigures

    data = build_world()
    call_command("reports_precompute", stdout=io.StringIO())
    period = default_period()
    stored = DashboardFigures.objects.filter(start=period.start, end=period.end)
    assert {row.unit_id for row in stored} >= {data.unit_a.pk, data.unit_b.pk, data.unit_c.pk}

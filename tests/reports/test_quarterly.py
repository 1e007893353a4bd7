"""The quarterly PDF as a unit manager and an operator get it: Q1 2025 of unit A, figures worked
out by hand from tests/reports/fixtures.py, read back with pypdf; no case reference; a quarter
not yet started, or not a quarter, is refused with what to do; an empty quarter is a report."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.reports.period import Period
from masip.reports.quarterly import Quarter
from tests.conftest import verified_client
from tests.factories import member
from tests.panel.helpers import requires_pdf
from tests.reports.fixtures import build_world

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _get(user, **params):
    return verified_client(user).get(reverse("reports:quarterly"), params)


# Q1 2025 of unit A against Q4 2024, from the fixtures (March as in test_measures.py):
# received: R11 (10 Jan), R1 (25 Feb), March's 9 = 11; by source P 5 (R1-R5), N 3, V 3 (R9-R11).
# decided: March's 7 + R11 (15 Jan, accepted) = 8, accepted 4. Days to decision 0 1 2 3 4 5 6 10:
# median 3.5, 90th at 6.3: 6 + 0.3 x 4 = 7.2; bands 4-7: R4 4, R11 5, R1 6 = 3.
# first victim contact: March's 0 3 9 30 + C4 20 Jan (R11 10 Jan: 10): median 9, 90th at 3.6:
# 10 + 0.6 x 20 = 22. Open at 31 March: 3. Closed: 3. Red flags raised: March's 3 + C1 20 Feb = 4.
# Orders applied: March's 3 + O3 (1 Feb) + O4 (15 Feb) = 5; granted: O1 O4 + O3 (from 1 Feb) = 3;
# breaches 1. Victims' Code: the one due 25 Feb was sent 1 Mar: late 3. Interventions started:
# March's 2 + C10's programme (5 Jan) = 3. Victims measured twice: C1 C2 C4 (as in March).
# Q4 2024: nothing but C8's programme started on 1 Dec 2024: interventions started 1.
HEADLINE = [
    "Referrals received 11 0",
    "Decisions made 8 0",
    "Accepted for unit risk management 4 0",
    "Open cases at the end of the quarter 3 0",
    "Cases closed 3 0",
    "Red flags raised 4 0",
    "Orders applied for 5 0",
    "Breaches of orders 1 0",
    "Interventions started 3 1",
    "Victims measured at least twice 3 0",
]
TABLES = [
    "Days from referral to decision median 3.5, 90th percentile 7.2 (8 referrals)",
    "Days from referral to first contact with the victim median 9, 90th percentile 22 (5 cases)",
    "Police force P 5",
    "Days to decision Number Same day 1 1 day 1 2 to 3 days 2 4 to 7 days 3 8 to 14 days 1 15 to 28 days 0 "
    "29 days or more 0",
    "Orders applied for 5 Orders granted 3 Breaches of orders 1",
    "Given on time 1 Given late 3 Still to give and overdue 1",
    "Lowered 2 Unchanged 0 Raised 0 Not assessed at intake 1",
    "3 victims measured at least twice",
    "Feeling of safety 3 2 0 1 Wellbeing 2 2 1 0",
]


@requires_pdf
def test_the_q1_2025_report_of_unit_a_has_the_quarter_and_the_one_before_and_no_reference():
    data = build_world()
    manager = member(Role.UNIT_MANAGER, unit=data.unit_a)
    response = _get(manager, year="2025", quarter="1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (f'attachment; filename="quarterly-report-{data.unit_a.code}-2025Q1.pdf"')
    assert response["Cache-Control"] == "no-store"
    text = _text(response.content)
    assert data.unit_a.name in text
    assert "Q1 2025 (January to March 2025): 01/01/2025 to 31/03/2025" in text
    assert "Figure Q1 2025 Q4 2024" in text
    for line in HEADLINE + TABLES:
        assert line in text
    assert "Appendix: definitions" in text
    assert "to date" not in text.split("Appendix")[0]
    for case in data.cases.values():
        assert case.reference not in text
    assert "B-C1" not in text
    event = AuditEvent.objects.get(object_type="reports.quarterly")
    assert (event.action, event.actor_id, event.unit_id) == (AuditAction.EXPORT, manager.pk, data.unit_a.pk)
    assert event.detail == {
        "event": "quarterly_report",
        "quarter": "2025Q1",
        "start": "2025-01-01",
        "end": "2025-03-31",
    }


@requires_pdf
def test_an_empty_quarter_is_a_report_that_says_nothing_happened():
    data = build_world()
    response = _get(member(Role.ANALYST, unit=data.unit_c), year="2025", quarter="1")
    assert response.status_code == 200
    text = _text(response.content)
    assert "Nothing happened in this quarter" in text
    assert "Referrals received 0 0" in text
    assert "no victim measured at least twice" in text


@requires_pdf
def test_the_current_quarter_is_reported_to_date():
    data = build_world()
    today = timezone.localdate()
    current = Quarter.of(today)
    response = _get(member(Role.UNIT_MANAGER, unit=data.unit_c), year=str(current.year), quarter=str(current.number))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'{current.code}-to-date.pdf"')
    text = _text(response.content)
    assert f"Q{current.number} {current.year} to date" in text
    assert f"{current.start:%d/%m/%Y} to {today:%d/%m/%Y}" in text


def test_a_quarter_not_yet_started_is_refused_with_the_latest_that_may_be_asked():
    data = build_world()
    current = Quarter.of(timezone.localdate())
    future = current.next
    response = _get(member(Role.UNIT_MANAGER, unit=data.unit_a), year=str(future.year), quarter=str(future.number))
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Q{future.number} {future.year} has not started yet" in body
    assert f"up to Q{current.number} {current.year} (the current quarter, reported to date)" in body
    assert "govuk-error-summary" in body
    assert not AuditEvent.objects.filter(object_type="reports.quarterly").exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "20x5", "quarter": "1"}, "Enter the year as four digits, for example 2025."),
        ({"year": "2025", "quarter": "5"}, "Choose a quarter from Q1 (January to March) to Q4 (October to December)."),
        ({"year": "", "quarter": "1"}, "Enter the year, for example 2025."),
        ({"year": "1999", "quarter": "1"}, "Enter a year from 2000."),
    ],
)
def test_a_quarter_that_is_not_one_is_refused_with_what_to_enter(params, message):
    data = build_world()
    response = _get(member(Role.UNIT_MANAGER, unit=data.unit_a), **params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="reports.quarterly").exists()


def test_the_form_offers_the_last_whole_quarter_and_roles_without_aggregates_are_refused():
    data = build_world()
    response = _get(member(Role.ANALYST, unit=data.unit_a))
    assert response.status_code == 200
    previous = Quarter.of(timezone.localdate()).previous
    body = response.content.decode()
    assert f'value="{previous.year}"' in body
    assert f'<option value="{previous.number}" selected>' in body
    assert _get(member(Role.POLICE_INVESTIGATOR, unit=data.unit_a), year="2025", quarter="1").status_code == 403


@requires_pdf
def test_the_command_writes_the_report_and_refuses_what_is_not_a_past_quarter(tmp_path):
    data = build_world()
    output = tmp_path / "q1.pdf"
    call_command("quarterly_report", unit=data.unit_a.code, quarter="2025q1", output=str(output), stdout=io.StringIO())
    text = _text(output.read_bytes())
    for line in HEADLINE:
        assert line in text
    assert list(tmp_path.iterdir()) == [output]  # no part file left behind
    event = AuditEvent.objects.get(object_type="reports.quarterly")
    assert (event.action, event.actor_id) == (AuditAction.EXPORT, None)
    with pytest.raises(CommandError, match="is not a quarter: write the year then Q"):
        call_command("quarterly_report", unit=data.unit_a.code, quarter="2025Q5", output=str(output))
    future = Quarter.of(timezone.localdate()).next
    with pytest.raises(CommandError, match="has not started yet"):
        call_command("quarterly_report", unit=data.unit_a.code, quarter=future.code, output=str(output))
    with pytest.raises(CommandError, match="No unit has the code 'nope'"):
        call_command("quarterly_report", unit="nope", quarter="2025Q1", output=str(output))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("quarterly_report", unit=data.unit_a.code, quarter="2025Q1", output=str(tmp_path / "no" / "x.pdf"))
    assert AuditEvent.objects.filter(object_type="reports.quarterly").count() == 1


def test_calendar_quarters():
    assert Quarter.parse("2025Q1") == Quarter.parse(" 2025-q1 ") == Quarter(2025, 1)
    assert (Quarter(2025, 1).start, Quarter(2025, 1).end) == (date(2025, 1, 1), date(2025, 3, 31))
    assert (Quarter(2024, 4).start, Quarter(2024, 4).end) == (date(2024, 10, 1), date(2024, 12, 31))
    assert Quarter(2025, 1).previous == Quarter(2024, 4)
    assert Quarter(2024, 4).next == Quarter(2025, 1)
    assert Quarter.of(date(2025, 6, 30)) == Quarter(2025, 2)
    today = date(2025, 5, 10)
    assert Quarter(2025, 2).period(today) == Period(date(2025, 4, 1), date(2025, 5, 10))
    assert Quarter(2025, 1).period(today) == Period(date(2025, 1, 1), date(2025, 3, 31))
    with pytest.raises(ValidationError, match="Q3 2025 has not started yet"):
        Quarter(2025, 3).period(today)
    for text in ("2025Q0", "Q1 2025", "2025", "", "2025Q12"):
        with pytest.raises(ValidationError, match="is not a quarter"):
            Quarter.parse(text)

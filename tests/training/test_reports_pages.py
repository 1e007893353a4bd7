"""The training reports: one delivery's feedback, and the unit's training over a period (page
and CSV). Figures checked against values worked by hand; queries do not grow with the data."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.training.models import AttendeeRole, DeliveryStatus, OrganisationKind
from tests.conftest import verified_client
from tests.factories import UnitFactory, member
from tests.training.feedback_world import attend, catalogue, delivery, organisation, respond

pytestmark = pytest.mark.django_db


def _report_url(target: Any) -> str:
    return reverse("training:delivery_report", kwargs={"delivery_id": target.pk})


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = html[html.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    return [[" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in row] for row in cells]


@pytest.fixture
def trained() -> Any:
    """A unit, its trainer's client, a delivery with its catalogue, attendance of 10 and three responses."""
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda)
    police = organisation(unit)
    attend(target, police, AttendeeRole.SPOCS, 6)
    attend(target, police, AttendeeRole.FRONT_LINE, 4)
    o = world.outcomes
    # Risk: response 1 rates both outcomes (changes 1 and 3: one value, 2), response 2 one (change 1),
    # response 3 none. Legal issues: responses 1 and 3 (changes 2 and 0, 4 → one value each: 2 and 2).
    respond(target, {o["screen"]: (1, 2), o["plan"]: (2, 5), o["offences"]: (1, 3)}, comments="Good day")
    respond(target, {o["screen"]: (3, 4)}, role=AttendeeRole.SPOCS, comments="<script>alert('x')</script>")
    respond(target, {o["offences"]: (3, 3), o["orders"]: (1, 5)})
    return {"unit": unit, "world": world, "delivery": target, "client": verified_client(member(Role.TRAINER, unit))}


def test_the_delivery_report_counts_responses_against_attendance(trained):
    html = trained["client"].get(_report_url(trained["delivery"])).content.decode()
    assert re.search(r'id="responses">\s*3\s*<', html)
    assert re.search(r'id="attended">\s*10\s*<', html)
    assert re.search(r'id="response-rate">\s*30%\s*<', html)
    assert trained["delivery"].feedback_token in html


def test_the_delivery_report_gives_each_outcome_its_means_and_interval(trained):
    html = trained["client"].get(_report_url(trained["delivery"])).content.decode()
    rows = {row[0]: row[1:] for row in _cells(html, "outcomes")[1:]}
    # Use the screening questions: before 1, 3 (mean 2.00); after 2, 4 (3.00); changes 1, 1 (interval 0 wide).
    assert rows["Risk Use the screening questions"] == ["2", "2.00", "3.00", "1.00", "1.00 to 1.00"]
    assert rows["Risk Plan for safety"] == ["1", "2.00", "5.00", "3.00", "too few responses for an interval"]
    # Name the stalking offences: changes 2 and 0: mean 1, s = 1.4142, t(1) = 12.7062 → ± 12.71
    assert rows["Legal issues Name the stalking offences"] == ["2", "2.00", "3.00", "1.00", "-11.71 to 13.71"]


def test_a_topic_counts_each_response_once_with_the_mean_of_its_changes(trained):
    html = trained["client"].get(_report_url(trained["delivery"])).content.decode()
    rows = {row[0]: row[1:] for row in _cells(html, "topics")[1:]}
    # Risk: response 1 → (1 + 3) / 2 = 2, response 2 → 1: n 2, mean 1.5, s 0.7071, ± 6.3531
    assert rows["Risk"] == ["2", "1.50", "-4.85 to 7.85"]
    # Legal issues: response 1 → 2, response 3 → (0 + 4) / 2 = 2: n 2, mean 2, no spread
    assert rows["Legal issues"] == ["2", "2.00", "2.00 to 2.00"]
    assert "A victim" not in str(rows)  # no one rated the opening item


def test_comments_are_shown_as_written_and_escaped(trained):
    html = trained["client"].get(_report_url(trained["delivery"])).content.decode()
    assert "Good day" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert" not in html


def test_a_delivery_with_no_feedback_or_attendance_says_so():
    unit = UnitFactory()
    target = delivery(unit)
    html = verified_client(member(Role.TRAINER, unit)).get(_report_url(target)).content.decode()
    assert re.search(r'id="responses">\s*0\s*<', html)
    assert "Not known until the attendance is recorded" in html
    assert "No ratings yet." in html


def test_the_delivery_report_costs_the_same_queries_however_many_responses(trained, django_assert_max_num_queries):
    client, target, o = trained["client"], trained["delivery"], trained["world"].outcomes
    with CaptureQueriesContext(connection) as few:
        client.get(_report_url(target))
    for n in range(10):
        respond(target, {o["screen"]: (1, 1 + n % 5), o["story"]: (2, 3)}, comments=f"comment {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(_report_url(target)).content.decode()
    assert "comment 9" in html


def test_another_units_delivery_and_an_unknown_one_are_the_same_404(trained):
    theirs = delivery(UnitFactory())
    client = trained["client"]
    assert client.get(_report_url(theirs)).status_code == 404
    assert client.get(reverse("training:delivery_report", kwargs={"delivery_id": 999999})).status_code == 404


@pytest.mark.parametrize("role", [Role.STALKING_ADVOCATE, Role.ANALYST])
def test_staff_without_the_training_role_cannot_read_the_reports(role):
    unit = UnitFactory()
    target = delivery(unit)
    client = verified_client(member(role, unit))
    assert client.get(_report_url(target)).status_code == 403
    assert client.get(reverse("training:reports")).status_code == 403
    assert client.get(reverse("training:reports_csv")).status_code == 403


@pytest.fixture
def year() -> Any:
    """Two deliveries in the last year (police and a council), one cancelled, one older than a year."""
    unit = UnitFactory()
    today = timezone.localdate()
    police = organisation(unit, "Northshire Police", OrganisationKind.POLICE)
    council = organisation(unit, "=Southby Council", OrganisationKind.LOCAL_AUTHORITY)
    world = catalogue(unit)
    first = delivery(unit, agenda=world.agenda, on=today - timedelta(days=40))
    second = delivery(unit, agenda=world.agenda, on=today - timedelta(days=5), organisation=council)
    cancelled = delivery(unit, on=today - timedelta(days=20), status=DeliveryStatus.CANCELLED)
    old = delivery(unit, on=today - timedelta(days=400))
    attend(first, police, AttendeeRole.SPOCS, 5)
    attend(first, police, AttendeeRole.MANAGERS, 2)
    attend(second, council, AttendeeRole.FRONT_LINE, 12)
    attend(second, police, AttendeeRole.SPOCS, 1)
    attend(cancelled, police, AttendeeRole.SPOCS, 50)
    attend(old, police, AttendeeRole.SPOCS, 70)
    o = world.outcomes
    respond(first, {o["screen"]: (1, 3)})
    respond(second, {o["screen"]: (2, 3), o["plan"]: (2, 4)})
    respond(second, {o["screen"]: (2, 5)})
    respond(old, {o["screen"]: (5, 1)})
    return {"unit": unit, "client": verified_client(member(Role.TRAINER, unit)), "today": today}


def test_the_period_report_defaults_to_the_last_twelve_months(year):
    html = year["client"].get(reverse("training:reports")).content.decode()
    assert "2 deliveries held, 20 people trained, 3 feedback responses" in html
    people = _cells(html, "people")
    assert people[0] == [
        "Organisation",
        "Manager",
        "Stalking single point of contact (SPOC)",
        "Front-line staff",
        "Other",
        "Total",
    ]
    assert people[1:] == [
        ["=Southby Council (Local authority)", "0", "0", "12", "0", "12"],
        ["Northshire Police (Police force)", "2", "6", "0", "0", "8"],
        ["Total", "2", "6", "12", "0", "20"],
    ]
    assert _cells(html, "by-kind")[1:] == [["Local authority", "12"], ["Police force", "8"]]
    # Risk: one value per response: 2, (1 + 2) / 2 = 1.5, 3 → n 3, mean 2.1667, s 0.7638, t(2) 4.3027 → ± 1.8974
    assert _cells(html, "topics")[1:] == [["Risk", "3", "2.17", "0.27 to 4.06"]]


def test_an_empty_period_is_a_report_of_nothing(year):
    html = (
        year["client"].get(reverse("training:reports"), {"start": "2001-01-01", "end": "2001-12-31"}).content.decode()
    )
    assert "0 deliveries held, 0 people trained, 0 feedback responses" in html
    assert "No training was held in this period." in html
    assert _cells(html, "people")[1:] == [["Total", "0", "0", "0", "0", "0"]]


def test_a_period_ending_before_it_starts_is_refused_with_what_to_enter(year):
    response = year["client"].get(reverse("training:reports"), {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 400
    assert "The period ends (01/04/2026) before it starts (01/05/2026): enter the first day, then the last." in (
        response.content.decode()
    )
    assert year["client"].get(reverse("training:reports_csv"), {"start": "2026-05-01", "end": "x"}).status_code == 400


def test_the_csv_holds_the_tables_with_formulas_neutralised(year):
    response = year["client"].get(reverse("training:reports_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="training-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Deliveries held", "2"] in rows
    assert ["'=Southby Council", "Local authority", "0", "0", "12", "0", "12"] in rows
    assert ["Total", "", "2", "6", "12", "0", "20"] in rows
    assert ["Police force", "8"] in rows
    assert ["Risk", "3", "2.17", "0.27", "4.06"] in rows


def test_the_period_report_costs_the_same_queries_however_much_training(year, django_assert_max_num_queries):
    client, unit = year["client"], year["unit"]
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("training:reports"))
    world = catalogue(unit)
    for n in range(6):
        more = delivery(unit, agenda=world.agenda, on=year["today"] - timedelta(days=n + 1))
        attend(more, organisation(unit, f"Agency {n}", OrganisationKind.HEALTH), AttendeeRole.OTHER, n + 1)
        respond(more, {world.outcomes["offences"]: (1, 2), world.outcomes["story"]: (2, 2)})
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("training:reports")).content.decode()
    assert "8 deliveries held, 41 people trained" in html


def test_an_anonymous_visitor_is_sent_to_sign_in():
    response = Client().get(reverse("training:reports"))
    assert response.status_code == 302

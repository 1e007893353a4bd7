"""The case overview: at most 15 queries however long the case's history, only what the viewer
may see, and its reads audited in one INSERT."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from masip.audit.models import AuditAction, AuditEvent
from masip.cases.overview import TIMELINE_LIMIT
from masip.evidence.models import EvidenceItem
from tests.cases.overview_case import BODY, BusyCase, busy_case
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15
ROLES = ("investigator", "clinician", "advocate")
# The compartments each viewer's notes may come from (the team compartment is everyone's).
SEES = {
    "investigator": {"team", "police"},
    "clinician": {"team", "health"},
    "advocate": {"team", "advocacy"},
}


def _page(busy: BusyCase, role: str) -> tuple[int, str, list[str]]:
    """(queries, html, SQL) of the case page for `role`, after one warm-up request (which writes
    the session's last-seen time, a write made at most once a minute)."""
    client = verified_client(getattr(busy, role))
    url = reverse("cases:detail", kwargs={"case_id": busy.case.pk})
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    return len(sql), response.content.decode(), sql


@pytest.mark.parametrize("role", ROLES)
def test_the_overview_takes_at_most_15_queries_whatever_the_size_of_the_case(role):
    few, _, _ = _page(busy_case(entries=5, documents=2), role)
    many, html, sql = _page(busy_case(entries=500, documents=50), role)
    assert many <= MAX_QUERIES, "\n".join(sql)
    assert many == few
    # One audit INSERT for everything the page read.
    assert sum(1 for statement in sql if statement.startswith('INSERT INTO "audit_auditevent"')) == 1
    assert (
        html.count('class="govuk-inset-text" id="note-')
        + html.count('id="status-change-')
        + html.count('id="evidence-')
        == TIMELINE_LIMIT
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_viewer_sees_only_their_compartments_on_the_overview(role):
    busy = busy_case(entries=500, documents=50)
    _, html, _ = _page(busy, role)
    for compartment, body in BODY.items():
        assert (body in html) == (compartment.value in SEES[role]), (role, compartment)
    # The police-only exhibits (one in five) are not listed to those outside the police compartment.
    assert ("EX-050" in html) == (role == "investigator")


def test_the_advocate_never_sees_health_notes_even_in_the_full_list():
    busy = busy_case(entries=60, documents=0)
    client = verified_client(busy.advocate)
    for page in (1, 2):
        html = client.get(reverse("cases:notes", kwargs={"case_id": busy.case.pk}), {"page": page}).content.decode()
        assert BODY["advocacy"] in html or page == 2
        assert BODY["health"] not in html


def test_the_overview_says_what_is_known_and_what_is_not_recorded():
    busy = busy_case(entries=100, documents=3)
    _, html, _ = _page(busy, "investigator")
    assert "High" in html
    assert "No risk assessment or formulation has been completed on this case yet." in html
    assert "None open that you can see." in html  # red flags: an honest empty state
    assert "Stalking Protection Order in progress: Interim order granted" in html
    assert "None in force that you can see." in html  # nothing in the orders register yet
    assert "Review the case (high risk)" in html
    for heading in ("Case team", "People", "Tasks", "Parallel processes", "Evidence", "Notes and contacts"):
        assert f">{heading}</h2>" in html
    assert "Record a contact" in html
    assert reverse("cases:notes", kwargs={"case_id": busy.case.pk}) in html
    assert "Showing the" in html
    assert "notes and contacts you can read" in html


def test_the_page_read_keeps_every_audit_row_in_one_insert():
    busy = busy_case(entries=50, documents=10)
    _page(busy, "advocate")
    events = list(AuditEvent.objects.filter(actor=busy.advocate, action=AuditAction.VIEW).order_by("seq"))
    last_page = events[len(events) // 2 :]  # the warm-up request wrote the same rows
    assert [event.object_type for event in last_page] == [
        "cases.case",
        "people.person",  # the victim's contact details
        "people.person",  # the sister's phone number
        "evidence.evidenceitem",
    ]
    assert {event.person_id for event in last_page[1:3]} == {busy.victim.person_id, busy.sister.person_id}
    listed = set(last_page[3].detail["listed"])
    items = {item.exhibit_ref: str(item.pk) for item in EvidenceItem.unscoped.filter(case=busy.case)}
    # The five newest the advocate may see are listed; the police-only ones (EX-005, EX-010) never.
    assert {items[ref] for ref in ("EX-009", "EX-008", "EX-007", "EX-006", "EX-004")} <= listed
    assert not listed & {items["EX-005"], items["EX-010"]}


def test_the_clinician_reads_no_contact_details_so_none_is_audited():
    busy = busy_case(entries=10, documents=0)
    _, html, _ = _page(busy, "clinician")
    assert "07700 900123" not in html
    assert not AuditEvent.objects.filter(actor=busy.clinician, object_type="people.person").exists()


def test_the_overview_counts_the_orders_in_force_with_the_soonest_end():
    from datetime import timedelta

    from django.utils import timezone

    from masip.interventions.models_legal import Order, OrderKind, OrderStatus

    busy = busy_case(entries=5, documents=1)
    today = timezone.localdate()
    Order.unscoped.create(
        case=busy.case, kind=OrderKind.SPO, status=OrderStatus.IN_FORCE, starts_on=today, ends_on=today + timedelta(730)
    )
    Order.unscoped.create(
        case=busy.case,
        kind=OrderKind.RESTRAINING_CONVICTION,
        status=OrderStatus.IN_FORCE,
        starts_on=today,
        ends_on=today + timedelta(100),
    )
    Order.unscoped.create(case=busy.case, kind=OrderKind.SPO, status=OrderStatus.REFUSED, starts_on=today)
    queries, html, _ = _page(busy, "investigator")
    soonest = today + timedelta(100)
    assert f'<strong>2 in force</strong>; the soonest ends <time datetime="{soonest.isoformat()}">' in html
    assert queries <= MAX_QUERIES

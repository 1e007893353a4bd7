"""Attendance of a delivery: counts by organisation and role (required), names optional and never
more than counted, nothing before the day, organisations matched by name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.training.models import AttendanceCount, Attendee, Organisation, TrainingSettings
from tests.conftest import verified_client
from tests.factories import UnitFactory, member
from tests.training.test_deliveries_pages import book

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit() -> Any:
    unit = UnitFactory()
    TrainingSettings.objects.create(unit=unit)
    return unit


@pytest.fixture
def trainer(unit: Any) -> Any:
    return member(Role.TRAINER, unit=unit)


@pytest.fixture
def client(trainer: Any) -> Client:
    return verified_client(trainer)


def rows(
    counts: list[tuple[str, str, Any]], named: list[tuple[str, str, str]] = (), version: int = 1
) -> dict[str, Any]:  # type: ignore[assignment]
    data: dict[str, Any] = {
        "version": version,
        "counts-TOTAL_FORMS": max(len(counts), 1),
        "counts-INITIAL_FORMS": 0,
        "named-TOTAL_FORMS": max(len(named), 1),
        "named-INITIAL_FORMS": 0,
    }
    for i, (organisation, role, count) in enumerate(counts):
        data.update(
            {f"counts-{i}-organisation_name": organisation, f"counts-{i}-role": role, f"counts-{i}-count": count}
        )
    for i, (name, organisation, role) in enumerate(named):
        data.update({f"named-{i}-name": name, f"named-{i}-organisation_name": organisation, f"named-{i}-role": role})
    return data


def url(delivery: Any) -> str:
    return reverse("training:delivery_attendance", kwargs={"delivery_id": delivery.pk})


@pytest.fixture
def yesterday(unit: Any, trainer: Any) -> Any:
    return book(unit, trainer, day=timezone.localdate() - timedelta(days=1))


def test_attendance_is_saved_with_organisations_matched_by_name(
    unit: Any, yesterday: Any, client: Client, trainer: Any
) -> None:
    response = client.post(
        url(yesterday),
        rows(
            [("NORTHSHIRE POLICE", "spocs", 8), ("Southshire NHS Trust", "front_line", 12)],
            [("Jo Bloggs", "northshire police", "spocs")],
        ),
    )
    assert response.status_code == 302
    counts = {(c.organisation.name, c.role): c.count for c in AttendanceCount.objects.filter(delivery=yesterday)}
    assert counts == {("Northshire Police", "spocs"): 8, ("Southshire NHS Trust", "front_line"): 12}
    assert Organisation.objects.filter(unit=unit).count() == 2
    attendee = Attendee.objects.get()
    assert (attendee.name, attendee.organisation.name) == ("Jo Bloggs", "Northshire Police")
    event = AuditEvent.objects.filter(object_type="training.delivery", action=AuditAction.CHANGE).get()
    assert event.fields == ["attendance", "attendees"]
    assert "Jo Bloggs" not in str(event.detail)
    page = client.get(reverse("training:delivery", kwargs={"delivery_id": yesterday.pk})).content.decode()
    assert "20 attended" in page
    # Saving again replaces the rows rather than adding to them.
    client.post(url(yesterday), rows([("Northshire Police", "spocs", 5)], version=2))
    assert list(AttendanceCount.objects.values_list("count", flat=True)) == [5]
    assert not Attendee.objects.exists()


def test_attendance_before_the_day_is_refused(unit: Any, trainer: Any, client: Client) -> None:
    tomorrow = book(unit, trainer, day=timezone.localdate() + timedelta(days=1))
    page = client.get(url(tomorrow))
    assert page.status_code == 200
    assert "Record who came on or after that day" in page.content.decode()
    refused = client.post(url(tomorrow), rows([("Northshire Police", "spocs", 8)]))
    assert refused.status_code == 400
    assert "record its attendance on or after that day" in refused.content.decode()
    assert not AttendanceCount.objects.exists()


@pytest.mark.parametrize(
    ("counts", "named", "message"),
    [
        ([], [], "Enter at least one row"),
        ([("Police", "spocs", 3), ("police", "spocs", 2)], [], "is entered twice: put them in one row with the total"),
        ([("Police", "spocs", 1)], [("A", "Police", "spocs"), ("B", "Police", "spocs")], "2 named"),
        ([("Police", "spocs", 1)], [("A", "Police", "managers")], "but the count for them is 0"),
        ([("Police", "spocs", 1001)], [], "A count can be at most 1000."),
        ([("Police", "spocs", 0)], [], "Enter 1 or more"),
        ([("Police", "", 3)], [], "Choose the role, or leave the whole row empty."),
        ([("Police", "<script>", 3)], [], "Select a valid choice"),
        ([("x" * 201, "spocs", 3)], [], "at most 200 characters"),
        ([("Police", "spocs", 3)], [("x" * 201, "Police", "spocs")], "A name can be at most 200 characters."),
    ],
)
def test_bad_attendance_is_refused_with_a_message(
    yesterday: Any, client: Client, counts: Any, named: Any, message: str
) -> None:
    response = client.post(url(yesterday), rows(counts, named))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AttendanceCount.objects.exists()


def test_names_are_shown_escaped(yesterday: Any, client: Client) -> None:
    client.post(
        url(yesterday), rows([("<i>Police</i>", "spocs", 1)], [("<script>x</script>", "<i>Police</i>", "spocs")])
    )
    page = client.get(reverse("training:delivery", kwargs={"delivery_id": yesterday.pk})).content.decode()
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    form = client.get(url(yesterday)).content.decode()
    assert "<script>x</script>" not in form


def test_a_stale_attendance_is_refused(yesterday: Any, client: Client) -> None:
    response = client.post(url(yesterday), rows([("Police", "spocs", 1)], version=7))
    assert response.status_code == 409
    assert not AttendanceCount.objects.exists()

"""The trainers' enquiries queue: who may see it, newest first, by status, handling one enquiry
(status, trainer, notes, organisation), stale edits and other units' enquiries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.training.models import Enquiry, EnquiryStatus, Organisation
from tests.conftest import verified_client
from tests.factories import UnitFactory, member

pytestmark = pytest.mark.django_db

_made = iter(range(1, 10_000))


def enquiry(unit: Any, **kwargs: Any) -> Enquiry:
    n = next(_made)
    values: dict[str, Any] = {
        "unit": unit,
        "reference": f"{unit.code.upper()}-TRN-2026-{n:04d}",
        "organisation_name": f"Organisation {n}",
        "organisation_kind": "police",
        "region": "london",
        "contact_name": "Sam Taylor",
        "email": "sam@example.org",
        "audience": {"managers": 3},
        "source_digest": "d" * 64,
    }
    values.update(kwargs)
    return Enquiry.objects.create(**values)


@pytest.fixture
def unit() -> Any:
    return UnitFactory()


@pytest.fixture
def trainer(unit: Any) -> Any:
    return member(Role.TRAINER, unit=unit)


@pytest.fixture
def client(trainer: Any) -> Client:
    return verified_client(trainer)


def detail_url(record: Enquiry) -> str:
    return reverse("training:enquiry", kwargs={"enquiry_id": record.pk})


def test_the_queue_needs_the_training_capability(unit: Any) -> None:
    assert Client().get(reverse("training:enquiries")).status_code == 302
    caseworker = member(Role.STALKING_ADVOCATE, unit=unit)
    assert verified_client(caseworker).get(reverse("training:enquiries")).status_code in (403, 404)


def test_the_queue_is_newest_first_with_counts_and_a_status_filter(unit: Any, client: Client) -> None:
    old = enquiry(unit, organisation_name="Older Org")
    Enquiry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    enquiry(unit, organisation_name="Newer Org")
    enquiry(unit, organisation_name="Booked Org", status=EnquiryStatus.BOOKED)
    enquiry(UnitFactory(), organisation_name="Other unit's org")
    page = client.get(reverse("training:enquiries")).content.decode()
    assert page.index("Booked Org") < page.index("Newer Org") < page.index("Older Org")
    assert "Other unit" not in page
    assert "New (2)" in page
    assert "Booked (1)" in page
    booked = client.get(reverse("training:enquiries"), {"status": "booked"}).content.decode()
    assert "Booked Org" in booked
    assert "Newer Org" not in booked
    # An unknown status is ignored rather than a 500.
    assert client.get(reverse("training:enquiries"), {"status": "<x>"}).status_code == 200


def test_the_queue_reads_in_a_fixed_number_of_queries(
    unit: Any, client: Client, django_assert_max_num_queries: Any
) -> None:
    assigned = member(Role.TRAINER, unit=unit)
    for _ in range(3):
        enquiry(unit, assigned_to=assigned)
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("training:enquiries"))
    for _ in range(15):
        enquiry(unit, assigned_to=member(Role.TRAINER, unit=unit))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("training:enquiries"))


def test_another_units_enquiry_is_not_found(client: Client) -> None:
    other = enquiry(UnitFactory())
    assert client.get(detail_url(other)).status_code == 404
    assert client.post(detail_url(other), {"version": 1, "status": "closed"}).status_code == 404
    assert client.get(reverse("training:enquiry", kwargs={"enquiry_id": 999_999})).status_code == 404


def test_a_trainer_handles_an_enquiry(unit: Any, trainer: Any, client: Client) -> None:
    record = enquiry(unit, message="Please <b>call</b>")
    page = client.get(detail_url(record)).content.decode()
    assert "Please &lt;b&gt;call&lt;/b&gt;" in page
    assert f"?enquiry={record.pk}" in page  # "Book a delivery" (and "Propose an agenda" once it exists)
    response = client.post(
        detail_url(record),
        {"action": "save", "version": 1, "status": "in_discussion", "assigned_to": trainer.pk, "trainer_notes": "Rang"},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.assigned_to, record.trainer_notes, record.version) == (
        "in_discussion",
        trainer,
        "Rang",
        2,
    )
    event = AuditEvent.objects.filter(object_type="training.enquiry").latest("seq")
    assert event.action == AuditAction.CHANGE
    assert sorted(event.fields) == ["assigned_to", "status", "trainer_notes"]
    assert event.actor == trainer


def test_a_stale_edit_is_refused(unit: Any, client: Client) -> None:
    record = enquiry(unit)
    Enquiry.objects.filter(pk=record.pk).update(version=2, trainer_notes="Theirs")
    response = client.post(detail_url(record), {"action": "save", "version": 1, "status": "closed"})
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    record.refresh_from_db()
    assert (record.status, record.trainer_notes) == ("new", "Theirs")


def test_only_the_units_trainers_can_be_assigned(unit: Any, client: Client) -> None:
    record = enquiry(unit)
    outsider = member(Role.TRAINER, unit=UnitFactory())
    response = client.post(
        detail_url(record), {"action": "save", "version": 1, "status": "new", "assigned_to": outsider.pk}
    )
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.assigned_to is None


def test_over_long_notes_are_refused(unit: Any, client: Client) -> None:
    record = enquiry(unit)
    response = client.post(
        detail_url(record), {"action": "save", "version": 1, "status": "new", "trainer_notes": "x" * 4001}
    )
    assert response.status_code == 400
    assert "Notes can be at most 4000 characters." in response.content.decode()


def test_linking_matches_an_organisation_whatever_its_case_or_makes_one(unit: Any, client: Client) -> None:
    existing = Organisation.objects.create(unit=unit, name="Northshire Police", kind="police")
    first = enquiry(unit, organisation_name="NORTHSHIRE police")
    assert client.post(detail_url(first), {"action": "link", "version": 1}).status_code == 302
    first.refresh_from_db()
    assert first.organisation == existing
    second = enquiry(unit, organisation_name="Southshire Council", organisation_kind="local_authority", region="wales")
    client.post(detail_url(second), {"action": "link", "version": 1})
    second.refresh_from_db()
    assert second.organisation is not None
    assert (second.organisation.name, second.organisation.kind, second.organisation.region) == (
        "Southshire Council",
        "local_authority",
        "wales",
    )
    assert Organisation.objects.filter(unit=unit).count() == 2
    stale = client.post(detail_url(second), {"action": "link", "version": 1})
    assert stale.status_code == 409

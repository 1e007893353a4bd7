"""Deliveries: booking one (from an enquiry, or not), the rules it keeps (a venue in person,
trainers able to present every topic of its agenda, held only on or after its day and with its
attendance), changing it, and other units' deliveries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.training.models import (
    Agenda,
    AgendaItem,
    AttendanceCount,
    Delivery,
    Enquiry,
    EnquiryStatus,
    Organisation,
    Topic,
    TopicKind,
    TrainingSettings,
)
from masip.training.services_deliveries import DeliveryDraft, delivery_create
from tests.conftest import verified_client
from tests.factories import UnitFactory, member

pytestmark = pytest.mark.django_db


def make_topic(unit: Any, title: str, trainers: list[Any], kind: str = TopicKind.SELECTABLE) -> Topic:
    topic = Topic.objects.create(
        unit=unit, key=title.lower().replace(" ", "-"), title=title, kind=kind, min_minutes=15, max_minutes=60
    )
    topic.trainers.set(trainers)
    return topic


def make_agenda(unit: Any, topics: list[Topic]) -> Agenda:
    agenda = Agenda.objects.create(unit=unit, title="Half day for SPOCs", slot_minutes=210)
    position = 1
    for topic in topics:
        AgendaItem.objects.create(
            agenda=agenda,
            position=position,
            kind=topic.kind if topic.kind == "opening" else "topic",
            topic=topic,
            title=topic.title,
            minutes=45,
        )
        position += 1
    AgendaItem.objects.create(agenda=agenda, position=position, kind="break", title="Break", minutes=15)
    return agenda


def book(unit: Any, actor: Any, *, day: date | None = None, **changes: Any) -> Delivery:
    organisation = Organisation.objects.get_or_create(unit=unit, name="Northshire Police")[0]
    values: dict[str, Any] = {
        "title": "Stalking awareness",
        "date": day or timezone.localdate() + timedelta(days=10),
        "mode": "in_person",
        "venue": "Town Hall",
        "trainers": [actor],
        "organisation": organisation,
        "audience": {"spocs": 10},
    }
    values.update(changes)
    return delivery_create(actor=actor, unit=unit, draft=DeliveryDraft(**values))


@pytest.fixture
def unit() -> Any:
    unit = UnitFactory(code="nsu")
    TrainingSettings.objects.create(unit=unit, feedback_days=14)
    return unit


@pytest.fixture
def trainer(unit: Any) -> Any:
    return member(Role.TRAINER, unit=unit, full_name="Alex Trainer")


@pytest.fixture
def client(trainer: Any) -> Client:
    return verified_client(trainer)


def form_data(trainer: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisation": "",
        "organisation_name": "Southshire Council",
        "organisation_kind": "local_authority",
        "organisation_region": "wales",
        "title": "Stalking awareness for managers",
        "date": (timezone.localdate() + timedelta(days=20)).isoformat(),
        "start_time": "09:30",
        "mode": "in_person",
        "venue": "Council offices, Cardiff",
        "audience_managers": "12",
        "trainers": [trainer.pk],
        "agenda": "",
        "status": "planned",
    }
    data.update(changes)
    return data


def test_booking_a_delivery_from_an_enquiry(unit: Any, trainer: Any, client: Client) -> None:
    enquiry = Enquiry.objects.create(
        unit=unit,
        reference="NSU-TRN-2026-0001",
        organisation_name="Southshire Council",
        organisation_kind="local_authority",
        region="wales",
        contact_name="Sam",
        email="sam@example.org",
        audience={"managers": 12},
        source_digest="d" * 64,
    )
    page = client.get(reverse("training:delivery_new"), {"enquiry": enquiry.pk}).content.decode()
    assert 'value="Southshire Council"' in page
    assert 'name="audience_managers" value="12"' in page or 'value="12"' in page
    response = client.post(reverse("training:delivery_new"), form_data(trainer, enquiry=enquiry.pk))
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.reference == f"NSU-DEL-{timezone.localdate().year}-0001"
    assert delivery.feedback_closes_on == delivery.date + timedelta(days=14)
    assert delivery.organisation.name == "Southshire Council"
    assert delivery.organisation.kind == "local_authority"
    assert list(delivery.trainers.all()) == [trainer]
    assert delivery.audience == {"managers": 12}
    assert delivery.enquiry == enquiry
    enquiry.refresh_from_db()
    assert enquiry.status == EnquiryStatus.BOOKED
    assert enquiry.organisation == delivery.organisation
    event = AuditEvent.objects.filter(object_type="training.delivery").get()
    assert event.action == AuditAction.CREATE
    assert event.detail == {"reference": delivery.reference}


def test_a_new_organisation_of_an_existing_name_is_the_existing_one(unit: Any, trainer: Any, client: Client) -> None:
    existing = Organisation.objects.create(unit=unit, name="Southshire Council")
    client.post(reverse("training:delivery_new"), form_data(trainer, organisation_name="  southshire   COUNCIL "))
    assert Delivery.objects.get().organisation == existing
    assert Organisation.objects.filter(unit=unit).count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"venue": ""}, "Enter the venue&#x27;s address: the delivery is in person."),
        ({"trainers": []}, "Choose at least one trainer."),
        ({"organisation_name": ""}, "Choose the organisation, or enter the name of a new one."),
        ({"title": "x" * 201}, "The title can be at most 200 characters."),
        ({"venue": "x" * 301}, "The venue can be at most 300 characters."),
        ({"date": "31/02/2027"}, "Enter a real date"),
        ({"audience_managers": "", "audience_spocs": ""}, "Enter how many people you expect"),
        ({"audience_managers": "900"}, "at most 500"),
        ({"status": "held"}, "it can be marked held on or after that day"),
        ({"mode": "<script>"}, "Select a valid choice"),
    ],
)
def test_bad_bookings_are_refused_with_a_message(trainer: Any, client: Client, changes: Any, message: str) -> None:
    response = client.post(reverse("training:delivery_new"), form_data(trainer, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Delivery.objects.exists()


def test_online_needs_no_venue(trainer: Any, client: Client) -> None:
    response = client.post(reverse("training:delivery_new"), form_data(trainer, mode="online", venue=""))
    assert response.status_code == 302


def test_a_trainer_of_another_unit_cannot_be_chosen(trainer: Any, client: Client) -> None:
    outsider = member(Role.TRAINER, unit=UnitFactory())
    response = client.post(reverse("training:delivery_new"), form_data(trainer, trainers=[outsider.pk]))
    assert response.status_code == 400
    assert not Delivery.objects.exists()


def test_a_topic_no_trainer_can_present_is_named(unit: Any, trainer: Any, client: Client) -> None:
    colleague = member(Role.TRAINER, unit=unit)
    opening = make_topic(unit, "A victim's story", [trainer], kind=TopicKind.OPENING)
    legal = make_topic(unit, "Legal issues", [colleague])
    typology = make_topic(unit, "Stalker typology", [])
    agenda = make_agenda(unit, [opening, legal, typology])
    response = client.post(reverse("training:delivery_new"), form_data(trainer, agenda=agenda.pk))
    assert response.status_code == 400
    page = response.content.decode()
    assert "None of this delivery&#x27;s trainers can present \u2018Legal issues\u2019" in page
    assert "\u2018Stalker typology\u2019: add a trainer who can, or take the topic off the agenda." in page
    assert "present \u2018A victim" not in page
    assert not Delivery.objects.exists()
    typology.trainers.add(colleague)
    both = client.post(
        reverse("training:delivery_new"), form_data(trainer, agenda=agenda.pk, trainers=[trainer.pk, colleague.pk])
    )
    assert both.status_code == 302


def test_held_needs_the_day_and_the_attendance(unit: Any, trainer: Any, client: Client) -> None:
    delivery = book(unit, trainer, day=timezone.localdate() - timedelta(days=1))
    url = reverse("training:delivery_edit", kwargs={"delivery_id": delivery.pk})
    data = form_data(
        trainer,
        version=delivery.version,
        date=delivery.date.isoformat(),
        status="held",
        organisation=delivery.organisation.pk,
        organisation_name="",
    )
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Record the attendance first" in refused.content.decode()
    AttendanceCount.objects.create(delivery=delivery, organisation=delivery.organisation, role="spocs", count=8)
    assert client.post(url, data).status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "held"


def test_changing_the_date_moves_the_feedback_window(unit: Any, trainer: Any, client: Client) -> None:
    delivery = book(unit, trainer)
    later = delivery.date + timedelta(days=7)
    url = reverse("training:delivery_edit", kwargs={"delivery_id": delivery.pk})
    form = client.get(url).content.decode()
    assert 'value="Town Hall"' in form
    response = client.post(
        url, form_data(trainer, version=1, date=later.isoformat(), organisation=delivery.organisation.pk)
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.feedback_closes_on == later + timedelta(days=14)
    assert delivery.version == 2
    event = AuditEvent.objects.filter(object_type="training.delivery", action=AuditAction.CHANGE).get()
    assert "date" in event.fields
    assert "feedback_closes_on" in event.fields


def test_a_stale_edit_is_refused(unit: Any, trainer: Any, client: Client) -> None:
    delivery = book(unit, trainer)
    Delivery.objects.filter(pk=delivery.pk).update(version=5, title="Their title")
    url = reverse("training:delivery_edit", kwargs={"delivery_id": delivery.pk})
    response = client.post(url, form_data(trainer, version=1, organisation=delivery.organisation.pk))
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.title == "Their title"


def test_another_units_delivery_is_not_found(trainer: Any, client: Client) -> None:
    other_unit = UnitFactory()
    other = book(other_unit, member(Role.TRAINER, unit=other_unit))
    for name in ("delivery", "delivery_edit", "delivery_attendance", "delivery_certificates"):
        assert client.get(reverse(f"training:{name}", kwargs={"delivery_id": other.pk})).status_code == 404, name
    assert client.get(reverse("training:delivery_new"), {"enquiry": 999_999}).status_code == 404


def test_the_page_shows_the_feedback_link_and_escapes_text(unit: Any, trainer: Any, client: Client) -> None:
    delivery = book(unit, trainer, title="<script>alert(1)</script>", venue="<b>Hall</b>")
    page = client.get(reverse("training:delivery", kwargs={"delivery_id": delivery.pk})).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;b&gt;Hall&lt;/b&gt;" in page
    assert "Alex Trainer" in page
    assert f"{delivery.feedback_closes_on.day} {delivery.feedback_closes_on:%B %Y}" in page


def test_the_list_has_upcoming_and_past_in_a_fixed_number_of_queries(
    unit: Any, trainer: Any, client: Client, django_assert_max_num_queries: Any
) -> None:
    book(unit, trainer, title="Next month")
    book(unit, trainer, title="Last month", day=timezone.localdate() - timedelta(days=30))
    with django_assert_max_num_queries(40) as few:
        page = client.get(reverse("training:deliveries")).content.decode()
    assert page.index("Next month") < page.index("Past") < page.index("Last month")
    for n in range(12):
        book(
            unit,
            trainer,
            title=f"Delivery {n}",
            day=timezone.localdate() + timedelta(days=n - 6),
            trainers=[trainer, member(Role.TRAINER, unit=unit)],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("training:deliveries"))

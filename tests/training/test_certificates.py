"""Certificates of attendance: for deliveries held only, one page per named attendee, what each
says (read back from the real PDF), and a clear page instead of an empty PDF."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from masip.accounts.models import Role
from masip.training.models import AttendanceCount, Attendee, Delivery, TopicKind, TrainingSettings
from tests.conftest import verified_client
from tests.factories import UnitFactory, member
from tests.panel.helpers import requires_pdf
from tests.training.test_deliveries_pages import book, make_agenda, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit() -> Any:
    unit = UnitFactory(name="Northshire Stalking Unit")
    TrainingSettings.objects.create(unit=unit)
    return unit


@pytest.fixture
def trainer(unit: Any) -> Any:
    return member(Role.TRAINER, unit=unit, full_name="Alex Trainer")


@pytest.fixture
def client(trainer: Any) -> Client:
    return verified_client(trainer)


@pytest.fixture
def held(unit: Any, trainer: Any) -> Delivery:
    opening = make_topic(unit, "A victim's story", [trainer], kind=TopicKind.OPENING)
    legal = make_topic(unit, "Legal issues", [trainer])
    delivery = book(
        unit,
        trainer,
        day=timezone.localdate() - timedelta(days=2),
        agenda=make_agenda(unit, [opening, legal]),
        title="Stalking awareness for SPOCs",
    )
    AttendanceCount.objects.create(delivery=delivery, organisation=delivery.organisation, role="spocs", count=3)
    Delivery.objects.filter(pk=delivery.pk).update(status="held")
    delivery.refresh_from_db()
    return delivery


def certificates_url(delivery: Delivery) -> str:
    return reverse("training:delivery_certificates", kwargs={"delivery_id": delivery.pk})


def pages_of(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    # Lines wrap where the page ends them: compare words, not lines.
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages]


def test_a_delivery_not_held_has_no_certificates(unit: Any, trainer: Any, client: Client) -> None:
    planned = book(unit, trainer)
    Attendee.objects.create(delivery=planned, name="Jo Bloggs", organisation=planned.organisation, role="spocs")
    response = client.get(certificates_url(planned))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "once the delivery is marked held" in response.content.decode()
    one = client.get(
        reverse(
            "training:attendee_certificate",
            kwargs={"delivery_id": planned.pk, "attendee_id": planned.attendees.get().pk},
        )
    )
    assert one.status_code == 400


def test_no_named_attendee_gives_a_page_not_an_empty_pdf(held: Delivery, client: Client) -> None:
    response = client.get(certificates_url(held))
    assert response.status_code == 400
    assert "Nobody&#x27;s name was recorded" in response.content.decode()


def test_another_deliverys_attendee_is_not_found(held: Delivery, unit: Any, trainer: Any, client: Client) -> None:
    other = book(unit, trainer, title="Other")
    stranger = Attendee.objects.create(delivery=other, name="Someone", organisation=other.organisation, role="spocs")
    url = reverse("training:attendee_certificate", kwargs={"delivery_id": held.pk, "attendee_id": stranger.pk})
    assert client.get(url).status_code == 404


@requires_pdf
def test_one_page_per_attendee_with_what_a_certificate_says(held: Delivery, client: Client) -> None:
    for name in ("Jo Bloggs", "<b>Sam</b> & Co"):
        Attendee.objects.create(delivery=held, name=name, organisation=held.organisation, role="spocs")
    pages = pages_of(client.get(certificates_url(held)))
    assert len(pages) == 2
    jo = next(text for text in pages if "Jo Bloggs" in text)
    for expected in (
        "Certificate of attendance",
        "Stalking awareness for SPOCs",
        "Northshire Police",
        "Northshire Stalking Unit",
        "Legal issues",
        "A victim's story",
        "Alex Trainer",
        f"{held.date.day} {held.date:%B %Y}",
        "1 hour 45 minutes",  # two topics of 45 minutes and a 15-minute break
    ):
        assert expected in jo, expected
    assert any("<b>Sam</b> & Co" in text for text in pages)


@requires_pdf
def test_one_attendees_certificate(held: Delivery, client: Client) -> None:
    attendee = Attendee.objects.create(delivery=held, name="Jo Bloggs", organisation=held.organisation, role="spocs")
    Attendee.objects.create(delivery=held, name="Not Me", organisation=held.organisation, role="spocs")
    url = reverse("training:attendee_certificate", kwargs={"delivery_id": held.pk, "attendee_id": attendee.pk})
    pages = pages_of(client.get(url))
    assert len(pages) == 1
    assert "Jo Bloggs" in pages[0]
    assert "Not Me" not in pages[0]

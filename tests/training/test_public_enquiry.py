"""The public enquiry form: a reference on success, every refusal with a message and nothing kept,
the honeypot, the limit per address, CSRF, and text shown escaped wherever it is read back."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.training.models import Enquiry, TrainingSettings
from tests.conftest import verified_client
from tests.factories import UnitFactory, member

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def settings_() -> TrainingSettings:
    unit = UnitFactory(code="nsu")
    return TrainingSettings.objects.create(
        unit=unit, offer_published=True, enquiries_per_hour=3, contact_email="training@example.org"
    )


def url(settings_: TrainingSettings, name: str = "enquire") -> str:
    return reverse(f"training:{name}", kwargs={"unit_code": settings_.unit.code})


def answers(**changes: Any) -> dict[str, Any]:
    data = {
        "organisation_name": "Northshire Police",
        "organisation_kind": "police",
        "region": "north_west",
        "contact_name": "Sam Taylor",
        "email": "sam.taylor@example.org",
        "phone": "0161 000 0000",
        "audience_managers": "4",
        "audience_spocs": "",
        "audience_front_line": "20",
        "preferred_format": "half_day",
        "preferred_dates": "Any Tuesday in March",
        "message": "We would like training for our new team.",
        "website": "",
    }
    data.update(changes)
    return data


def send(client: Client, settings_: TrainingSettings, address: str = "203.0.113.5", **changes: Any) -> Any:
    return client.post(url(settings_), answers(**changes), REMOTE_ADDR=address)


def test_the_form_is_accessible_markup(settings_: TrainingSettings) -> None:
    page = Client().get(url(settings_)).content.decode()
    assert page.count("<h1") == 1
    for name in ("organisation_name", "contact_name", "email", "audience_managers", "message", "website"):
        assert f'for="id_{name}"' in page, name
    assert "<legend" in page
    honeypot = re.search(r"<input[^>]*name=\"website\"[^>]*>", page)
    assert honeypot is not None
    assert 'tabindex="-1"' in honeypot.group(0)
    assert 'autocomplete="off"' in honeypot.group(0)
    assert "Leave this field empty" in page


def test_a_sent_enquiry_gets_a_reference_shown_after_a_redirect(settings_: TrainingSettings) -> None:
    client = Client()
    response = send(client, settings_)
    assert response.status_code == 302
    assert response["Location"] == url(settings_, "enquiry_sent")
    enquiry = Enquiry.objects.get()
    year = timezone.localdate().year
    assert enquiry.reference == f"NSU-TRN-{year}-0001"
    assert enquiry.audience == {"managers": 4, "front_line": 20}
    assert enquiry.unit == settings_.unit
    assert len(enquiry.source_digest) >= 40
    assert "203.0.113.5" not in enquiry.source_digest
    page = client.get(response["Location"]).content.decode()
    assert enquiry.reference in page
    assert enquiry.reference not in response["Location"]
    send(client, settings_, address="203.0.113.6", organisation_name="Second")
    assert Enquiry.objects.get(organisation_name="Second").reference == f"NSU-TRN-{year}-0002"


def test_the_units_contact_is_told_the_reference_only(
    settings_: TrainingSettings, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        send(Client(), settings_)
    enquiry = Enquiry.objects.get()
    assert [m.to for m in mail.outbox] == [["training@example.org"]]
    assert enquiry.reference in mail.outbox[0].subject
    assert "sam.taylor@example.org" not in mail.outbox[0].body
    assert "Sam Taylor" not in mail.outbox[0].body


def test_the_creation_is_audited_without_personal_data(settings_: TrainingSettings) -> None:
    send(Client(), settings_)
    enquiry = Enquiry.objects.get()
    event = AuditEvent.objects.get(object_type="training.enquiry", object_id=str(enquiry.pk))
    assert event.action == AuditAction.CREATE
    assert event.actor is None
    assert event.detail == {"reference": enquiry.reference}


def test_the_thank_you_page_without_an_enquiry_goes_back_to_the_form(settings_: TrainingSettings) -> None:
    response = Client().get(url(settings_, "enquiry_sent"))
    assert response.status_code == 302
    assert response["Location"] == url(settings_)


def test_html_in_every_field_is_kept_as_typed_and_shown_escaped(settings_: TrainingSettings) -> None:
    fields = ("organisation_name", "contact_name", "phone", "preferred_dates", "message")
    changes = dict.fromkeys(fields, SCRIPT)
    changes["phone"] = "<b>1</b>"
    response = send(Client(), settings_, **changes)
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert enquiry.organisation_name == SCRIPT
    trainer = member(Role.TRAINER, unit=settings_.unit)
    page = verified_client(trainer).get(reverse("training:enquiry", kwargs={"enquiry_id": enquiry.pk})).content.decode()
    assert "<script>alert" not in page
    assert "<b>1</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)" in page
    listing = verified_client(trainer).get(reverse("training:enquiries")).content.decode()
    assert "<script>alert" not in listing
    assert "&lt;script&gt;" in listing


@pytest.mark.parametrize(
    ("field", "length", "message"),
    [
        ("organisation_name", 201, "The organisation&#x27;s name can be at most 200 characters."),
        ("contact_name", 201, "Your name can be at most 200 characters."),
        ("phone", 41, "The phone number can be at most 40 characters."),
        ("preferred_dates", 301, "Preferred dates can be at most 300 characters."),
        ("message", 2001, "Your message can be at most 2000 characters."),
    ],
)
def test_over_long_answers_are_refused_with_a_message(
    settings_: TrainingSettings, field: str, length: int, message: str
) -> None:
    response = send(Client(), settings_, **{field: "x" * length})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert f'href="#id_{field}"' in response.content.decode()
    assert not Enquiry.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"audience_managers": "", "audience_front_line": "0"}, "Enter how many people you expect"),
        ({"audience_managers": "501"}, "can be at most 500"),
        ({"audience_managers": "-1"}, "cannot be negative"),
        ({"audience_managers": "lots"}, "as a whole number"),
        ({"email": "not an address"}, "Enter an email address in the correct format"),
        ({"organisation_kind": "<b>"}, "Choose a kind from the list."),
        ({"region": ""}, "Choose where your organisation is."),
        ({"organisation_name": "  "}, "Enter the name of your organisation."),
        ({"preferred_format": "week"}, "Choose a format from the list."),
    ],
)
def test_bad_answers_are_refused_with_a_message(settings_: TrainingSettings, changes: Any, message: str) -> None:
    response = send(Client(), settings_, **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Enquiry.objects.exists()


def test_a_filled_honeypot_thanks_the_bot_and_keeps_nothing(settings_: TrainingSettings) -> None:
    client = Client()
    response = send(client, settings_, website="http://spam.example")
    assert response.status_code == 302
    assert response["Location"] == url(settings_, "enquiry_sent")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Enquiry sent" in page.content.decode()
    assert not Enquiry.objects.exists()
    assert not AuditEvent.objects.filter(object_type="training.enquiry").exists()


def test_a_flood_from_one_address_is_refused_and_others_still_get_through(settings_: TrainingSettings) -> None:
    client = Client()
    for n in range(3):
        assert send(client, settings_, organisation_name=f"Org {n}").status_code == 302
    refused = send(client, settings_, organisation_name="Org 4")
    assert refused.status_code == 429
    assert "We have had several enquiries from your connection in the last hour" in refused.content.decode()
    assert "training@example.org" in refused.content.decode()
    assert Enquiry.objects.count() == 3
    assert not Enquiry.objects.filter(organisation_name="Org 4").exists()
    # Another address is not held up by the first.
    assert send(Client(), settings_, address="198.51.100.7").status_code == 302
    # An hour later, the first address may send again.
    Enquiry.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    assert send(client, settings_, organisation_name="Org 5").status_code == 302


def test_csrf_is_enforced_on_the_public_form(settings_: TrainingSettings) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(url(settings_), answers(), REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 403
    assert not Enquiry.objects.exists()
    form = client.get(url(settings_))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    assert token is not None
    ok = client.post(url(settings_), {**answers(), "csrfmiddlewaretoken": token.group(1)}, REMOTE_ADDR="203.0.113.5")
    assert ok.status_code == 302
    assert Enquiry.objects.count() == 1

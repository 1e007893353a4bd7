"""The public feedback form: when the link opens and closes, the questions it asks, the one-time
form, the thank-you cookie, bad input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masip.audit.models import AuditEvent
from masip.training.forms_feedback import NONCE_SALT
from masip.training.models import DeliveryStatus, FeedbackResponse, OutcomeRating, TrainingSettings
from tests.factories import UnitFactory
from tests.training.feedback_world import catalogue, delivery

pytestmark = pytest.mark.django_db


def _url(target) -> str:
    return reverse("training:feedback", kwargs={"feedback_token": target.feedback_token})


def _form_key(html: str) -> str:
    match = re.search(r'name="form_key" value="([^"]+)"', html)
    assert match, "the form carries its one-time key"
    return match.group(1)


def _answers(world, key: str, **extra: str) -> dict[str, str]:
    data = {"form_key": key, "role": "spocs", "comments": "Useful day."}
    for name in ("story", "offences", "orders", "screen", "plan"):
        outcome = world.outcomes[name]
        data[f"before_{outcome.pk}"] = "2"
        data[f"after_{outcome.pk}"] = "4"
    data.update(extra)
    return data


def test_the_form_asks_each_outcome_of_each_agenda_topic_once_in_agenda_order():
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda)

    html = Client().get(_url(target)).content.decode()

    assert html.count("<h1") == 1
    topics = re.findall(r'<h3 class="govuk-heading-s">([^<]+)</h3>', html)
    assert topics == ["A victim&#x27;s story", "Legal issues", "Risk"]
    for name in ("story", "offences", "orders", "screen", "plan"):
        pk = world.outcomes[name].pk
        assert html.count(f'name="before_{pk}"') == 5
        assert html.count(f'name="after_{pk}"') == 5
    assert "An old outcome" not in html  # retired
    assert html.count("<fieldset") == 1 + 2 * 5  # the role and every rating are a group with a legend
    assert html.count("<legend") == html.count("<fieldset")


def test_a_delivery_without_an_agenda_asks_for_comments_only():
    target = delivery(UnitFactory(), agenda=None)
    client = Client()
    html = client.get(_url(target)).content.decode()
    assert "How confident" not in html

    response = client.post(_url(target), {"form_key": _form_key(html), "comments": "Good"})

    assert response.status_code == 200
    stored = FeedbackResponse.objects.get(delivery=target)
    assert stored.comments == "Good"
    assert not stored.ratings.exists()


def test_sending_stores_the_response_and_its_ratings_and_audits_without_comments():
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda)
    client = Client()
    key = _form_key(client.get(_url(target)).content.decode())
    before = AuditEvent.objects.count()

    response = client.post(_url(target), _answers(world, key, comments="Secret remark"))

    assert response.status_code == 200
    assert "Thank you for your feedback" in response.content.decode()
    stored = FeedbackResponse.objects.get(delivery=target)
    assert stored.role == "spocs"
    ratings = {(r.outcome_id, r.topic_id, r.before, r.after) for r in OutcomeRating.objects.filter(response=stored)}
    assert ratings == {(o.pk, o.topic_id, 2, 4) for k, o in world.outcomes.items() if k != "retired"}
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(e.action, e.actor_id, e.object_type) for e in events] == [("create", None, "training.feedbackresponse")]
    assert events[0].detail["delivery"] == target.reference
    assert "Secret remark" not in str(events[0].detail)


def test_the_same_form_sent_twice_is_stored_once():
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda)
    key = _form_key(Client().get(_url(target)).content.decode())

    first = Client().post(_url(target), _answers(world, key))
    second = Client().post(_url(target), _answers(world, key))  # the back button, another tab

    assert first.status_code == 200
    assert second.status_code == 409
    assert "This feedback was already sent. Thank you." in second.content.decode()
    assert FeedbackResponse.objects.filter(delivery=target).count() == 1
    assert OutcomeRating.objects.filter(response__delivery=target).count() == 5


def test_two_forms_from_the_same_link_are_two_responses():
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda)
    keys = [_form_key(Client().get(_url(target)).content.decode()) for _ in range(2)]
    assert keys[0] != keys[1]

    for key in keys:
        assert Client().post(_url(target), _answers(world, key)).status_code == 200

    assert FeedbackResponse.objects.filter(delivery=target).count() == 2


def test_the_browser_that_sent_feedback_is_thanked_instead_of_given_a_new_form():
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda, closes_in=3)
    client = Client()
    key = _form_key(client.get(_url(target)).content.decode())

    sent = client.post(_url(target), _answers(world, key))
    cookie = sent.cookies[f"masip_feedback_{target.pk}"]
    again = client.get(_url(target))

    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == _url(target)
    assert 2 * 86400 < int(cookie["max-age"]) <= 4 * 86400  # until the link closes
    assert "You have already given feedback on this session. Thank you." in again.content.decode()
    assert "feedback-form" not in again.content.decode()
    assert 'name="form_key"' in Client().get(_url(target)).content.decode()  # another browser still can


@pytest.mark.parametrize("days", [0, 14])
def test_the_link_is_open_from_the_day_of_the_delivery_to_its_closing_day(days):
    unit = UnitFactory()
    target = delivery(unit, on=timezone.localdate() - timedelta(days=days), closes_in=14)
    assert 'name="form_key"' in Client().get(_url(target)).content.decode()


def test_before_the_day_the_link_says_when_it_opens():
    on = timezone.localdate() + timedelta(days=3)
    target = delivery(UnitFactory(), on=on)

    response = Client().get(_url(target))

    assert f"Feedback for this session opens on {on.day} {on:%B %Y}" in response.content.decode()
    assert 'name="form_key"' not in response.content.decode()


def test_after_the_closing_day_the_link_is_gone_and_says_whom_to_contact():
    unit = UnitFactory()
    TrainingSettings.objects.create(unit=unit, contact_email="training@unit.example.org")
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda, on=timezone.localdate() - timedelta(days=15), closes_in=14)
    closed = target.feedback_closes_on
    client = Client()

    shown = client.get(_url(target))
    sent = client.post(_url(target), _answers(world, "whatever"))

    assert shown.status_code == 410
    assert sent.status_code == 410
    text = shown.content.decode()
    assert f"This feedback link closed on {closed.day} {closed:%B %Y}" in text
    assert "training@unit.example.org" in text
    assert not FeedbackResponse.objects.exists()


def test_a_form_opened_before_the_link_closed_and_sent_after_is_refused():
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda)
    key = _form_key(Client().get(_url(target)).content.decode())
    type(target).objects.filter(pk=target.pk).update(feedback_closes_on=timezone.localdate() - timedelta(days=1))

    assert Client().post(_url(target), _answers(world, key)).status_code == 410
    assert not FeedbackResponse.objects.exists()


def test_a_cancelled_delivery_takes_no_feedback():
    target = delivery(UnitFactory(), status=DeliveryStatus.CANCELLED)
    response = Client().get(_url(target))
    assert response.status_code == 410
    assert "the session was cancelled" in response.content.decode()


def test_an_unknown_link_is_a_plain_404():
    response = Client().get(reverse("training:feedback", kwargs={"feedback_token": "not-a-real-token"}))
    assert response.status_code == 404
    assert "This feedback link is not known: check you copied the whole link" in response.content.decode()


def test_a_missing_rating_is_refused_with_a_message_naming_the_outcome():
    unit = UnitFactory()
    world = catalogue(unit)
    target = delivery(unit, agenda=world.agenda)
    client = Client()
    data = _answers(world, _form_key(client.get(_url(target)).content.decode()))
    del data[f"after_{world.outcomes['plan'].pk}"]
    data[f"before_{world.outcomes['screen'].pk}"] = "9"

    response = client.post(_url(target), data)

    assert response.status_code == 400
    text = response.content.decode()
    assert "Select how confident you were after the session about “Plan for safety”." in text
    wanted = "Choose a number, 1 to 5, for how confident you were before the session about “Use the screening questions"
    wanted += "”."
    assert wanted in text
    assert f'href="#id_after_{world.outcomes["plan"].pk}_0"' in text  # the summary links to the question
    assert 'class="govuk-error-summary"' in text
    assert not FeedbackResponse.objects.exists()


def test_over_long_comments_are_refused_with_a_message():
    target = delivery(UnitFactory())
    client = Client()
    key = _form_key(client.get(_url(target)).content.decode())

    response = client.post(_url(target), {"form_key": key, "comments": "x" * 2001})

    assert response.status_code == 400
    assert "Comments must be 2000 characters or fewer (these are 2001)" in response.content.decode()
    assert not FeedbackResponse.objects.exists()


@pytest.mark.parametrize("kind", ["forged", "another delivery", "another purpose"])
def test_a_forged_or_borrowed_form_key_is_refused(kind):
    target = delivery(UnitFactory())
    key = {
        "forged": "eyJkIjoxLCJuIjoiYWJjIn0:1xV1bX:forged-signature",
        "another delivery": signing.dumps({"d": target.pk + 1, "n": "abc"}, salt=NONCE_SALT),
        "another purpose": signing.dumps({"d": target.pk, "n": "abc"}, salt="another purpose"),
    }[kind]
    response = Client().post(_url(target), {"form_key": key, "comments": "Hi"})
    assert response.status_code == 400
    assert "open the feedback link again" in response.content.decode()
    assert not FeedbackResponse.objects.exists()


def test_html_in_comments_is_stored_as_typed_and_shown_escaped():
    target = delivery(UnitFactory())
    client = Client()
    key = _form_key(client.get(_url(target)).content.decode())
    typed = "<script>alert(1)</script>"

    refused = client.post(_url(target), {"form_key": key, "comments": typed, "role": "<b>"})

    assert refused.status_code == 400  # the role is not one of the choices
    assert "Choose one of the roles listed, or leave the question unanswered." in refused.content.decode()
    assert "<script>alert(1)</script>" not in refused.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.content.decode()
    assert client.post(_url(target), {"form_key": key, "comments": typed}).status_code == 200
    assert FeedbackResponse.objects.get().comments == typed

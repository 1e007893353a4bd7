"""The catalogue pages: the list (with the button to load masip's catalogue, and topics nobody can
present flagged), adding and editing a topic (ranges, trainers of the unit only, stale edits),
learning outcomes (retired, never deleted, once rated), the training settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.training.models import (
    Delivery,
    FeedbackResponse,
    LearningOutcome,
    Organisation,
    OutcomeRating,
    Topic,
    TopicAudience,
    TrainingSettings,
)
from masip.training.services_catalogue import catalogue_install
from tests.conftest import verified_client
from tests.factories import UnitFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit() -> Any:
    return UnitFactory()


@pytest.fixture
def trainer(unit: Any) -> Any:
    return member(Role.TRAINER, unit=unit, full_name="Tess Trainer")


@pytest.fixture
def client(trainer: Any) -> Client:
    return verified_client(trainer)


def _topic_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Online stalking",
        "summary": "",
        "kind": "selectable",
        "format": "workshop",
        "min_minutes": 20,
        "max_minutes": 30,
        "sequence": 150,
        "active": "on",
        "relevance_managers": "relevant",
        "priority_managers": 3,
        "relevance_spocs": "core",
        "priority_spocs": 1,
        "relevance_front_line": "background",
        "priority_front_line": 4,
    }
    data.update(changes)
    return data


def test_an_empty_catalogue_offers_masips_and_the_button_loads_it(client: Client, unit: Any) -> None:
    page = client.get(reverse("training:topics"))
    assert page.status_code == 200
    assert "Load masip's illustrative catalogue" in page.content.decode()
    loaded = client.post(reverse("training:catalogue_install"), follow=True)
    assert Topic.objects.filter(unit=unit).count() == 14
    body = loaded.content.decode()
    assert "illustrative catalogue was loaded: 14 topics" in body
    assert "Load masip's illustrative catalogue" not in body
    assert body.count("No trainer can present this yet") == 14


def test_the_list_shows_trainers_priorities_and_outcomes(client: Client, unit: Any, trainer: Any) -> None:
    catalogue_install(unit=unit)
    Topic.objects.get(unit=unit, key="legal-issues").trainers.add(trainer)
    body = client.get(reverse("training:topics")).content.decode()
    assert body.count("No trainer can present this yet") == 13
    assert "Tess Trainer" in body
    assert "25 to 40" in body  # legal issues' minutes
    assert "Managers: 5 (background)" in body  # local procedures for managers


def test_the_topics_page_reads_in_a_fixed_number_of_queries(
    client: Client, unit: Any, trainer: Any, django_assert_max_num_queries: Any
) -> None:
    catalogue_install(unit=unit)
    for topic in Topic.objects.filter(unit=unit):
        topic.trainers.add(trainer)
    with django_assert_max_num_queries(20) as captured:
        client.get(reverse("training:topics"))
    few = len(captured.captured_queries)
    for n in range(10):
        extra = Topic.objects.create(unit=unit, key=f"extra-{n}", title=f"Extra {n}", min_minutes=10, max_minutes=20)
        extra.trainers.add(trainer)
        TopicAudience.objects.create(topic=extra, audience="spocs")
    with django_assert_max_num_queries(few):
        client.get(reverse("training:topics"))


def test_a_new_topic_is_saved_with_audiences_and_trainers_and_audited(client: Client, unit: Any, trainer: Any) -> None:
    response = client.post(reverse("training:topic_new"), _topic_data(trainers=[trainer.pk]))
    topic = Topic.objects.get(unit=unit, title="Online stalking")
    assert response.status_code == 302
    assert response["Location"] == reverse("training:topic_edit", args=[topic.pk])
    assert topic.key == "online-stalking"
    assert list(topic.trainers.all()) == [trainer]
    assert topic.audiences.get(audience="spocs").priority == 1
    event = AuditEvent.objects.filter(unit=unit).order_by("-seq").first()
    assert event is not None
    assert event.action == AuditAction.CREATE
    assert "trainers" in event.fields


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_minutes": 40, "max_minutes": 30}, "The longest time must be at least the shortest time."),
        ({"min_minutes": 0}, "The shortest time must be at least 5 minutes."),
        ({"max_minutes": 400}, "The longest time can be 360 minutes (6 hours) at most."),
        ({"min_minutes": 22}, "Give the shortest time in steps of 5 minutes"),
        ({"title": ""}, "Enter the topic&#x27;s title."),
        ({"title": "x" * 201}, "Ensure this value has at most 200 characters"),
    ],
)
def test_a_bad_topic_is_refused_with_a_message(
    client: Client, unit: Any, changes: dict[str, Any], message: str
) -> None:
    response = client.post(reverse("training:topic_new"), _topic_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Topic.objects.filter(unit=unit).exists()


def test_only_the_units_trainers_can_be_chosen(client: Client, unit: Any) -> None:
    outsider = member(Role.TRAINER)  # a trainer of another unit
    response = client.post(reverse("training:topic_new"), _topic_data(trainers=[outsider.pk]))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Topic.objects.filter(unit=unit).exists()


def test_html_in_a_title_is_shown_escaped(client: Client, unit: Any) -> None:
    client.post(reverse("training:topic_new"), _topic_data(title="<script>alert(1)</script>"))
    body = client.get(reverse("training:topics")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_editing_a_topic_checks_its_version(client: Client, unit: Any, trainer: Any) -> None:
    catalogue_install(unit=unit)
    topic = Topic.objects.get(unit=unit, key="red-flags")
    url = reverse("training:topic_edit", args=[topic.pk])
    assert client.get(url).status_code == 200
    saved = client.post(url, _topic_data(title="Red flags and escalation", version=topic.version))
    assert saved.status_code == 302
    topic.refresh_from_db()
    assert topic.title == "Red flags and escalation"
    assert topic.version == 2
    stale = client.post(url, _topic_data(title="Someone else's title", version=1))
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    topic.refresh_from_db()
    assert topic.title == "Red flags and escalation"


def test_another_units_topic_is_not_found(client: Client) -> None:
    other = UnitFactory()
    catalogue_install(unit=other)
    theirs = Topic.objects.filter(unit=other).first()
    assert theirs is not None
    assert client.get(reverse("training:topic_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("training:topic_outcome", args=[theirs.pk]), {"action": "add"}).status_code == 404


def _rated(outcome: LearningOutcome) -> None:
    unit = outcome.topic.unit
    organisation = Organisation.objects.create(unit=unit, name="County Police")
    delivery = Delivery.objects.create(
        unit=unit,
        reference=f"{unit.code}-DEL-2026-0001",
        organisation=organisation,
        title="Training",
        date="2026-10-01",
        feedback_closes_on="2026-10-15",
    )
    response = FeedbackResponse.objects.create(delivery=delivery, form_nonce="n1")
    OutcomeRating.objects.create(response=response, outcome=outcome, topic=outcome.topic, before=2, after=4)


def test_outcomes_are_added_moved_and_retired_not_deleted_once_rated(client: Client, unit: Any) -> None:
    catalogue_install(unit=unit)
    topic = Topic.objects.get(unit=unit, key="red-flags")
    url = reverse("training:topic_outcome", args=[topic.pk])
    first, second = list(topic.outcomes.order_by("position"))

    assert (
        client.post(url, {"action": "add", "text": "Know who to call out of hours.", "version": 1}).status_code == 302
    )
    assert topic.outcomes.count() == 3
    assert client.post(url, {"action": "down", "outcome": first.pk, "version": 2}).status_code == 302
    assert [o.pk for o in topic.outcomes.order_by("position")][:2] == [second.pk, first.pk]

    _rated(first)
    client.post(url, {"action": "retire", "outcome": first.pk, "version": 3})
    first.refresh_from_db()
    assert first.retired is True  # kept for the reports
    client.post(url, {"action": "retire", "outcome": second.pk, "version": 4})
    assert not LearningOutcome.objects.filter(pk=second.pk).exists()  # never rated: removed

    stale = client.post(url, {"action": "add", "text": "Late", "version": 1})
    assert stale.status_code == 409
    assert not topic.outcomes.filter(text="Late").exists()
    too_long = client.post(url, {"action": "add", "text": "x" * 301, "version": 5})
    assert too_long.status_code == 400
    assert "300 characters at most" in too_long.content.decode()


def test_settings_are_validated_and_saved(client: Client, unit: Any) -> None:
    url = reverse("training:settings")
    assert client.get(url).status_code == 200
    good = {
        "half_day_minutes": 200,
        "full_day_minutes": 400,
        "break_minutes": 10,
        "lunch_minutes": 30,
        "feedback_days": 7,
        "enquiries_per_hour": 5,
        "offer_introduction": "We train <b>everyone</b>.",
        "contact_email": "training@example.org",
    }
    assert client.post(url, good).status_code == 302
    saved = TrainingSettings.objects.get(unit=unit)
    assert (saved.half_day_minutes, saved.full_day_minutes, saved.offer_published) == (200, 400, False)
    bad = client.post(url, {**good, "full_day_minutes": 150, "feedback_days": 0, "contact_email": "nope"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "A full day must be longer than a half day." in body
    assert "Ensure this value is greater than or equal to 1." in body
    assert "Enter a valid email address." in body
    saved.refresh_from_db()
    assert saved.full_day_minutes == 400


def test_people_without_the_training_role_are_refused(unit: Any) -> None:
    caseworker = member(Role.ANALYST, unit=unit)
    response = verified_client(caseworker).get(reverse("training:topics"))
    assert response.status_code in {403, 404}

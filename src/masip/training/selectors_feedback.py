"""Reads for the public feedback form: the delivery a link is for, whether the link is open, and
the learning outcomes a respondent rates."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from masip.training.models import AgendaItem, Delivery, DeliveryStatus, LearningOutcome, Topic


class LinkState(enum.Enum):
    OPEN = "open"
    NOT_YET = "not_yet"  # before the day of the delivery
    CLOSED = "closed"  # after feedback_closes_on
    CANCELLED = "cancelled"


def delivery_by_feedback_token(token: str) -> Delivery | None:
    """The delivery whose feedback link carries `token`, with its unit; None if none does."""
    if not token or len(token) > 64:
        return None
    return Delivery.objects.select_related("unit").filter(feedback_token=token).first()


def link_state(delivery: Delivery, *, today: date | None = None) -> LinkState:
    """Whether the feedback link of `delivery` takes feedback on `today` (UK date): from the day
    of the delivery until `feedback_closes_on`, both included; never for a cancelled delivery."""
    today = today or timezone.localdate()
    if delivery.status == DeliveryStatus.CANCELLED:
        return LinkState.CANCELLED
    if today < delivery.date:
        return LinkState.NOT_YET
    if today > delivery.feedback_closes_on:
        return LinkState.CLOSED
    return LinkState.OPEN


@dataclass(frozen=True)
class TopicOutcomes:
    topic: Topic
    outcomes: list[LearningOutcome]


def outcomes_to_rate(delivery: Delivery) -> list[TopicOutcomes]:
    """The topics on the delivery's agenda, in agenda order, each once, with their learning
    outcomes that are not retired (topics without one left out). Two queries."""
    if delivery.agenda_id is None:
        return []
    topics: dict[int, Topic] = {}
    items = AgendaItem.objects.filter(agenda_id=delivery.agenda_id, topic__isnull=False).select_related("topic")
    for item in items.order_by("position"):
        if item.topic is not None:  # always, as filtered; says so to the type checker
            topics.setdefault(item.topic.pk, item.topic)
    outcomes: dict[int, list[LearningOutcome]] = {pk: [] for pk in topics}
    for outcome in LearningOutcome.objects.filter(topic_id__in=topics, retired=False).order_by("position", "pk"):
        outcomes[outcome.topic_id].append(outcome)
    return [TopicOutcomes(topic, outcomes[pk]) for pk, topic in topics.items() if outcomes[pk]]

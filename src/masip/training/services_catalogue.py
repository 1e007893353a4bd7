"""Writes to a unit's topic catalogue and training settings. Every write is one transaction with
its audit event; edits to a topic are version-checked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.models import locked_at_version
from masip.training.catalogue import CatalogueTopic, catalogue_load
from masip.training.models import LearningOutcome, OutcomeRating, Topic, TopicAudience, TrainingSettings
from masip.training.selectors import trainers_of

TOPIC_FIELDS = ("title", "summary", "kind", "format", "min_minutes", "max_minutes", "sequence", "active")


def catalogue_install(*, unit: Unit, actor: Any = None, request: HttpRequest | None = None) -> int:
    """Load masip's illustrative catalogue into `unit` and return how many topics were added.

    Guarantees: only into a unit with no topics at all; a unit that has any (a trainer's own or
    edited ones) gets a ValidationError and nothing is written, so an edit is never overwritten.
    """
    topics: list[CatalogueTopic] = catalogue_load()
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        if Topic.objects.filter(unit=unit).exists():
            raise ValidationError(
                "This unit already has a catalogue, so masip's illustrative one was not loaded: "
                "edit the unit's own topics instead."
            )
        for entry in topics:
            topic = Topic.objects.create(
                unit=unit,
                key=entry.key,
                title=entry.title,
                summary=entry.summary,
                kind=entry.kind,
                format=entry.format,
                min_minutes=entry.min_minutes,
                max_minutes=entry.max_minutes,
                sequence=entry.sequence,
            )
            LearningOutcome.objects.bulk_create(
                LearningOutcome(topic=topic, text=text, position=position)
                for position, text in enumerate(entry.outcomes, start=1)
            )
            TopicAudience.objects.bulk_create(
                TopicAudience(topic=topic, audience=audience, relevance=relevance, priority=priority)
                for audience, (relevance, priority) in entry.audiences.items()
            )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            object_type="training.catalogue",
            object_id=unit.pk,
            detail={"topics": len(topics), "source": "masip illustrative catalogue"},
        )
    return len(topics)


def _check_minutes(min_minutes: int, max_minutes: int) -> None:
    if min_minutes > max_minutes:
        raise ValidationError(
            {"max_minutes": "The longest time must be at least the shortest time: raise it or lower the shortest."}
        )


def _unique_key(unit: Unit, title: str) -> str:
    from django.utils.text import slugify

    base = (slugify(title)[:50] or "topic").strip("-") or "topic"
    key, n = base, 1
    while Topic.objects.filter(unit=unit, key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


def _check_trainers(unit: Unit, trainers: Iterable[Any]) -> list[Any]:
    chosen = list(trainers)
    allowed = set(trainers_of(unit).values_list("pk", flat=True))
    if any(user.pk not in allowed for user in chosen):
        raise ValidationError({"trainers": "Choose trainers of this unit only."})
    return chosen


def _save_audiences(topic: Topic, audiences: Mapping[str, tuple[str, int]]) -> None:
    for audience, (relevance, priority) in audiences.items():
        TopicAudience.objects.update_or_create(
            topic=topic, audience=audience, defaults={"relevance": relevance, "priority": priority}
        )


def topic_create(
    *,
    unit: Unit,
    actor: Any,
    values: Mapping[str, Any],
    trainers: Iterable[Any],
    audiences: Mapping[str, tuple[str, int]],
    request: HttpRequest | None = None,
) -> Topic:
    """A new topic of `unit`, with its relevance and priority per audience type and its trainers
    (the unit's trainers only). Its key comes from the title and is unique in the unit."""
    _check_minutes(values["min_minutes"], values["max_minutes"])
    with transaction.atomic():
        chosen = _check_trainers(unit, trainers)
        topic = Topic.objects.create(
            unit=unit, key=_unique_key(unit, values["title"]), **{f: values[f] for f in TOPIC_FIELDS}
        )
        topic.trainers.set(chosen)
        _save_audiences(topic, audiences)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            obj=topic,
            fields=[*TOPIC_FIELDS, "trainers", "audiences"],
        )
    return topic


def topic_update(
    *,
    topic: Topic,
    actor: Any,
    expected_version: int,
    values: Mapping[str, Any],
    trainers: Iterable[Any],
    audiences: Mapping[str, tuple[str, int]],
    request: HttpRequest | None = None,
) -> Topic:
    """Change a topic; StaleEditError (nothing written) when it changed since it was loaded."""
    _check_minutes(values["min_minutes"], values["max_minutes"])
    with transaction.atomic():
        current = locked_at_version(Topic.objects, topic.pk, expected_version=expected_version, label="topic")
        chosen = _check_trainers(current.unit, trainers)
        changed = [f for f in TOPIC_FIELDS if getattr(current, f) != values[f]]
        for name in TOPIC_FIELDS:
            setattr(current, name, values[name])
        current.version += 1
        current.save()
        before = set(current.trainers.values_list("pk", flat=True))
        if before != {user.pk for user in chosen}:
            changed.append("trainers")
        current.trainers.set(chosen)
        old = {a.audience: (a.relevance, a.priority) for a in current.audiences.all()}
        if any(old.get(k) != v for k, v in audiences.items()):
            changed.append("audiences")
        _save_audiences(current, audiences)
        audit_record(
            action=AuditAction.CHANGE, actor=actor, request=request, unit=current.unit, obj=current, fields=changed
        )
    return current


def _locked_topic(topic: Topic, expected_version: int) -> Topic:
    current = locked_at_version(Topic.objects, topic.pk, expected_version=expected_version, label="topic")
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    return current


def outcome_change(
    *,
    topic: Topic,
    actor: Any,
    expected_version: int,
    action: str,
    outcome_id: int | None = None,
    text: str = "",
    request: HttpRequest | None = None,
) -> str:
    """Add, edit, move up or down, or retire one learning outcome of `topic`; returns what was
    done, for the page. An outcome with feedback ratings is retired (kept for the reports), one
    without is deleted. Version-checked on the topic: StaleEditError when it changed meanwhile."""
    text = text.strip()
    if action in {"add", "edit"} and not text:
        raise ValidationError({"text": "Enter the learning outcome."})
    if len(text) > 300:
        raise ValidationError({"text": "A learning outcome can be 300 characters at most: shorten it."})
    with transaction.atomic():
        current = _locked_topic(topic, expected_version)
        outcomes = list(current.outcomes.order_by("position", "pk"))
        if action == "add":
            outcome = LearningOutcome.objects.create(
                topic=current, text=text, position=max((o.position for o in outcomes), default=0) + 1
            )
            done = "Learning outcome added."
        else:
            outcome = next((o for o in outcomes if o.pk == outcome_id), None)  # type: ignore[assignment]
            if outcome is None:
                raise ValidationError("That learning outcome is not on this topic any more: reload the page.")
            if action == "edit":
                outcome.text = text
                outcome.save(update_fields=["text"])
                done = "Learning outcome changed."
            elif action in {"up", "down"}:
                index = outcomes.index(outcome)
                other_index = index - 1 if action == "up" else index + 1
                if not 0 <= other_index < len(outcomes):
                    raise ValidationError("That learning outcome cannot move further.")
                outcomes[index], outcomes[other_index] = outcomes[other_index], outcomes[index]
                for position, row in enumerate(outcomes, start=1):
                    if row.position != position:
                        row.position = position
                        row.save(update_fields=["position"])
                done = "Learning outcome moved."
            elif action == "retire":
                if OutcomeRating.objects.filter(outcome=outcome).exists():
                    outcome.retired = True
                    outcome.save(update_fields=["retired"])
                    done = "Learning outcome retired: feedback was given on it, so the reports keep it."
                else:
                    outcome.delete()
                    done = "Learning outcome removed."
            elif action == "restore":
                outcome.retired = False
                outcome.save(update_fields=["retired"])
                done = "Learning outcome brought back."
            else:
                raise ValidationError("Unknown change to a learning outcome.")
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["outcomes"],
            detail={"outcome": action},
        )
    return done


SETTINGS_FIELDS = (
    "half_day_minutes",
    "full_day_minutes",
    "break_minutes",
    "lunch_minutes",
    "feedback_days",
    "enquiries_per_hour",
    "offer_published",
    "offer_introduction",
    "contact_email",
)


def settings_update(
    *, unit: Unit, actor: Any, values: Mapping[str, Any], request: HttpRequest | None = None
) -> TrainingSettings:
    """Save the unit's training settings (created on first save)."""
    with transaction.atomic():
        current, _ = TrainingSettings.objects.select_for_update().get_or_create(unit=unit)
        changed = [name for name in SETTINGS_FIELDS if getattr(current, name) != values[name]]
        for name in SETTINGS_FIELDS:
            setattr(current, name, values[name])
        current.full_clean()
        current.save()
        audit_record(action=AuditAction.CHANGE, actor=actor, request=request, unit=unit, obj=current, fields=changed)
    return current

"""Writes to agendas: propose one with the builder, edit it item by item or by a new order, copy
it. Every edit is version-checked, checked against the slot, and audited; an agenda used at a
delivery that has been held is never changed (copy it instead)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.models import locked_at_version
from masip.training.builder import AgendaDoesNotFit, TopicSpec, duration, minutes_phrase, propose_agenda
from masip.training.models import (
    Agenda,
    AgendaItem,
    AgendaItemKind,
    DeliveryStatus,
    Enquiry,
    SessionFormat,
    Topic,
    TopicKind,
)
from masip.training.selectors import settings_of

MAX_ITEMS = 40


def topic_specs(topics: Iterable[Topic], trainer_ids: set[int] | None) -> list[TopicSpec]:
    """The builder's view of `topics` (audiences and trainers prefetched). A topic is presentable
    when one of `trainer_ids` can present it, or, with no trainers chosen, when anyone can."""
    specs = []
    for topic in topics:
        presenters = {user.pk for user in topic.trainers.all()}
        specs.append(
            TopicSpec(
                key=str(topic.pk),
                title=topic.title,
                kind=topic.kind,
                format=topic.format,
                min_minutes=topic.min_minutes,
                max_minutes=topic.max_minutes,
                sequence=topic.sequence,
                audiences={a.audience: (a.relevance, a.priority) for a in topic.audiences.all()},
                presentable=bool(presenters & trainer_ids) if trainer_ids is not None else bool(presenters),
            )
        )
    return specs


def agenda_propose(
    *,
    unit: Unit,
    actor: Any,
    title: str,
    session_format: str,
    audience: Mapping[str, int],
    trainers: Iterable[Any] | None = None,
    enquiry: Enquiry | None = None,
    request: HttpRequest | None = None,
) -> Agenda:
    """Propose an agenda from the unit's active catalogue for this audience and format (the
    slot and breaks from the unit's settings) and save it with the builder's explanation.

    Guarantees what the builder does (fits the slot, opening items first, reasons for every
    topic left out); ValidationError with the builder's message when nothing can fit.
    """
    settings = settings_of(unit)
    slot = settings.full_day_minutes if session_format == SessionFormat.FULL_DAY else settings.half_day_minutes
    trainer_ids = {user.pk for user in trainers} if trainers else None
    topics = list(Topic.objects.filter(unit=unit, active=True).prefetch_related("audiences", "trainers"))
    if not any(topic.kind == TopicKind.OPENING for topic in topics):
        raise ValidationError("The catalogue has no opening items yet: add them (or load masip's catalogue) first.")
    counts = {kind: int(count) for kind, count in audience.items() if int(count) > 0}
    try:
        proposal = propose_agenda(
            topics=topic_specs(topics, trainer_ids),
            audience=counts,
            slot_minutes=slot,
            session_format=session_format,
            break_minutes=settings.break_minutes,
            lunch_minutes=settings.lunch_minutes,
        )
    except (AgendaDoesNotFit, ValueError) as error:
        raise ValidationError(str(error)) from error
    by_key = {str(topic.pk): topic for topic in topics}
    with transaction.atomic():
        agenda = Agenda.objects.create(
            unit=unit,
            title=title,
            format=session_format,
            slot_minutes=slot,
            audience=counts,
            explanation=list(proposal.explanation),
            enquiry=enquiry,
            created_by=actor,
        )
        AgendaItem.objects.bulk_create(
            AgendaItem(
                agenda=agenda,
                position=position,
                kind=item.kind,
                topic=by_key.get(item.key),
                title=item.title,
                minutes=item.minutes,
            )
            for position, item in enumerate(proposal.items, start=1)
        )
        if trainers:
            agenda.trainers.set(list(trainers))
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            obj=agenda,
            fields=["title", "format", "slot_minutes", "audience", "trainers", "items"],
            detail={"items": len(proposal.items), "left_out": len(proposal.left_out)},
        )
    return agenda


def over_slot_message(total: int, slot: int) -> str:
    return (
        f"This would make the agenda {duration(total)}, {minutes_phrase(total - slot)} over the "
        f"{duration(slot)} slot: shorten or remove an item first."
    )


def ensure_agenda_editable(agenda: Agenda) -> None:
    if agenda.deliveries.filter(status=DeliveryStatus.HELD).exists():
        raise ValidationError(
            "This agenda was used at a delivery that has been held, so it cannot be changed: copy it instead."
        )


def _renumber(items: Sequence[AgendaItem]) -> None:
    # Positions are unique per agenda: move every row out of the way first, then into place.
    for offset, item in enumerate(items, start=1):
        AgendaItem.objects.filter(pk=item.pk).update(position=10_000 + offset)
    for position, item in enumerate(items, start=1):
        item.position = position
        AgendaItem.objects.filter(pk=item.pk).update(position=position)


def _presenter_problem(agenda: Agenda, topic: Topic) -> str:
    """Why `topic` cannot go on `agenda` for want of a trainer, or "" when someone can present it:
    one of the agenda's trainers or of its deliveries' trainers, or, when none was named, anyone."""
    presenters = set(topic.trainers.values_list("pk", flat=True))
    if not presenters:
        return f"Nobody can present \u2018{topic.title}\u2019 yet: add a trainer to the topic in the catalogue first."
    delivering = set(agenda.trainers.values_list("pk", flat=True))
    delivering |= set(agenda.deliveries.values_list("trainers", flat=True)) - {None}
    if delivering and not presenters & delivering:
        return (
            f"None of the trainers of this agenda or its deliveries can present \u2018{topic.title}\u2019: "
            "add one of them to the topic in the catalogue, or add a trainer who can to the delivery."
        )
    return ""


def agenda_edit(
    *,
    agenda: Agenda,
    actor: Any,
    expected_version: int,
    action: str,
    item_id: int | None = None,
    minutes: int | None = None,
    topic_id: int | None = None,
    request: HttpRequest | None = None,
) -> str:
    """One edit by button: move an item up or down, remove it, change its minutes, add a topic
    that was left out, or add a break. Returns what was done, for the page.

    Guarantees: nothing is written when the edit is refused. Refused (ValidationError) when it
    would make the agenda longer than its slot, removes an opening item, puts a topic outside its
    range of minutes, adds a topic nobody can present, or the agenda was used at a held delivery;
    StaleEditError when the agenda changed since it was loaded.
    """
    with transaction.atomic():
        current = locked_at_version(Agenda.objects, agenda.pk, expected_version=expected_version, label="agenda")
        ensure_agenda_editable(current)
        items = list(current.items.select_related("topic").order_by("position"))
        item = next((row for row in items if row.pk == item_id), None)
        if action in {"up", "down", "remove", "minutes"} and item is None:
            raise ValidationError("That item is not on this agenda any more: reload the page.")
        total = sum(row.minutes for row in items)
        if action in {"up", "down"}:
            assert item is not None  # noqa: S101 - checked above
            index = items.index(item)
            other = index - 1 if action == "up" else index + 1
            if not 0 <= other < len(items):
                raise ValidationError(f"\u2018{item.title}\u2019 is already {'first' if action == 'up' else 'last'}.")
            items[index], items[other] = items[other], items[index]
            _renumber(items)
            done = f"\u2018{item.title}\u2019 moved {action}."
        elif action == "remove":
            assert item is not None  # noqa: S101
            if item.kind == AgendaItemKind.OPENING:
                raise ValidationError(
                    f"\u2018{item.title}\u2019 is an opening item: every agenda keeps its opening items. "
                    "Shorten it instead, or change the catalogue."
                )
            items.remove(item)
            item.delete()
            _renumber(items)
            done = f"\u2018{item.title}\u2019 removed."
        elif action == "minutes":
            assert item is not None  # noqa: S101
            if minutes is None:
                raise ValidationError({"minutes": "Enter the minutes as a whole number."})
            if item.topic is not None:
                low, high = item.topic.min_minutes, item.topic.max_minutes
                if not low <= minutes <= high:
                    raise ValidationError(
                        {
                            "minutes": f"\u2018{item.title}\u2019 takes {low} to {high} minutes: "
                            "choose a time in that range."
                        }
                    )
            elif not 5 <= minutes <= 90:
                raise ValidationError({"minutes": "A break takes 5 to 90 minutes: choose a time in that range."})
            new_total = total - item.minutes + minutes
            if new_total > current.slot_minutes:
                raise ValidationError(over_slot_message(new_total, current.slot_minutes))
            item.minutes = minutes
            item.save(update_fields=["minutes"])
            done = f"\u2018{item.title}\u2019 now takes {minutes_phrase(minutes)}."
        elif action in {"add_topic", "add_break"}:
            if len(items) >= MAX_ITEMS:
                raise ValidationError(f"An agenda can have {MAX_ITEMS} items at most: remove one first.")
            if action == "add_topic":
                topic = Topic.objects.filter(unit=current.unit, pk=topic_id or 0, active=True).first()
                if topic is None:
                    raise ValidationError("Choose a topic from the catalogue to add.")
                if any(row.topic_id == topic.pk for row in items):
                    raise ValidationError(f"\u2018{topic.title}\u2019 is already on this agenda.")
                problem = _presenter_problem(current, topic)
                if problem:
                    raise ValidationError(problem)
                new_item = AgendaItem(
                    agenda=current,
                    kind=AgendaItemKind.OPENING if topic.kind == TopicKind.OPENING else AgendaItemKind.TOPIC,
                    topic=topic,
                    title=topic.title,
                    minutes=topic.min_minutes,
                )
            else:
                settings = settings_of(current.unit)
                new_item = AgendaItem(
                    agenda=current, kind=AgendaItemKind.BREAK, title="Break", minutes=settings.break_minutes or 15
                )
            new_total = total + new_item.minutes
            if new_total > current.slot_minutes:
                raise ValidationError(over_slot_message(new_total, current.slot_minutes))
            new_item.position = 10_000
            new_item.save()
            items.append(new_item)
            _renumber(items)
            done = f"\u2018{new_item.title}\u2019 added at the end: move it where it belongs."
        else:
            raise ValidationError("Unknown change to an agenda.")
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["items"],
            detail={"edit": action},
        )
    return done


def agenda_reorder(
    *,
    agenda: Agenda,
    actor: Any,
    expected_version: int,
    item_ids: Sequence[int],
    request: HttpRequest | None = None,
) -> Agenda:
    """Put the agenda's items in the order `item_ids` gives (every item exactly once).

    Guarantees: ValidationError and nothing written when the ids are not exactly the agenda's
    items or the agenda was used at a held delivery; StaleEditError when it changed meanwhile."""
    with transaction.atomic():
        current = locked_at_version(Agenda.objects, agenda.pk, expected_version=expected_version, label="agenda")
        ensure_agenda_editable(current)
        items = {row.pk: row for row in current.items.all()}
        if sorted(item_ids) != sorted(items):
            raise ValidationError("The new order does not match the agenda's items: reload the page and try again.")
        _renumber([items[pk] for pk in item_ids])
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["items"],
            detail={"edit": "reorder"},
        )
    return current


def agenda_copy(*, agenda: Agenda, actor: Any, request: HttpRequest | None = None) -> Agenda:
    """A new agenda with the same title (marked as a copy), audience, slot, explanation and items,
    free to edit whatever happened to the original."""
    with transaction.atomic():
        copy = Agenda.objects.create(
            unit=agenda.unit,
            title=f"Copy of {agenda.title}"[:200],
            format=agenda.format,
            slot_minutes=agenda.slot_minutes,
            audience=dict(agenda.audience),
            explanation=list(agenda.explanation),
            enquiry=agenda.enquiry,
            created_by=actor,
        )
        AgendaItem.objects.bulk_create(
            AgendaItem(
                agenda=copy,
                position=item.position,
                kind=item.kind,
                topic_id=item.topic_id,
                title=item.title,
                minutes=item.minutes,
            )
            for item in agenda.items.order_by("position")
        )
        copy.trainers.set(agenda.trainers.all())
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=agenda.unit,
            obj=copy,
            fields=["title", "format", "slot_minutes", "audience", "items"],
            detail={"copied_from": agenda.pk},
        )
    return copy

"""What is recorded about one agenda item during a meeting: discussion notes (the shared summary
in `team`, restricted detail in its own compartment), decisions from the unit's options, and the
item's outcome (discussed or deferred, next review date). Also the unit's decision options, kept
as data (data/decisions.yaml) and edited by the chair.

Every write is one transaction with its audit event inside (field names only, never the text).
Who may record: the meeting's chair, or a member of the meeting recorded as attending, who may
also write in the compartment concerned on the item's case. When: a meeting opened (or closed
while its minutes are drafted), not cancelled, whose minutes are not approved. Actions, which
become tasks on the case, are in services_actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.models import locked_at_version
from masip.panel import rules
from masip.panel.models import (
    AgendaItem,
    Attendance,
    DecisionOption,
    DiscussionNote,
    ItemDecision,
    ItemStatus,
    Meeting,
    MeetingMember,
)

DECISIONS_FILE = Path(__file__).resolve().parent / "data" / "decisions.yaml"
OTHER_KEY = "other"
NOTE_MAX_LENGTH = 10_000
DETAIL_MAX_LENGTH = 2_000
LABEL_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 300
OUTCOMES = (ItemStatus.DISCUSSED, ItemStatus.DEFERRED)
NOT_A_RECORDER = (
    "Only the chair of this meeting, or a member recorded as attending it, can record what the panel said "
    "and decided. If you are at the meeting, ask the chair to record your attendance."
)


# --- who may record, and when ------------------------------------------------------------------


def may_record(*, user: Any, meeting: Meeting) -> bool:
    """The meeting's chair (a role that chairs panels in its unit), or a member recorded as attending."""
    if rules.may_chair(user, meeting):
        return True
    user_id = principal_for(user).user_id
    if user_id is None:
        return False
    return MeetingMember.objects.filter(meeting=meeting, user_id=user_id, attendance=Attendance.ATTENDED).exists()


def recording_refusal(meeting: Meeting) -> str | None:
    """Why nothing can be recorded in `meeting` now, or None when it can."""
    try:
        rules.ensure_recording(meeting)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def require_recorder(*, actor: Any, item: AgendaItem, compartment: str, action: Action) -> None:
    """PermissionDenied unless `actor` may record at the item's meeting and write in `compartment`
    on its case (which must be visible to them)."""
    if not may_record(user=actor, meeting=item.meeting):
        raise PermissionDenied(NOT_A_RECORDER)
    if not principal_for(actor).may(item.case.unit_id, compartment, action):
        raise PermissionDenied("Your role does not allow this on this case.")
    if not AgendaItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        raise PermissionDenied("You cannot see this case, so you cannot record about it.")


def _ensure_recording(item: AgendaItem) -> None:
    rules.ensure_recording(item.meeting)
    if item.status == ItemStatus.WITHDRAWN:
        raise ValidationError(
            "This case was taken off the agenda, so nothing can be recorded about it at this meeting.",
            code="withdrawn",
        )


def _meeting_detail(item: AgendaItem) -> dict[str, str]:
    return {"meeting": str(item.meeting_id), "item": str(item.pk)}


# --- discussion --------------------------------------------------------------------------------


def note_compartments_offered(*, user: Any, unit_id: int) -> list[Compartment]:
    """The compartments the user may write a discussion note in, team first. Victim contact details
    never go in a panel note."""
    allowed = principal_for(user).compartments(unit_id, Action.CREATE)
    return [c for c in Compartment if c in allowed and c != Compartment.VICTIM_CONTACT]


def discussion_note_add(
    *, actor: Any, item: AgendaItem, compartment: str, text: str, request: HttpRequest | None = None
) -> DiscussionNote:
    """Record what was said about an item, in `compartment` (team: the summary the panel shares;
    police, health, advocacy: detail only that compartment's readers may see). Audited as `create`
    with the field names.

    Guarantees: the actor may record at the meeting and write in the compartment (PermissionDenied);
    the compartment is one offered and the text is given (ValidationError by field); the meeting is
    recording (ValidationError); nothing is written on refusal.
    """
    if not may_record(user=actor, meeting=item.meeting):
        raise PermissionDenied(NOT_A_RECORDER)
    if compartment not in note_compartments_offered(user=actor, unit_id=item.case.unit_id):
        raise ValidationError({"compartment": "Choose who may read the note from the list."})
    require_recorder(actor=actor, item=item, compartment=compartment, action=Action.CREATE)
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Enter what was said about the case."})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError({"text": f"The note can be at most {NOTE_MAX_LENGTH:,} characters."})
    with transaction.atomic():
        _ensure_recording(item)
        note = DiscussionNote.unscoped.create(
            item=item, case=item.case, compartment=compartment, text=text, created_by=actor
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=item.case.unit,
            obj=note,
            case_id=item.case_id,
            fields=["compartment", "text"],
            detail={**_meeting_detail(item), "compartment": str(compartment)},
        )
    return note


# --- decisions ---------------------------------------------------------------------------------


def item_decision_add(
    *, actor: Any, item: AgendaItem, option_id: Any, detail: str, request: HttpRequest | None = None
) -> ItemDecision:
    """Record a route the panel decided for an item, from the unit's active options, with its words
    (required for "other"). Audited as `create` with the option's key.

    Guarantees: as discussion_note_add for who and when; the option is one of the unit's active
    options (ValidationError on `option`); "other" has its words (ValidationError on `detail`); the
    meeting is quorate (ValidationError saying what is missing); nothing is written on refusal.
    """
    require_recorder(actor=actor, item=item, compartment=Compartment.TEAM, action=Action.CREATE)
    option = DecisionOption.objects.filter(
        unit_id=item.meeting.unit_id, active=True, pk=_int_or_none(option_id)
    ).first()
    if option is None:
        raise ValidationError({"option": "Choose what the panel decided from the list."})
    detail = detail.strip()
    if option.key == OTHER_KEY and not detail:
        raise ValidationError({"detail": "Say in words what the panel decided: “Other” needs it."})
    if len(detail) > DETAIL_MAX_LENGTH:
        raise ValidationError({"detail": f"The decision's words can be at most {DETAIL_MAX_LENGTH:,} characters."})
    with transaction.atomic():
        _ensure_recording(item)
        rules.ensure_quorate(item.meeting)
        decision = ItemDecision.unscoped.create(
            item=item, case=item.case, option=option, detail=detail, created_by=actor
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=item.case.unit,
            obj=decision,
            case_id=item.case_id,
            fields=["option", "detail"] if detail else ["option"],
            detail={**_meeting_detail(item), "option": option.key},
        )
    return decision


def _int_or_none(value: Any) -> int:
    """The id as a number; -1 (no row) when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# --- the item's outcome ------------------------------------------------------------------------


def item_outcome_record(
    *,
    actor: Any,
    item: AgendaItem,
    expected_version: int,
    status: str,
    next_review_on: date | None,
    request: HttpRequest | None = None,
) -> AgendaItem:
    """Mark an item discussed (with the time) or deferred to the next meeting, and set when the
    panel next looks at the case. Audited as `change` with the fields changed.

    Guarantees: as discussion_note_add for who and when (team, change); the status is discussed or
    deferred and the review date is not in the past (ValidationError by field); an item changed
    since the form was opened raises StaleEditError; nothing is written on refusal.
    """
    require_recorder(actor=actor, item=item, compartment=Compartment.TEAM, action=Action.CHANGE)
    errors = {}
    if status not in OUTCOMES:
        errors["status"] = "Choose whether the case was discussed or deferred to the next meeting."
    if next_review_on is not None and next_review_on < timezone.localdate():
        errors["next_review_on"] = (
            "The next review date is in the past. Enter today's date or a later one, or leave it empty."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _ensure_recording(item)
        current = locked_at_version(
            AgendaItem.unscoped, item.pk, expected_version=expected_version, label="This agenda item"
        )
        wanted = {
            "status": status,
            "discussed_at": (current.discussed_at or timezone.now()) if status == ItemStatus.DISCUSSED else None,
            "next_review_on": next_review_on,
        }
        changed = [name for name, value in wanted.items() if getattr(current, name) != value]
        if not changed:
            return current
        for name, value in wanted.items():
            setattr(current, name, value)
        current.version += 1
        current.save(update_fields=[*changed, "version", "updated_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=item.case.unit,
            obj=current,
            case_id=item.case_id,
            fields=changed,
            detail={**_meeting_detail(item), "status": str(status), "version": current.version},
        )
    return current


# --- decision options, kept as data ------------------------------------------------------------


@dataclass(frozen=True)
class OptionDefault:
    key: str
    label: str
    description: str


def decision_defaults_parse(text: str) -> list[OptionDefault]:
    """The options of a decisions file, or ValidationError saying what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValidationError(f"The file is not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("options"), list):
        raise ValidationError("The file needs a list of `options`, each with a `key` and a `label`.")
    options: list[OptionDefault] = []
    for number, entry in enumerate(data["options"], start=1):
        if not isinstance(entry, dict):
            raise ValidationError(f"Option {number} needs a `key` and a `label`.")
        key, label = str(entry.get("key") or "").strip(), str(entry.get("label") or "").strip()
        if not key or key != slugify(key) or len(key) > 40:
            raise ValidationError(f"Option {number}: the key must be a short slug (letters, digits, hyphens).")
        if not label or len(label) > LABEL_MAX_LENGTH:
            raise ValidationError(f"Option {number} needs a label of at most {LABEL_MAX_LENGTH} characters.")
        if key in {o.key for o in options}:
            raise ValidationError(f"Option {number}: the key “{key}” is repeated.")
        options.append(OptionDefault(key, label, str(entry.get("description") or "").strip()[:DESCRIPTION_MAX_LENGTH]))
    if OTHER_KEY not in {o.key for o in options}:
        raise ValidationError(f"The options need one with the key “{OTHER_KEY}”.")
    return options


def decision_defaults() -> list[OptionDefault]:
    return decision_defaults_parse(DECISIONS_FILE.read_text(encoding="utf-8"))


def decision_options_load(*, unit: Unit, actor: Any = None, request: HttpRequest | None = None) -> list[str]:
    """Give `unit` every default option whose key it lacks, after its own; returns the keys added.

    Idempotent: options the unit has (renamed, reordered, switched off or its own) are left as they
    are, and none is ever deleted. Audited as one `create` naming the keys added, when any.
    """
    defaults = decision_defaults()
    with transaction.atomic():
        # Lock the unit's row so that two first uses of its options do not both load them.
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        existing = set(DecisionOption.objects.filter(unit=unit).values_list("key", flat=True))
        position = DecisionOption.objects.filter(unit=unit).aggregate(top=Max("position"))["top"] or 0
        added = []
        for default in defaults:
            if default.key in existing:
                continue
            position += 1
            DecisionOption.objects.create(
                unit=unit, key=default.key, label=default.label, description=default.description, position=position
            )
            added.append(default.key)
        if added:
            audit_record(
                action=AuditAction.CREATE,
                actor=actor,
                request=request,
                unit=unit,
                object_type=DecisionOption._meta.label_lower,
                fields=["key", "label", "description", "position"],
                detail={"added": added, "source": DECISIONS_FILE.name},
            )
    return added


def decision_options_for(*, unit: Unit, active_only: bool = True) -> list[DecisionOption]:
    """The unit's decision options in their order; the defaults are loaded the first time a unit
    with none needs them."""
    options = DecisionOption.objects.filter(unit=unit)
    if not options.exists():
        decision_options_load(unit=unit)
    if active_only:
        options = options.filter(active=True)
    return list(options.order_by("position", "label"))


def _require_chair(actor: Any, unit_id: int) -> None:
    if not principal_for(actor).can(Capability.CHAIR_PANEL, unit_id):
        raise PermissionDenied("Only those who chair the unit's panel can change its decision options.")


def _clean_option(label: str, description: str) -> tuple[str, str]:
    label, description = label.strip(), description.strip()
    errors = {}
    if not label:
        errors["label"] = "Enter the option as the panel should read it."
    elif len(label) > LABEL_MAX_LENGTH:
        errors["label"] = f"The option can be at most {LABEL_MAX_LENGTH} characters. Put the rest in the description."
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = f"The description can be at most {DESCRIPTION_MAX_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    return label, description


def decision_option_add(
    *, actor: Any, unit: Unit, label: str, description: str = "", request: HttpRequest | None = None
) -> DecisionOption:
    """Add a unit's own option at the end of its list, audited as `create`.

    Guarantees: the actor chairs the unit's panel (PermissionDenied); the label is given and no
    other option of the unit has it (ValidationError on `label`)."""
    _require_chair(actor, unit.pk)
    label, description = _clean_option(label, description)
    with transaction.atomic():
        decision_options_for(unit=unit, active_only=False)
        options = DecisionOption.objects.select_for_update().filter(unit=unit)
        if options.filter(label__iexact=label).exists():
            raise ValidationError({"label": "The unit has an option with this name already. Choose another name."})
        base = slugify(label)[:32] or "option"
        keys = set(options.values_list("key", flat=True))
        key, number = base, 1
        while key in keys:
            number += 1
            key = f"{base}-{number}"
        top = options.aggregate(top=Max("position"))["top"] or 0
        option = DecisionOption.objects.create(
            unit=unit, key=key, label=label, description=description, position=top + 1
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            obj=option,
            fields=["label", "description", "position"],
            detail={"key": key},
        )
    return option


def decision_option_update(
    *,
    actor: Any,
    option: DecisionOption,
    label: str,
    description: str,
    active: bool,
    request: HttpRequest | None = None,
) -> DecisionOption:
    """Rename an option, change its description, or switch it off (decisions already recorded keep
    it; it is no longer offered) or on again. Audited as `change` with the fields changed.

    Guarantees: the actor chairs the unit's panel (PermissionDenied); the label is given and unique
    in the unit, and "other" stays on (ValidationError by field)."""
    _require_chair(actor, option.unit_id)
    label, description = _clean_option(label, description)
    if option.key == OTHER_KEY and not active:
        raise ValidationError(
            {"active": "“Other” stays on: it lets the panel record a decision none of the options describe."}
        )
    with transaction.atomic():
        current = DecisionOption.objects.select_for_update().get(pk=option.pk)
        if DecisionOption.objects.filter(unit_id=current.unit_id, label__iexact=label).exclude(pk=current.pk).exists():
            raise ValidationError({"label": "The unit has an option with this name already. Choose another name."})
        wanted = {"label": label, "description": description, "active": active}
        changed = [name for name, value in wanted.items() if getattr(current, name) != value]
        if not changed:
            return current
        for name, value in wanted.items():
            setattr(current, name, value)
        current.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=changed,
            detail={"key": current.key, "active": current.active},
        )
    return current


def decision_option_move(
    *, actor: Any, option: DecisionOption, up: bool, request: HttpRequest | None = None
) -> DecisionOption:
    """Move an option one place up or down the unit's list (the order the panel reads them in);
    the list is renumbered 1, 2, 3... Audited as `change` of the position."""
    _require_chair(actor, option.unit_id)
    with transaction.atomic():
        options = list(
            DecisionOption.objects.select_for_update().filter(unit_id=option.unit_id).order_by("position", "label")
        )
        index = next(i for i, o in enumerate(options) if o.pk == option.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(options):
            return options[index]
        options[index], options[other] = options[other], options[index]
        for position, entry in enumerate(options, start=1):
            if entry.position != position:
                entry.position = position
                entry.save(update_fields=["position", "updated_at"])
        moved = options[other]
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=moved.unit,
            obj=moved,
            fields=["position"],
            detail={"key": moved.key, "position": moved.position},
        )
    return moved


def decision_option_delete(*, actor: Any, option: DecisionOption, request: HttpRequest | None = None) -> None:
    """Delete an option no meeting has decided. One that was decided stays in the record: it can
    only be switched off (ValidationError). "Other" is never deleted. Audited as `change` (deleted)."""
    _require_chair(actor, option.unit_id)
    if option.key == OTHER_KEY:
        raise ValidationError(
            "“Other” cannot be deleted: it lets the panel record a decision none of the options describe."
        )
    with transaction.atomic():
        current = DecisionOption.objects.select_for_update().get(pk=option.pk)
        if ItemDecision.unscoped.filter(option=current).exists():
            raise ValidationError(
                "Panels have decided this option, so it stays in their record and cannot be deleted. "
                "Switch it off instead: it will no longer be offered."
            )
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["key", "label", "description", "position", "active"],
            detail={"key": current.key, "deleted": True},
        )
        current.delete()

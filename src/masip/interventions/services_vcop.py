"""Writes of the Victims' Code part: what was agreed with each victim, their views on bail and
orders, the events they must be told of, and the updates given to them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.decorators import require_case_action
from masip.access.policy import Action, Compartment
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseParticipant, ContactChannel, ParticipantRole
from masip.core.models import StaleEditError, save_versioned
from masip.core.workdays import add_working_days
from masip.interventions import services_safety
from masip.interventions.models_safety import SafeChannel
from masip.interventions.models_vcop import (
    ENHANCED_WORKING_DAYS,
    REGULAR_PERIODS,
    STANDARD_WORKING_DAYS,
    VcopEvent,
    VcopEventKind,
    VcopEventSource,
    VcopFrequency,
    VcopUpdateDue,
    VcopUpdateKind,
    VcopUpdateStatus,
    VcopVictimSettings,
    VcopView,
    VcopViewTopic,
)
from masip.interventions.services_legal import add_months

TEXT_MAX_LENGTH = 5_000
# A victim added to a case is owed the updates of the events of this many days before.
LATE_VICTIM_DAYS = 28


# The safety plan's channels as the channels an update is given by ("through the advocate" is
# not a channel of its own: the advocate uses one of the others).
_CONTACT_CHANNEL_OF = {
    SafeChannel.PHONE: ContactChannel.PHONE,
    SafeChannel.TEXT: ContactChannel.MESSAGING,
    SafeChannel.EMAIL: ContactChannel.EMAIL,
    SafeChannel.LETTER: ContactChannel.LETTER,
    SafeChannel.IN_PERSON: ContactChannel.FACE_TO_FACE,
}


def unsafe_channels_for(participant: CaseParticipant) -> set[str]:
    """The channels (ContactChannel values) the victim's safe contact preferences leave out;
    none when no preferences are recorded."""
    unsafe = services_safety.unsafe_channels_for(participant)
    return {str(_CONTACT_CHANNEL_OF[SafeChannel(code)]) for code in unsafe if code in _CONTACT_CHANNEL_OF}


def update_due_on(*, occurred_on: date, enhanced_rights: bool) -> date:
    """The last day to tell the victim: 1 working day after the event for enhanced rights, 5
    otherwise, not counting the event's day, weekends or England and Wales bank holidays."""
    return add_working_days(occurred_on, ENHANCED_WORKING_DAYS if enhanced_rights else STANDARD_WORKING_DAYS)


def active_victims(case: Case) -> list[CaseParticipant]:
    return list(
        CaseParticipant.unscoped.filter(case=case, role=ParticipantRole.VICTIM, ended_at__isnull=True)
        .select_related("vcop_settings")
        .order_by("created_at")
    )


def _enhanced(participant: CaseParticipant) -> bool:
    """Enhanced rights unless the victim's agreement says otherwise (most stalking victims have them)."""
    agreed = VcopVictimSettings.unscoped.filter(participant=participant).values_list("enhanced_rights", flat=True)
    return next(iter(agreed), True)


def _require_victim(participant: CaseParticipant, case: Case) -> None:
    if participant.case_id != case.pk or participant.role != ParticipantRole.VICTIM:
        raise ValidationError("The Victims' Code applies to the case's victims only.")


def vcop_settings_save(
    *,
    actor: Any,
    case: Case,
    participant: CaseParticipant,
    enhanced_rights: bool,
    enhanced_reason: str,
    update_frequency: str,
    channel: str,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> VcopVictimSettings:
    """Record what was agreed with a victim: enhanced rights (and why), how often and by which
    channel they are updated.

    Guarantees: the actor may change the case's team data (PermissionDenied); values are known
    choices and a reason is given when enhanced rights are declined (ValidationError); a stale
    `expected_version` raises StaleEditError. Nothing is written on refusal; the change is audited.
    Updates already due keep their deadline."""
    require_case_action(actor, case.unit_id, Compartment.TEAM, Action.CHANGE)
    _require_victim(participant, case)
    enhanced_reason = (enhanced_reason or "").strip()
    errors: dict[str, str] = {}
    if not enhanced_rights and not enhanced_reason:
        errors["enhanced_reason"] = "Say why this victim does not have enhanced rights."
    if len(enhanced_reason) > TEXT_MAX_LENGTH:
        errors["enhanced_reason"] = f"The reason can be at most {TEXT_MAX_LENGTH:,} characters."
    if update_frequency and update_frequency not in VcopFrequency.values:
        errors["update_frequency"] = "Choose how often the victim wants to be updated."
    if channel and channel not in ContactChannel.values:
        errors["channel"] = "Choose how the victim wants to be updated."
    if channel and channel in unsafe_channels_for(participant):
        errors["channel"] = (
            f"The victim said {ContactChannel(channel).label.lower()} is not safe for them. "
            "Agree another channel with them."
        )
    if errors:
        raise ValidationError(errors)
    fields = ["enhanced_rights", "enhanced_reason", "update_frequency", "channel", "updated_by"]
    today = timezone.localdate()
    with transaction.atomic():
        current = VcopVictimSettings.unscoped.filter(participant=participant).first()
        if current is None:
            try:
                with transaction.atomic():
                    current = VcopVictimSettings.unscoped.create(
                        case=case,
                        participant=participant,
                        enhanced_rights=enhanced_rights,
                        enhanced_reason=enhanced_reason,
                        update_frequency=update_frequency,
                        frequency_agreed_on=today if update_frequency else None,
                        channel=channel,
                        updated_by=actor,
                        created_by=actor,
                    )
            except IntegrityError as error:  # someone else recorded the first agreement meanwhile
                raise StaleEditError(str(VcopVictimSettings._meta.verbose_name)) from error
            action = AuditAction.CREATE
        elif expected_version is None:
            # The form was opened before any agreement existed: someone else's is not overwritten.
            raise StaleEditError(str(VcopVictimSettings._meta.verbose_name))
        else:
            if update_frequency != current.update_frequency:
                current.frequency_agreed_on = today if update_frequency else None
                fields.insert(-1, "frequency_agreed_on")
            current.enhanced_rights = enhanced_rights
            current.enhanced_reason = enhanced_reason
            current.update_frequency = update_frequency
            current.channel = channel
            current.updated_by = actor
            save_versioned(current, expected_version=expected_version, fields=fields)
            action = AuditAction.CHANGE
        audit_record(
            action=action,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=current,
            case_id=case.pk,
            fields=fields[:-1],
        )
        regular_update_sync(participant=participant, actor=actor, request=request)
    return current


def vcop_view_record(
    *,
    actor: Any,
    case: Case,
    participant: CaseParticipant,
    topic: str,
    given_on: date,
    views: str,
    request: HttpRequest | None = None,
) -> VcopView:
    """Record a victim's views on bail conditions or an order, as given on `given_on`.

    Guarantees: the actor may add the case's team data (PermissionDenied); the topic is known,
    the day is not in the future and the views are written (ValidationError, nothing stored);
    the record is audited (field names only)."""
    require_case_action(actor, case.unit_id, Compartment.TEAM, Action.CREATE)
    _require_victim(participant, case)
    views = (views or "").strip()
    errors: dict[str, str] = {}
    if topic not in VcopViewTopic.values:
        errors["topic"] = "Choose what the views are about: bail conditions or orders."
    if given_on > timezone.localdate():
        errors["given_on"] = "The day the victim gave their views cannot be in the future."
    if not views:
        errors["views"] = "Write the victim's views, in their words where you can."
    elif len(views) > TEXT_MAX_LENGTH:
        errors["views"] = f"The views can be at most {TEXT_MAX_LENGTH:,} characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = VcopView.unscoped.create(
            case=case, participant=participant, topic=topic, given_on=given_on, views=views, created_by=actor
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=record,
            case_id=case.pk,
            fields=["topic", "given_on", "views"],
        )
    return record


def vcop_event_record(
    *,
    case: Case,
    kind: str,
    occurred_at: datetime,
    actor: Any = None,
    source: str = VcopEventSource.HAND,
    request: HttpRequest | None = None,
) -> VcopEvent:
    """Record an event the victims must be told of, and start one update clock per active victim
    of the case: due 1 working day after the event's day for a victim with enhanced rights, 5
    otherwise.

    Guarantees: a known kind, an aware time not in the future (ValidationError); recorded by hand,
    the actor may add the case's team data (PermissionDenied), and the same event twice is refused
    (ValidationError). Recorded with a legal action (the caller checked its own permission), the
    same event twice returns the first. Nothing is written on refusal; each row is audited."""
    if source == VcopEventSource.HAND:
        require_case_action(actor, case.unit_id, Compartment.TEAM, Action.CREATE)
    errors: dict[str, str] = {}
    if kind not in VcopEventKind.values:
        errors["kind"] = "Choose what happened from the list."
    if occurred_at is None or timezone.is_naive(occurred_at):
        errors["occurred_at"] = "Enter the date and time it happened."
    elif occurred_at > timezone.now():
        errors["occurred_at"] = "The event cannot be in the future. Record it once it has happened."
    if errors:
        raise ValidationError(errors)
    existing = VcopEvent.unscoped.filter(case=case, kind=kind, occurred_at=occurred_at).first()
    if existing is not None:
        if source == VcopEventSource.HAND:
            raise ValidationError(
                {"kind": "This event is already recorded at that time: its updates are on the Victims' Code page."}
            )
        return existing
    occurred_on = timezone.localdate(occurred_at)
    with transaction.atomic():
        event = VcopEvent.unscoped.create(
            case=case, kind=kind, occurred_at=occurred_at, source=source, created_by=actor
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=event,
            case_id=case.pk,
            fields=["kind", "occurred_at", "source"],
        )
        for victim in active_victims(case):
            _event_update_create(event, victim, occurred_on, actor, request)
    return event


def _event_update_create(
    event: VcopEvent, victim: CaseParticipant, counted_from: date, actor: Any, request: HttpRequest | None
) -> VcopUpdateDue:
    enhanced = _enhanced(victim)
    update = VcopUpdateDue.unscoped.create(
        case=event.case,
        kind=VcopUpdateKind.EVENT,
        event=event,
        participant=victim,
        enhanced_rights=enhanced,
        due_on=update_due_on(occurred_on=counted_from, enhanced_rights=enhanced),
        created_by=actor,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        request=request,
        unit=event.case.unit,
        obj=update,
        case_id=event.case_id,
        fields=["event", "participant", "enhanced_rights", "due_on"],
    )
    return update


def vcop_victim_added(
    *, participant: CaseParticipant, actor: Any = None, request: HttpRequest | None = None
) -> list[VcopUpdateDue]:
    """A victim has just joined the case: they are owed the updates of the case's events of the
    last 28 days (LATE_VICTIM_DAYS), as every victim then was, due counted from today (1 working
    day with enhanced rights, 5 otherwise). Runs in the caller's transaction; idempotent (an
    event they are already owed is skipped); each update made is audited. Anyone else than a
    current victim is owed nothing."""
    if participant.role != ParticipantRole.VICTIM or participant.ended_at is not None:
        return []
    today = timezone.localdate()
    since = timezone.now() - timedelta(days=LATE_VICTIM_DAYS)
    events = (
        VcopEvent.unscoped.filter(case_id=participant.case_id, occurred_at__gte=since)
        .exclude(updates__participant=participant)
        .select_related("case__unit")
        .order_by("occurred_at")
    )
    with transaction.atomic():
        return [_event_update_create(event, participant, today, actor, request) for event in events]


def regular_update_due_on(*, counted_from: date, frequency: str) -> date | None:
    """The day a regular update falls due one period after `counted_from` (None: the frequency
    makes no regular update due)."""
    period = REGULAR_PERIODS.get(frequency)  # type: ignore[call-overload]
    if period is None:
        return None
    months, days = period
    return add_months(counted_from, months) + timedelta(days=days)


def regular_update_sync(
    *, participant: CaseParticipant, actor: Any = None, request: HttpRequest | None = None
) -> VcopUpdateDue | None:
    """Bring the victim's open regular update in line with what was agreed: with a weekly,
    fortnightly or monthly frequency, exactly one open regular update, due one period after the
    later of the last update given to them (of any kind) and the day the frequency was agreed;
    otherwise (no frequency, events only, or no longer involved) none: an open one is withdrawn.
    Runs in the caller's transaction (the victim's row is locked so two runs do not race);
    idempotent; what it makes or moves is audited. Returns the open regular update, if any."""
    with transaction.atomic():
        victim = CaseParticipant.unscoped.select_for_update().select_related("case__unit").get(pk=participant.pk)
        case = victim.case
        current = VcopUpdateDue.unscoped.filter(
            participant=victim, kind=VcopUpdateKind.REGULAR, status=VcopUpdateStatus.OPEN
        ).first()
        agreed = VcopVictimSettings.unscoped.filter(participant=victim).first()
        due_on = None
        if agreed is not None and victim.ended_at is None and victim.role == ParticipantRole.VICTIM:
            counted_from = agreed.frequency_agreed_on or timezone.localdate(agreed.updated_at)
            last_given = (
                VcopUpdateDue.unscoped.filter(participant=victim, status=VcopUpdateStatus.SENT)
                .order_by("-sent_at")
                .values_list("sent_at", flat=True)
                .first()
            )
            if last_given is not None:
                counted_from = max(counted_from, timezone.localdate(last_given))
            due_on = regular_update_due_on(counted_from=counted_from, frequency=agreed.update_frequency)
        if due_on is None:
            if current is not None:
                current.status = VcopUpdateStatus.WITHDRAWN
                save_versioned(current, expected_version=current.version, fields=["status"])
                _audit_regular(current, case, actor, request, AuditAction.CHANGE, ["status"])
            return None
        if current is None:
            current = VcopUpdateDue.unscoped.create(
                case=case,
                kind=VcopUpdateKind.REGULAR,
                participant=victim,
                enhanced_rights=bool(agreed and agreed.enhanced_rights),
                due_on=due_on,
                created_by=actor,
            )
            _audit_regular(current, case, actor, request, AuditAction.CREATE, ["kind", "participant", "due_on"])
        elif current.due_on != due_on:
            current.due_on = due_on
            save_versioned(current, expected_version=current.version, fields=["due_on"])
            _audit_regular(current, case, actor, request, AuditAction.CHANGE, ["due_on"])
        return current


def _audit_regular(
    update: VcopUpdateDue, case: Case, actor: Any, request: HttpRequest | None, action: AuditAction, fields: list[str]
) -> None:
    audit_record(
        action=action,
        actor=actor,
        request=request,
        unit=case.unit,
        obj=update,
        case_id=case.pk,
        fields=fields,
        detail={"kind": "regular", "status": str(update.status), "due_on": update.due_on.isoformat()},
    )


def regular_updates_sync_all() -> tuple[int, int]:
    """Run `regular_update_sync` over every victim with an agreement on a case that is not
    closed, and withdraw the open regular updates of closed cases: (victims seen, open regular
    updates after). Safe to run any number of times."""
    from masip.cases.models import CaseStatus

    seen = 0
    agreements = VcopVictimSettings.unscoped.exclude(case__status=CaseStatus.CLOSED).select_related("participant")
    for agreement in agreements.order_by("pk").iterator():
        regular_update_sync(participant=agreement.participant)
        seen += 1
    for update in VcopUpdateDue.unscoped.filter(
        kind=VcopUpdateKind.REGULAR, status=VcopUpdateStatus.OPEN, case__status=CaseStatus.CLOSED
    ).select_related("case__unit"):
        update.status = VcopUpdateStatus.WITHDRAWN
        save_versioned(update, expected_version=update.version, fields=["status"])
        _audit_regular(update, update.case, None, None, AuditAction.CHANGE, ["status"])
    open_now = VcopUpdateDue.unscoped.filter(kind=VcopUpdateKind.REGULAR, status=VcopUpdateStatus.OPEN).count()
    return seen, open_now


def vcop_update_mark_sent(
    *,
    actor: Any,
    update: VcopUpdateDue,
    sent_at: datetime,
    channel: str,
    summary: str,
    expected_version: int,
    request: HttpRequest | None = None,
) -> VcopUpdateDue:
    """Record that the victim was told of the event: when, how, by the actor, and what was said.

    Guarantees: the actor may change the case's team data (PermissionDenied); the update is still
    open; the time is after the event and not in the future; the channel is known and not one the
    victim said is unsafe (the message names the safe ones); a summary is given (ValidationError);
    a stale `expected_version` raises StaleEditError. Nothing is written on refusal; audited."""
    case = update.case
    require_case_action(actor, case.unit_id, Compartment.TEAM, Action.CHANGE)
    if update.status != VcopUpdateStatus.OPEN:
        raise ValidationError("This update was already recorded as given. Nothing was changed.")
    summary = (summary or "").strip()
    errors: dict[str, str] = {}
    if sent_at is None or timezone.is_naive(sent_at):
        errors["sent_at"] = "Enter the date and time the victim was told."
    elif update.event is not None and sent_at < update.event.occurred_at:
        errors["sent_at"] = (
            f"The victim cannot have been told before the event happened "
            f"({timezone.localtime(update.event.occurred_at):%d %b %Y %H:%M}). Check the date and time."
        )
    elif sent_at > timezone.now():
        errors["sent_at"] = "The time the victim was told cannot be in the future."
    if channel not in ContactChannel.values:
        errors["channel"] = "Choose how the victim was told."
    else:
        unsafe = unsafe_channels_for(update.participant)
        if channel in unsafe:
            safe = [c.label.lower() for c in ContactChannel if c.value not in unsafe and c != ContactChannel.OTHER]
            errors["channel"] = (
                f"The victim said {ContactChannel(channel).label.lower()} is not safe for them. "
                f"Use {', '.join(safe) if safe else 'a channel agreed with them'} instead."
            )
    if not summary:
        errors["summary"] = "Write what the victim was told."
    elif len(summary) > TEXT_MAX_LENGTH:
        errors["summary"] = f"The summary can be at most {TEXT_MAX_LENGTH:,} characters."
    if errors:
        raise ValidationError(errors)
    fields = ["status", "sent_at", "sent_channel", "sent_by", "summary"]
    with transaction.atomic():
        update.status = VcopUpdateStatus.SENT
        update.sent_at = sent_at
        update.sent_channel = channel
        update.sent_by = actor
        update.summary = summary
        save_versioned(update, expected_version=expected_version, fields=fields)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=update,
            case_id=case.pk,
            fields=fields,
            detail={"version": update.version},
        )
        # Any update given starts the victim's next regular period.
        regular_update_sync(participant=update.participant, actor=actor, request=request)
    return update

"""Writes to a case's legal actions: the criminal-justice record (police only), the orders
register (the case team) and the investigation checklist (police only). Each is one transaction
with its audit row inside; the events the Victims' Code obliges the unit to pass on go to
`hooks.vcop_event_recorded` in the same transaction.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.decorators import require_case_action
from masip.access.policy import Action, Compartment
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case
from masip.interventions import hooks
from masip.interventions.models_legal import (
    BailAuthority,
    ChargeDecision,
    ChecklistTick,
    ChecklistVersion,
    CourtDate,
    JusticeRecord,
    Offence,
    Order,
    OrderKind,
    OrderStatus,
)

CHECKLIST_FILE = Path(__file__).resolve().parent / "data" / "checklist.yaml"
# Pre-charge bail (Police, Crime, Sentencing and Courts Act 2022): months from the bail start
# each authority may extend it to; beyond nine months only a court may.
BAIL_MONTHS = {BailAuthority.NONE: 3, BailAuthority.INSPECTOR: 6, BailAuthority.SUPERINTENDENT: 9}
SPO_MINIMUM_YEARS = 2
NOTIFY_DAYS = 3  # SPO and DAPO subjects notify the police of their name and address within 3 days
DAPN_HOURS = 48
TEXT_MAX_LENGTH = 5_000
ORDER_RECORDED = "order_recorded"  # the reason the order-expiry rule ran, in its audit rows


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- the criminal-justice record ---------------------------------------------------------------


def justice_record_for_update(*, actor: Any, case: Case) -> JusticeRecord:
    """The case's record, locked for writing (made on first use). The actor must be allowed to
    change the police compartment of the case (else PermissionDenied)."""
    require_case_action(actor, case.unit_id, Compartment.POLICE, Action.CHANGE)
    record, _ = JusticeRecord.unscoped.select_for_update().get_or_create(case=case, defaults={"created_by": actor})
    return record


def _save_record(
    record: JusticeRecord, *, actor: Any, fields: list[str], request: HttpRequest | None, event: str
) -> None:
    record.updated_by = actor
    record.version += 1
    record.save(update_fields=[*fields, "updated_by", "version", "updated_at"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        request=request,
        unit=record.case.unit,
        obj=record,
        case_id=record.case_id,
        fields=fields,
        detail={"event": event},
    )


def _tell_victims(case: Case, kind: str, occurred_at: datetime, actor: Any, request: HttpRequest | None) -> None:
    hooks.vcop_event_recorded(case=case, kind=kind, occurred_at=occurred_at, actor=actor, request=request)


def _at_start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _not_future(day: date, what: str, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: f"The {what} ({_day(day)}) is in the future. Record it once it has happened."})


def justice_offences_set(
    *,
    actor: Any,
    case: Case,
    considered: list[str],
    charged: list[str],
    other: str = "",
    request: HttpRequest | None = None,
) -> JusticeRecord:
    """Record the offences considered and charged. "Other" needs its wording."""
    if (set(considered) | set(charged)) - set(Offence.values):
        raise ValidationError({"considered": "Choose offences from the list."})
    other = other.strip()
    if Offence.OTHER in (set(considered) | set(charged)) and not other:
        raise ValidationError({"other_offence": "Say which other offence, or untick “Other offence”."})
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        record.offences_considered, record.offences_charged, record.other_offence = considered, charged, other
        _save_record(
            record,
            actor=actor,
            fields=["offences_considered", "offences_charged", "other_offence"],
            request=request,
            event="offences",
        )
    return record


def justice_arrest_record(
    *, actor: Any, case: Case, arrested_at: datetime, request: HttpRequest | None = None
) -> JusticeRecord:
    """Record the suspect's arrest, and tell the Victims' Code clock (`arrest`)."""
    if arrested_at > timezone.now():
        raise ValidationError({"occurred_at": "The arrest time is in the future. Record it once it has happened."})
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        record.arrested_at = arrested_at
        _save_record(record, actor=actor, fields=["arrested_at"], request=request, event="arrest")
        _tell_victims(case, "arrest", arrested_at, actor, request)
    return record


def bail_limit(started_on: date, authority: str) -> date | None:
    """The furthest day pre-charge bail may run to on `authority` (None: a court sets it)."""
    months = BAIL_MONTHS.get(BailAuthority(authority))
    return None if months is None else add_months(started_on, months)


def justice_bail_start(
    *, actor: Any, case: Case, started_on: date, conditions: str, request: HttpRequest | None = None
) -> JusticeRecord:
    """Record a release on pre-charge bail with its conditions; the limit is three months from
    the start. Tells the Victims' Code clock (`released_on_bail`)."""
    _not_future(started_on, "day bail started", "occurred_on")
    if len(conditions) > TEXT_MAX_LENGTH:
        raise ValidationError({"conditions": f"The conditions can be at most {TEXT_MAX_LENGTH:,} characters."})
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        record.bail_started_on = started_on
        record.bail_conditions = conditions.strip()
        record.bail_until = bail_limit(started_on, BailAuthority.NONE)
        record.bail_authority, record.bail_authorised_by = BailAuthority.NONE, ""
        record.released_under_investigation_on = None
        fields = [
            "bail_started_on",
            "bail_conditions",
            "bail_until",
            "bail_authority",
            "bail_authorised_by",
            "released_under_investigation_on",
        ]
        _save_record(record, actor=actor, fields=fields, request=request, event="released_on_bail")
        _tell_victims(case, "released_on_bail", _at_start_of(started_on), actor, request)
    return record


def justice_bail_extend(
    *,
    actor: Any,
    case: Case,
    until: date,
    authority: str,
    authorised_by: str = "",
    request: HttpRequest | None = None,
) -> JusticeRecord:
    """Extend pre-charge bail to `until`. Refused (ValidationError) when there is no bail, when
    `until` is not later than the current limit, or when it goes beyond what `authority` may
    allow: 3 months from the start without one, 6 on an inspector's, 9 on a superintendent's,
    further only on a court's. Who authorised it is required with an authority."""
    if authority not in BailAuthority.values:
        raise ValidationError({"authority": "Choose who authorised the extension."})
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        if record.bail_started_on is None or record.bail_until is None:
            raise ValidationError({"until": "Record the release on bail first; there is no bail to extend."})
        if until <= record.bail_until:
            raise ValidationError(
                {"until": f"Bail already runs to {_day(record.bail_until)}. Give a later day to extend it."}
            )
        limit = bail_limit(record.bail_started_on, authority)
        if limit is not None and until > limit:
            six = bail_limit(record.bail_started_on, BailAuthority.INSPECTOR)
            nine = bail_limit(record.bail_started_on, BailAuthority.SUPERINTENDENT)
            if six is not None and until <= six:
                needed = "an inspector"
            elif nine is not None and until <= nine:
                needed = "a superintendent"
            else:
                needed = "a magistrates' court"
            raise ValidationError(
                {
                    "authority": (
                        f"Bail started on {_day(record.bail_started_on)}: extending it to {_day(until)} needs the "
                        f"authority of {needed}. Record who authorised it, "
                        f"or extend it no further than {_day(limit)}."
                    )
                }
            )
        if authority != BailAuthority.NONE and not authorised_by.strip():
            raise ValidationError({"authorised_by": "Say who authorised the extension (name, rank or court)."})
        record.bail_until, record.bail_authority = until, authority
        record.bail_authorised_by = authorised_by.strip()
        _save_record(
            record,
            actor=actor,
            fields=["bail_until", "bail_authority", "bail_authorised_by"],
            request=request,
            event="bail_extended",
        )
    return record


def justice_bail_conditions_change(
    *, actor: Any, case: Case, conditions: str, changed_on: date, request: HttpRequest | None = None
) -> JusticeRecord:
    """Change the bail conditions; tells the Victims' Code clock (`bail_conditions_changed`)."""
    _not_future(changed_on, "day the conditions changed", "occurred_on")
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        if record.bail_started_on is None:
            raise ValidationError(
                {"conditions": "Record the release on bail first; there are no conditions to change."}
            )
        record.bail_conditions = conditions.strip()
        _save_record(record, actor=actor, fields=["bail_conditions"], request=request, event="bail_conditions_changed")
        _tell_victims(case, "bail_conditions_changed", _at_start_of(changed_on), actor, request)
    return record


def justice_rui_record(
    *, actor: Any, case: Case, released_on: date, request: HttpRequest | None = None
) -> JusticeRecord:
    """Record a release under investigation (bail, if any, ends); tells the Victims' Code clock."""
    _not_future(released_on, "day of release", "occurred_on")
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        record.released_under_investigation_on = released_on
        record.bail_until = None
        _save_record(
            record,
            actor=actor,
            fields=["released_under_investigation_on", "bail_until"],
            request=request,
            event="released_under_investigation",
        )
        _tell_victims(case, "released_under_investigation", _at_start_of(released_on), actor, request)
    return record


def justice_charge_decide(
    *, actor: Any, case: Case, decision: str, decided_on: date, request: HttpRequest | None = None
) -> JusticeRecord:
    """Record the charging decision; a charge or no further action tells the Victims' Code clock."""
    if decision not in ChargeDecision.values:
        raise ValidationError({"decision": "Choose the charging decision."})
    _not_future(decided_on, "day of the decision", "occurred_on")
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        record.charge_decision, record.charge_decided_on = decision, decided_on
        _save_record(
            record, actor=actor, fields=["charge_decision", "charge_decided_on"], request=request, event="charge"
        )
        kind = {ChargeDecision.CHARGED: "charged", ChargeDecision.NFA: "no_further_action"}.get(
            ChargeDecision(decision)
        )
        if kind:
            _tell_victims(case, kind, _at_start_of(decided_on), actor, request)
    return record


def justice_court_date_add(
    *, actor: Any, case: Case, occurs_at: datetime, hearing: str, request: HttpRequest | None = None
) -> CourtDate:
    """Add a court date; tells the Victims' Code clock (`court_date_set`, as of now)."""
    hearing = hearing.strip()
    if not hearing or len(hearing) > 200:
        raise ValidationError({"hearing": "Say what the hearing is (at most 200 characters), e.g. trial."})
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        court = CourtDate.unscoped.create(record=record, occurs_at=occurs_at, hearing=hearing, created_by=actor)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=court,
            case_id=case.pk,
            fields=["occurs_at", "hearing"],
        )
        _tell_victims(case, "court_date_set", timezone.now(), actor, request)
    return court


def justice_outcome_record(
    *, actor: Any, case: Case, outcome: str, request: HttpRequest | None = None
) -> JusticeRecord:
    """Record the outcome (verdict, sentence) in words."""
    if len(outcome) > TEXT_MAX_LENGTH:
        raise ValidationError({"outcome": f"The outcome can be at most {TEXT_MAX_LENGTH:,} characters."})
    with transaction.atomic():
        record = justice_record_for_update(actor=actor, case=case)
        record.outcome = outcome.strip()
        _save_record(record, actor=actor, fields=["outcome"], request=request, event="outcome")
    return record


# --- the orders register -----------------------------------------------------------------------


@dataclass(frozen=True)
class OrderDraft:
    kind: str
    status: str
    starts_on: date
    ends_on: date | None = None
    until_further_order: bool = False
    conditions: str = ""
    positive_requirements: str = ""
    notified_on: date | None = None


def order_check(draft: OrderDraft) -> dict[str, Any]:
    """The draft's values, or ValidationError by field saying what to change."""
    errors: dict[str, str] = {}
    if draft.kind not in OrderKind.values:
        errors["kind"] = "Choose the kind of order."
    if draft.status not in OrderStatus.values:
        errors["status"] = "Choose the order's status."
    ends_on = None if draft.until_further_order else draft.ends_on
    if ends_on is not None and ends_on < draft.starts_on:
        errors["ends_on"] = (
            f"The order cannot end ({_day(ends_on)}) before it starts ({_day(draft.starts_on)}). Check both dates."
        )
    elif draft.kind == OrderKind.SPO and not draft.until_further_order:
        minimum = add_months(draft.starts_on, 12 * SPO_MINIMUM_YEARS)
        if ends_on is None or ends_on < minimum:
            errors["ends_on"] = (
                "A Stalking Protection Order lasts at least two years or until further order: "
                f"give an end on or after {_day(minimum)}, or tick “Until further order”."
            )
    elif draft.kind == OrderKind.DAPN and ends_on is not None and ends_on > draft.starts_on + timedelta(days=2):
        errors["ends_on"] = "A Domestic Abuse Protection Notice lasts 48 hours: it ends at most 2 days after it starts."
    elif ends_on is None and not draft.until_further_order and draft.kind != OrderKind.INTERIM_SPO:
        errors["ends_on"] = "Give the day the order ends, or tick “Until further order”."
    if draft.positive_requirements and draft.kind not in (OrderKind.SPO, OrderKind.INTERIM_SPO):
        errors["positive_requirements"] = "Only a Stalking Protection Order carries positive requirements."
    for name in ("conditions", "positive_requirements"):
        if len(getattr(draft, name)) > TEXT_MAX_LENGTH:
            errors[name] = f"This can be at most {TEXT_MAX_LENGTH:,} characters."
    if draft.notified_on is not None and draft.notified_on < draft.starts_on:
        errors["notified_on"] = "The subject cannot have notified the police before the order started."
    if errors:
        raise ValidationError(errors)
    notify_by = None
    if draft.kind in (OrderKind.SPO, OrderKind.INTERIM_SPO, OrderKind.DAPO):
        notify_by = draft.starts_on + timedelta(days=NOTIFY_DAYS)
    return {
        "kind": draft.kind,
        "status": draft.status,
        "starts_on": draft.starts_on,
        "ends_on": ends_on,
        "until_further_order": draft.until_further_order,
        "conditions": draft.conditions.strip(),
        "positive_requirements": draft.positive_requirements.strip(),
        "notify_by": notify_by,
        "notified_on": draft.notified_on,
    }


def _order_decided(order: Order, before: str | None, actor: Any, request: HttpRequest | None) -> None:
    granted = (OrderStatus.GRANTED, OrderStatus.IN_FORCE)
    if order.status in granted and before not in granted:
        _tell_victims(order.case, "order_granted", timezone.now(), actor, request)
    elif order.status == OrderStatus.REFUSED and before != OrderStatus.REFUSED:
        _tell_victims(order.case, "order_refused", timezone.now(), actor, request)


def _expiry_reminders(order: Order, actor: Any, request: HttpRequest | None) -> None:
    """The order's expiry reminders as the daily rules run would make them, made now, so an
    order recorded late (its 90- or 30-day mark already behind it) is not left without one until
    the next run: the work app's rule makes one reminder only, at the nearest threshold reached
    (due today), or none before the 90-day mark (see work_rules_order_expiry_reminders)."""
    from masip.cases.models import CaseStatus
    from masip.work.services import work_rules_order_expiry_reminders

    if order.is_active and order.ends_on is not None and order.case.status != CaseStatus.CLOSED:
        work_rules_order_expiry_reminders(case=order.case, actor=actor, reason=ORDER_RECORDED, request=request)


def order_create(*, actor: Any, case: Case, draft: OrderDraft, request: HttpRequest | None = None) -> Order:
    """Add an order to the case's register. Refused (ValidationError by field) when it ends
    before it starts, an SPO is shorter than two years and not until further order, and so on.
    An order recorded as granted or in force tells the Victims' Code clock (`order_granted`);
    refused, `order_refused`; granted or in force with an end date, its expiry reminder is made
    at once when a threshold is already reached."""
    require_case_action(actor, case.unit_id, Compartment.TEAM, Action.CREATE)
    values = order_check(draft)
    with transaction.atomic():
        order = Order.unscoped.create(case=case, created_by=actor, updated_by=actor, **values)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=order,
            case_id=case.pk,
            fields=sorted(name for name, value in values.items() if value not in (None, "", False)),
        )
        _order_decided(order, None, actor, request)
        _expiry_reminders(order, actor, request)
    return order


def order_update(
    *, actor: Any, order: Order, expected_version: int, draft: OrderDraft, request: HttpRequest | None = None
) -> Order:
    """Change an order (its status, dates, conditions, notification). Refused as `order_create`
    is; a stale edit raises StaleEditError and writes nothing."""
    from masip.core.models import save_versioned

    require_case_action(actor, order.case.unit_id, Compartment.TEAM, Action.CHANGE)
    values = order_check(draft)
    with transaction.atomic():
        before = {name: getattr(order, name) for name in values}
        changed = sorted(name for name, value in values.items() if before[name] != value)
        if not changed:
            return order
        for name, value in values.items():
            setattr(order, name, value)
        order.updated_by = actor
        save_versioned(order, expected_version=expected_version, fields=[*values, "updated_by"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=order.case.unit,
            obj=order,
            case_id=order.case_id,
            fields=changed,
        )
        _order_decided(order, before["status"], actor, request)
        _expiry_reminders(order, actor, request)
    return order


BREACH_BEHAVIOURS = ("breach_order", "breach_bail")


def order_breach_record(
    *,
    actor: Any,
    order: Order,
    occurred_on: date,
    behaviour: str = "breach_order",
    description: str = "",
    reported_by: str = "police",
    request: HttpRequest | None = None,
) -> Any:
    """Record a breach of `order`: a timeline entry (behaviour breach_order or breach_bail) on
    that day, linked to the order, in the case team's compartment; the red-flag engine runs in
    the same transaction (the "breach" rule raises an alert naming the order). Refused when the
    day is outside the order's life (before its start or after its end)."""
    from masip.timeline.services import EntryDraft, timeline_entry_create

    if behaviour not in BREACH_BEHAVIOURS:
        raise ValidationError({"behaviour": "Choose a breach of an order or a breach of bail."})
    if occurred_on < order.starts_on or (order.ends_on is not None and occurred_on > order.ends_on):
        life = f"from {_day(order.starts_on)}" + (f" to {_day(order.ends_on)}" if order.ends_on else "")
        raise ValidationError(
            {
                "occurred_on": f"The order was in force {life}: a breach on {_day(occurred_on)} is outside it. "
                "Check the date."
            }
        )
    draft = EntryDraft(
        occurred_on=occurred_on, behaviour_codes=[behaviour], reported_by=reported_by, description=description
    )
    return timeline_entry_create(
        actor=actor, case=order.case, compartment=Compartment.TEAM, draft=draft, order=order, request=request
    )


# --- the investigation checklist ---------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str


def checklist_parse(text: str) -> tuple[str, list[ChecklistItem]]:
    """A checklist file's version and items, or ValidationError saying what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValidationError(f"The file is not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not data.get("version"):
        raise ValidationError("The file needs a `version` and a list of `items`, each with a `key` and a `text`.")
    items: list[ChecklistItem] = []
    for number, item in enumerate(data["items"], start=1):
        if (
            not isinstance(item, dict)
            or not str(item.get("key") or "").strip()
            or not str(item.get("text") or "").strip()
        ):
            raise ValidationError(f"Item {number} needs a `key` and a `text`.")
        key = str(item["key"]).strip()
        if len(key) > 64 or key in {i.key for i in items}:
            raise ValidationError(f"Item {number}: the key “{key[:64]}” is repeated or longer than 64 characters.")
        items.append(ChecklistItem(key, str(item["text"]).strip()))
    if not items:
        raise ValidationError("The checklist has no items.")
    return str(data["version"]), items


@functools.cache
def _shipped_checklist() -> tuple[str, tuple[ChecklistItem, ...]]:
    version, items = checklist_parse(CHECKLIST_FILE.read_text(encoding="utf-8"))
    return version, tuple(items)


def checklist_default() -> tuple[str, list[ChecklistItem]]:
    """masip's own checklist, as shipped (read once per process: the file changes only with masip)."""
    version, items = _shipped_checklist()
    return version, list(items)


def checklist_load(*, unit: Any, text: str, actor: Any = None) -> ChecklistVersion:
    """Load a unit's own checklist (a new version: the latest loaded is the one in force).
    Refused when the file is malformed or its version was loaded before."""
    version, items = checklist_parse(text)
    with transaction.atomic():
        if ChecklistVersion.objects.filter(unit=unit, version=version).exists():
            raise ValidationError(
                f"Version {version} of this unit's checklist is loaded already: give the file a new version."
            )
        loaded = ChecklistVersion.objects.create(
            unit=unit,
            version=version,
            items=[{"key": i.key, "text": i.text} for i in items],
            source_sha256=hashlib.sha256(text.encode()).hexdigest(),
        )
        audit_record(action=AuditAction.CREATE, actor=actor, unit=unit, obj=loaded, fields=["version", "items"])
    return loaded


def checklist_for(*, unit_id: int) -> tuple[str, list[ChecklistItem]]:
    """The checklist in force for a unit: its latest own version, else masip's."""
    own = ChecklistVersion.objects.filter(unit_id=unit_id).order_by("-created_at", "-pk").first()
    if own is None:
        return checklist_default()
    return f"{own.version} (unit)", [ChecklistItem(i["key"], i["text"]) for i in own.items]


def checklist_tick(
    *, actor: Any, case: Case, item_key: str, done: bool, request: HttpRequest | None = None
) -> ChecklistTick:
    """Tick (or untick) one item of the checklist in force on the case, keeping who and when.
    Police compartment; audited with the item and the new state."""
    require_case_action(actor, case.unit_id, Compartment.POLICE, Action.CHANGE)
    _version, items = checklist_for(unit_id=case.unit_id)
    if item_key not in {i.key for i in items}:
        raise ValidationError("That item is not on this unit's checklist any more. Reload the page.")
    with transaction.atomic():
        tick, created = ChecklistTick.unscoped.select_for_update().get_or_create(
            case=case,
            item_key=item_key,
            defaults={"done": done, "changed_by": actor, "changed_at": timezone.now(), "created_by": actor},
        )
        if not created:
            if tick.done == done:
                return tick
            tick.done, tick.changed_by, tick.changed_at = done, actor, timezone.now()
            tick.version += 1
            tick.save(update_fields=["done", "changed_by", "changed_at", "version", "updated_at"])
        audit_record(
            action=AuditAction.CREATE if created else AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=tick,
            case_id=case.pk,
            fields=["done"],
            detail={"item": item_key, "done": done},
        )
    return tick

"""Reads of a case's legal actions, scoped with visible_to (case and compartment); every page
read of case data is audited here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_record
from masip.cases.models import Case
from masip.interventions.models_legal import ChecklistTick, CourtDate, JusticeRecord, Order
from masip.interventions.services_legal import ChecklistItem, checklist_for


def justice_record_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> JusticeRecord | None:
    """The case's criminal-justice record if there is one and the user may see the police
    compartment; reading it is audited."""
    record = JusticeRecord.objects.visible_to(user, Action.VIEW).filter(case=case).first()
    if record is not None:
        audit_record(
            action=AuditAction.VIEW,
            actor=user,
            request=request,
            unit=case.unit,
            obj=record,
            case_id=case.pk,
            fields=["offences", "arrest", "bail", "charge", "outcome"],
        )
    return record


def court_dates_for(*, user: Any, record: JusticeRecord) -> list[CourtDate]:
    return list(CourtDate.objects.visible_to(user, Action.VIEW).filter(record=record))


def orders_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> list[Order]:
    """The case's orders the user may see, oldest first; listing them is audited."""
    orders = list(Order.objects.visible_to(user, Action.VIEW).filter(case=case))
    audit_listing(
        actor=user,
        object_type=Order._meta.label_lower,
        ids=(order.pk for order in orders),
        unit=case.unit,
        case_id=case.pk,
        fields=["kind", "status", "starts_on", "ends_on"],
        request=request,
    )
    return orders


def order_get_for(*, user: Any, case: Case, order_id: Any, request: HttpRequest | None = None) -> Order:
    """One order of `case` the user may view; anything else: the same audited 404."""
    orders = Order.objects.visible_to(user, Action.VIEW).filter(case=case).select_related("case__unit")
    return get_visible_or_404(orders, order_id, user=user, request=request)


def order_breaches_for(*, user: Any, order: Order) -> list[Any]:
    """The timeline entries recording breaches of the order that the user may see."""
    from masip.timeline.models import TimelineEntry

    return list(TimelineEntry.objects.visible_to(user, Action.VIEW).filter(order=order).order_by("occurred_on"))


def may_change_police(*, user: Any, case: Case) -> bool:
    return principal_for(user).may(case.unit_id, Compartment.POLICE, Action.CHANGE)


def may_change_orders(*, user: Any, case: Case) -> bool:
    return principal_for(user).may(case.unit_id, Compartment.TEAM, Action.CHANGE)


@dataclass(frozen=True)
class ChecklistRow:
    item: ChecklistItem
    done: bool
    changed_by: Any
    changed_at: datetime | None


def checklist_rows_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> tuple[str, list[ChecklistRow]]:
    """The checklist in force for the case's unit, each item with its state on the case."""
    version, items = checklist_for(unit_id=case.unit_id)
    ticks = {
        tick.item_key: tick
        for tick in ChecklistTick.objects.visible_to(user, Action.VIEW).filter(case=case).select_related("changed_by")
    }
    audit_listing(
        actor=user,
        object_type=ChecklistTick._meta.label_lower,
        ids=(tick.pk for tick in ticks.values()),
        unit=case.unit,
        case_id=case.pk,
        fields=["item_key", "done", "changed_by", "changed_at"],
        request=request,
    )
    rows = []
    for item in items:
        tick = ticks.get(item.key)
        rows.append(
            ChecklistRow(
                item,
                bool(tick and tick.done),
                tick.changed_by if tick else None,
                tick.changed_at if tick else None,
            )
        )
    return version, rows

"""Reads of a case's legal actions, scoped with visible_to (case and compartment); every page
read of case data is audited here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_listings_by_unit, audit_record
from masip.cases.models import Case, CaseStatus
from masip.interventions.models_legal import (
    ACTIVE_ORDER_STATUSES,
    ChecklistTick,
    CourtDate,
    JusticeRecord,
    Order,
    OrderKind,
    OrderStatus,
)
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


# --- the unit's orders ending soon ------------------------------------------------------------

ENDING_WITHIN_DAYS = 90  # the orders ending within this many days are listed...
ENDED_WITHIN_DAYS = 14  # ...and those ended this many days ago or less, when nothing replaced them

# The orders that carry on the protection of an order of each kind when it ends.
RENEWED_BY: dict[str, set[str]] = {
    OrderKind.RESTRAINING_CONVICTION: {OrderKind.RESTRAINING_CONVICTION, OrderKind.RESTRAINING_ACQUITTAL},
    OrderKind.RESTRAINING_ACQUITTAL: {OrderKind.RESTRAINING_CONVICTION, OrderKind.RESTRAINING_ACQUITTAL},
    OrderKind.SPO: {OrderKind.SPO},
    OrderKind.INTERIM_SPO: {OrderKind.SPO, OrderKind.INTERIM_SPO},
    OrderKind.DAPN: {OrderKind.DAPO},
    OrderKind.DAPO: {OrderKind.DAPO},
    OrderKind.BAIL_CONDITIONS: {OrderKind.BAIL_CONDITIONS},
}


@dataclass(frozen=True)
class EndingOrder:
    """One row of the unit's orders ending soon: the order (with its case), how many days are
    left (negative: ended that many days ago) and whether another order carries it on."""

    order: Order
    days_left: int
    renewed: bool

    @property
    def ended(self) -> bool:
        return self.days_left < 0

    @property
    def days_ago(self) -> int:
        return -self.days_left


def _renews(later: Order, order: Order, ends_on: date) -> bool:
    """Whether `later` carries on the protection of `order` (ending on `ends_on`)."""
    return (
        later.pk != order.pk
        and later.case_id == order.case_id
        and later.kind in RENEWED_BY.get(order.kind, set())
        and later.starts_on >= order.starts_on
        and (later.until_further_order or later.ends_on is None or later.ends_on > ends_on)
    )


def unit_orders_ending_for(
    *, user: Any, today: date | None = None, request: HttpRequest | None = None
) -> list[EndingOrder]:
    """The orders the user may read on the open cases of the units whose caseload they oversee
    that are granted or in force and end within the next 90 days, and those that ended in the
    last 14 days (still recorded as granted or in force, or as expired) with no order granted or
    in force carrying them on; soonest end first. Two queries (the orders, and the orders that
    may renew them); the listing is audited per unit."""
    today = today or timezone.localdate()
    units = principal_for(user).units_with(Capability.OVERSEE_UNIT_CASELOAD)
    visible = (
        Order.objects.visible_to(user, Action.VIEW)
        .filter(case__unit_id__in=units)
        .exclude(case__status=CaseStatus.CLOSED)
    )
    ending = list(
        visible.filter(
            Q(status__in=ACTIVE_ORDER_STATUSES) | Q(status=OrderStatus.EXPIRED, ends_on__lt=today),
            ends_on__gte=today - timedelta(days=ENDED_WITHIN_DAYS),
            ends_on__lte=today + timedelta(days=ENDING_WITHIN_DAYS),
        )
        .select_related("case__unit")
        .defer("case__summary", "case__closure_details", "conditions", "positive_requirements")
        .order_by("ends_on", "case__reference", "pk")
    )
    successors: dict[Any, list[Order]] = {}
    if ending:
        for later in visible.filter(case_id__in={o.case_id for o in ending}, status__in=ACTIVE_ORDER_STATUSES).only(
            "id", "case_id", "kind", "starts_on", "ends_on", "until_further_order"
        ):
            successors.setdefault(later.case_id, []).append(later)
    rows = []
    for order in ending:
        ends_on = order.ends_on
        if ends_on is None:  # the query keeps only orders with an end
            continue
        renewed = any(_renews(later, order, ends_on) for later in successors.get(order.case_id, []))
        days_left = (ends_on - today).days
        if days_left < 0 and renewed:
            continue
        rows.append(EndingOrder(order=order, days_left=days_left, renewed=renewed))
    audit_listings_by_unit(
        actor=user,
        object_type=Order._meta.label_lower,
        rows=((row.order.case.unit, row.order.pk) for row in rows),
        request=request,
    )
    return rows

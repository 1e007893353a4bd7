"""The unit page of orders ending soon: what it lists, in which order, marked how, for whom; its
audit, its query budget and its links to and from the overdue Victims' Code updates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import CaseStatus
from masip.interventions.models_legal import Order, OrderKind, OrderStatus
from masip.interventions.selectors_legal import unit_orders_ending_for
from tests.conftest import verified_client
from tests.factories import CaseFactory, TeamMemberFactory, UnitFactory, member

pytestmark = pytest.mark.django_db


def _order(
    case: Any, *, ends_in: int, kind: str = OrderKind.SPO, status: str = OrderStatus.IN_FORCE, **more: Any
) -> Order:
    today = timezone.localdate()
    values = {"starts_on": today - timedelta(days=700), "conditions": "Not to contact the victim.", **more}
    return Order.unscoped.create(case=case, kind=kind, status=status, ends_on=today + timedelta(days=ends_in), **values)


class Unit:
    def __init__(self) -> None:
        self.unit = UnitFactory()
        self.case = CaseFactory(unit=self.unit, reference="NSU-2026-0001")
        self.other_case = CaseFactory(unit=self.unit, reference="NSU-2026-0002")
        self.manager = member(Role.UNIT_MANAGER, unit=self.unit)
        self.advocate = member(Role.STALKING_ADVOCATE, unit=self.unit)
        TeamMemberFactory(case=self.case, user=self.advocate)


@pytest.fixture
def world() -> Unit:
    return Unit()


def test_orders_ending_within_90_days_soonest_first_and_the_recently_ended_unrenewed_marked(world: Unit):
    today = timezone.localdate()
    later = _order(world.case, ends_in=60)
    soon = _order(world.other_case, ends_in=10, kind=OrderKind.RESTRAINING_CONVICTION, status=OrderStatus.GRANTED)
    ended = _order(world.other_case, ends_in=-5, kind=OrderKind.DAPO, status=OrderStatus.EXPIRED)
    # Not listed: beyond 90 days, discharged, ended too long ago, ended but renewed, on a closed case.
    _order(world.case, ends_in=91)
    _order(world.case, ends_in=20, status=OrderStatus.DISCHARGED)
    _order(world.case, ends_in=-15)
    renewed = _order(world.case, ends_in=-3, kind=OrderKind.INTERIM_SPO)
    _order(world.case, ends_in=730, kind=OrderKind.SPO, starts_on=today - timedelta(days=3))
    closed = CaseFactory(unit=world.unit, status=CaseStatus.CLOSED)
    _order(closed, ends_in=5)
    # Another unit's order is not the manager's business.
    _order(CaseFactory(), ends_in=5)

    rows = unit_orders_ending_for(user=world.manager, today=today)

    assert [row.order for row in rows] == [ended, soon, later]
    assert [row.days_left for row in rows] == [-5, 10, 60]
    assert [row.ended for row in rows] == [True, False, False]
    assert renewed not in [row.order for row in rows]


def test_an_order_whose_renewal_is_recorded_says_so(world: Unit):
    ending = _order(world.case, ends_in=30, kind=OrderKind.RESTRAINING_CONVICTION)
    _order(world.case, ends_in=400, kind=OrderKind.RESTRAINING_CONVICTION, starts_on=timezone.localdate())
    [row] = unit_orders_ending_for(user=world.manager)
    assert (row.order, row.renewed) == (ending, True)


def test_a_case_worker_oversees_no_unit_and_is_refused_the_page(world: Unit):
    _order(world.case, ends_in=10)
    assert unit_orders_ending_for(user=world.advocate) == []
    assert verified_client(world.advocate).get(reverse("interventions_unit:orders_expiring")).status_code == 403


def test_the_page_lists_them_audited_within_its_query_budget_and_links_to_the_overdue_updates(
    world: Unit, django_assert_max_num_queries: Any
):
    soon = _order(world.case, ends_in=10)
    ended = _order(world.other_case, ends_in=-2)
    for n in range(5):
        _order(CaseFactory(unit=world.unit, reference=f"NSU-2026-01{n:02d}"), ends_in=20 + n)
    client = verified_client(world.manager)
    url = reverse("interventions_unit:orders_expiring")
    client.get(url)  # warm the session and the principal
    with django_assert_max_num_queries(13):
        response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index(f'id="order-{ended.pk}"') < page.index(f'id="order-{soon.pk}"')
    assert "Ended, not renewed</strong> 2 days ago" in page
    row = page[page.index(f'id="order-{soon.pk}"') :]
    assert "NSU-2026-0001" in row[:600]
    assert "Stalking Protection Order" in row[:600]
    assert f"{soon.ends_on:%a} {soon.ends_on.day} {soon.ends_on:%b %Y}" in row[:600]
    assert ">10</td>" in row[:800]
    assert reverse("interventions:order_detail", kwargs={"case_id": world.case.pk, "order_id": soon.pk}) in page
    assert reverse("interventions_unit:vcop_overdue") in page
    listed = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="interventions.order", actor=world.manager)
    assert str(soon.pk) in listed.last().detail["listed"]
    # The overdue updates page links back.
    overdue = client.get(reverse("interventions_unit:vcop_overdue")).content.decode()
    assert url in overdue
    assert "orders ending soon" in overdue


def test_an_order_ending_today_shows_it(world: Unit):
    _order(world.case, ends_in=0)
    page = verified_client(world.manager).get(reverse("interventions_unit:orders_expiring")).content.decode()
    assert "Ends today" in page


def test_nothing_to_list_says_so(world: Unit):
    page = verified_client(world.manager).get(reverse("interventions_unit:orders_expiring")).content.decode()
    assert "No order ends within 90 days" in page

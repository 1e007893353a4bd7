"""Legal actions: bail limits, the orders register, expiry reminders, breaches, the checklist."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.interventions import services_legal as services
from masip.interventions.models_legal import ChecklistTick, JusticeRecord, Order, OrderKind, OrderStatus
from masip.timeline.models import RedFlagAlert, TimelineEntry
from masip.work.models import Task, TaskKind
from masip.work.services import work_rules_apply, work_rules_order_expiry_reminders
from tests.conftest import verified_client
from tests.factories import CaseFactory, TeamMemberFactory, member

pytestmark = pytest.mark.django_db


class Team:
    """A case with an investigator and an advocate on its team."""

    def __init__(self) -> None:
        self.case = CaseFactory()
        self.investigator = self.on_team(Role.POLICE_INVESTIGATOR)
        self.advocate = self.on_team(Role.STALKING_ADVOCATE)

    def on_team(self, role: Role) -> Any:
        user = member(role, unit=self.case.unit)
        TeamMemberFactory(case=self.case, user=user)
        return user


@pytest.fixture
def team() -> Team:
    return Team()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The calls the legal part makes to the Victims' Code hook (another part's boundary)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("masip.interventions.hooks.vcop_event_recorded", lambda **kwargs: calls.append(kwargs))
    return calls


def _spo(team: Team, *, starts_on: date, ends_on: date | None, **overrides: Any) -> Order:
    draft = services.OrderDraft(
        kind=overrides.pop("kind", OrderKind.SPO),
        status=overrides.pop("status", OrderStatus.IN_FORCE),
        starts_on=starts_on,
        ends_on=ends_on,
        conditions="Not to contact the victim directly or indirectly.",
        **overrides,
    )
    return services.order_create(actor=team.investigator, case=team.case, draft=draft)


# --- criminal justice record --------------------------------------------------------------------


def test_arrest_is_recorded_and_starts_the_victims_code_clock(team: Team, spy: list[dict[str, Any]]):
    when = timezone.now() - timedelta(hours=2)
    services.justice_arrest_record(actor=team.investigator, case=team.case, arrested_at=when)
    assert JusticeRecord.unscoped.get(case=team.case).arrested_at == when
    assert [(c["kind"], c["case"], c["occurred_at"], c["actor"]) for c in spy] == [
        ("arrest", team.case, when, team.investigator)
    ]


def test_an_advocate_cannot_write_the_police_record(team: Team, spy: list[dict[str, Any]]):
    with pytest.raises(PermissionDenied):
        services.justice_arrest_record(actor=team.advocate, case=team.case, arrested_at=timezone.now())
    assert not JusticeRecord.unscoped.exists()
    assert spy == []


def test_bail_runs_three_months_and_tells_the_victims_code_clock(team: Team, spy: list[dict[str, Any]]):
    record = services.justice_bail_start(
        actor=team.investigator, case=team.case, started_on=date(2026, 1, 31), conditions="Not to enter Leigh."
    )
    assert record.bail_until == date(2026, 4, 30)
    assert [c["kind"] for c in spy] == ["released_on_bail"]


def test_bail_extension_beyond_the_limit_without_authority_is_refused(team: Team):
    services.justice_bail_start(actor=team.investigator, case=team.case, started_on=date(2026, 1, 10), conditions="")
    with pytest.raises(ValidationError) as refused:
        services.justice_bail_extend(actor=team.investigator, case=team.case, until=date(2026, 6, 1), authority="")
    message = refused.value.message_dict["authority"][0]
    assert "needs the authority of an inspector" in message
    assert "no further than 10 April 2026" in message
    assert JusticeRecord.unscoped.get(case=team.case).bail_until == date(2026, 4, 10)
    # An inspector may go to six months, not to eight.
    with pytest.raises(ValidationError, match="a superintendent"):
        services.justice_bail_extend(
            actor=team.investigator,
            case=team.case,
            until=date(2026, 9, 1),
            authority="inspector",
            authorised_by="Insp Lee",
        )
    record = services.justice_bail_extend(
        actor=team.investigator,
        case=team.case,
        until=date(2026, 7, 10),
        authority="inspector",
        authorised_by="Insp Lee",
    )
    assert (record.bail_until, record.bail_authority) == (date(2026, 7, 10), "inspector")


def test_charge_nfa_court_and_conditions_each_tell_the_clock(team: Team, spy: list[dict[str, Any]]):
    today = timezone.localdate()
    services.justice_bail_start(actor=team.investigator, case=team.case, started_on=today, conditions="A")
    services.justice_bail_conditions_change(actor=team.investigator, case=team.case, conditions="B", changed_on=today)
    services.justice_rui_record(actor=team.investigator, case=team.case, released_on=today)
    services.justice_charge_decide(actor=team.investigator, case=team.case, decision="charged", decided_on=today)
    services.justice_charge_decide(actor=team.investigator, case=team.case, decision="nfa", decided_on=today)
    services.justice_court_date_add(
        actor=team.investigator,
        case=team.case,
        occurs_at=timezone.now() + timedelta(days=30),
        hearing="First appearance",
    )
    assert [c["kind"] for c in spy] == [
        "released_on_bail",
        "bail_conditions_changed",
        "released_under_investigation",
        "charged",
        "no_further_action",
        "court_date_set",
    ]


# --- orders -------------------------------------------------------------------------------------


def test_an_order_ending_before_it_starts_is_refused(team: Team):
    with pytest.raises(ValidationError) as refused:
        _spo(team, kind=OrderKind.RESTRAINING_CONVICTION, starts_on=date(2026, 5, 1), ends_on=date(2026, 4, 1))
    assert "cannot end (1 April 2026) before it starts (1 May 2026)" in refused.value.message_dict["ends_on"][0]
    assert not Order.unscoped.exists()


def test_an_spo_shorter_than_two_years_is_refused_unless_until_further_order(team: Team):
    with pytest.raises(ValidationError) as refused:
        _spo(team, starts_on=date(2026, 3, 1), ends_on=date(2028, 2, 28))
    assert "at least two years" in refused.value.message_dict["ends_on"][0]
    assert "on or after 1 March 2028" in refused.value.message_dict["ends_on"][0]
    assert not Order.unscoped.exists()
    order = _spo(team, starts_on=date(2026, 3, 1), ends_on=None, until_further_order=True)
    assert order.notify_by == date(2026, 3, 4)


def test_an_order_granted_and_one_refused_tell_the_clock(team: Team, spy: list[dict[str, Any]]):
    _spo(team, starts_on=date(2026, 3, 1), ends_on=date(2028, 3, 1), status=OrderStatus.GRANTED)
    _spo(team, starts_on=date(2026, 3, 1), ends_on=date(2028, 3, 1), status=OrderStatus.REFUSED)
    assert [c["kind"] for c in spy] == ["order_granted", "order_refused"]


def test_an_spo_gets_one_reminder_at_90_30_and_7_days_before_it_ends(team: Team):
    ends = date(2028, 6, 30)
    order = _spo(team, starts_on=date(2026, 6, 30), ends_on=ends)

    def run(day: date) -> list[Task]:
        return work_rules_order_expiry_reminders(case=team.case, actor=None, reason="daily", today=day)

    assert run(ends - timedelta(days=91)) == []
    made = run(ends - timedelta(days=90))
    assert [t.due_date for t in made] == [ends - timedelta(days=90)]
    assert run(ends - timedelta(days=60)) == []  # idempotent
    assert [t.due_date for t in run(ends - timedelta(days=29))] == [ends - timedelta(days=29)]
    assert [t.due_date for t in run(ends - timedelta(days=7))] == [ends - timedelta(days=7)]
    assert run(ends - timedelta(days=3)) == []
    tasks = Task.unscoped.filter(case=team.case, kind=TaskKind.ORDER_EXPIRY).order_by("due_date")
    assert tasks.count() == 3
    assert all(t.title == "Stalking Protection Order ends on 30 June 2028" for t in tasks)
    assert tasks[0].owner == team.investigator
    # An order no longer in force gets no reminder.
    order.status = OrderStatus.DISCHARGED
    order.save()
    Task.unscoped.filter(kind=TaskKind.ORDER_EXPIRY).delete()
    assert run(ends - timedelta(days=7)) == []


def test_the_rules_run_makes_the_reminder_due_now(team: Team):
    today = timezone.localdate()
    _spo(team, starts_on=today - timedelta(days=800), ends_on=today + timedelta(days=20))
    work_rules_apply(case=team.case, reason="daily")
    work_rules_apply(case=team.case, reason="daily")
    reminders = Task.unscoped.filter(case=team.case, kind=TaskKind.ORDER_EXPIRY)
    assert [t.due_date for t in reminders] == [today]  # the 30-day threshold; the 90-day one is superseded


@pytest.mark.parametrize(
    ("days_left", "reminders_at_once"),
    [
        (100, []),  # no threshold reached: the daily run makes the 90-day one when its day comes
        (90, [90]),
        (20, [30]),  # the 90- and 30-day marks are behind it: one reminder, due today, not two
        (5, [7]),  # every mark is behind it: one reminder, due today
        (0, [7]),
    ],
)
def test_an_order_recorded_late_gets_one_reminder_at_once_due_today(
    team: Team, days_left: int, reminders_at_once: list[int]
):
    today = timezone.localdate()
    order = _spo(team, starts_on=today - timedelta(days=800), ends_on=today + timedelta(days=days_left))
    reminders = list(Task.unscoped.filter(case=team.case, kind=TaskKind.ORDER_EXPIRY))
    assert [int(t.rule.split(":")[1]) for t in reminders] == reminders_at_once
    assert all(t.due_date == today for t in reminders)
    if reminders:
        made = AuditEvent.objects.get(object_type="work.task", object_id=str(reminders[0].pk))
        assert (made.actor, made.detail["reason"]) == (team.investigator, services.ORDER_RECORDED)
    # The daily run changes nothing more the same day...
    work_rules_apply(case=team.case, reason="daily")
    assert Task.unscoped.filter(case=team.case, kind=TaskKind.ORDER_EXPIRY).count() == len(reminders)
    # ...and the next threshold still comes on its day (the 7-day one for an order recorded 20 days out).
    if days_left == 20:
        later = work_rules_order_expiry_reminders(
            case=team.case, actor=None, reason="daily", today=order.ends_on - timedelta(days=7)
        )
        assert [t.due_date for t in later] == [order.ends_on - timedelta(days=7)]


def test_an_order_granted_later_gets_its_reminder_when_granted(team: Team):
    today = timezone.localdate()
    order = _spo(team, starts_on=today - timedelta(days=800), ends_on=today + timedelta(days=20), status="applied")
    assert not Task.unscoped.filter(kind=TaskKind.ORDER_EXPIRY).exists()
    draft = services.OrderDraft(
        kind=order.kind,
        status=OrderStatus.GRANTED,
        starts_on=order.starts_on,
        ends_on=order.ends_on,
        conditions=order.conditions,
    )
    services.order_update(actor=team.investigator, order=order, expected_version=order.version, draft=draft)
    [reminder] = Task.unscoped.filter(kind=TaskKind.ORDER_EXPIRY)
    assert reminder.due_date == today


# --- breaches -----------------------------------------------------------------------------------


def test_a_breach_goes_on_the_timeline_linked_to_the_order_and_raises_a_red_flag(team: Team):
    today = timezone.localdate()
    order = _spo(team, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=800))
    client = verified_client(team.advocate)
    url = reverse("interventions:order_breach_add", kwargs={"case_id": team.case.pk, "order_id": order.pk})
    day = today - timedelta(days=2)
    response = client.post(
        url, {"behaviour": "breach_order", "occurred_on": day.strftime("%d/%m/%Y"), "description": "Came to the door."}
    )
    assert response.status_code == 302
    entry = TimelineEntry.unscoped.get(case=team.case)
    assert (entry.order, entry.occurred_on) == (order, day)
    assert [b.code for b in entry.behaviours.all()] == ["breach_order"]
    alert = RedFlagAlert.unscoped.get(case=team.case, rule_key="breach")
    assert f"(the order breached: Stalking Protection Order, from {order.starts_on.day} " in alert.explanation
    page = client.get(reverse("interventions:order_detail", kwargs={"case_id": team.case.pk, "order_id": order.pk}))
    assert f"Breach on {day.day} " in page.content.decode()


def test_a_breach_outside_the_orders_life_is_refused(team: Team):
    order = _spo(team, starts_on=date(2026, 1, 1), ends_on=date(2028, 1, 1))
    with pytest.raises(ValidationError) as refused:
        services.order_breach_record(actor=team.advocate, order=order, occurred_on=date(2025, 12, 31))
    assert "outside it" in refused.value.message_dict["occurred_on"][0]
    client = verified_client(team.advocate)
    url = reverse("interventions:order_breach_add", kwargs={"case_id": team.case.pk, "order_id": order.pk})
    response = client.post(url, {"behaviour": "breach_order", "occurred_on": "31/12/2025"})
    assert response.status_code == 400
    assert "in force from 1 January 2026 to 1 January 2028" in response.content.decode()
    assert not TimelineEntry.unscoped.exists()
    assert not RedFlagAlert.unscoped.exists()


def test_order_form_shows_the_two_year_rule(team: Team):
    client = verified_client(team.advocate)
    url = reverse("interventions:order_add", kwargs={"case_id": team.case.pk})
    response = client.post(
        url, {"kind": "spo", "status": "in_force", "starts_on": "01/03/2026", "ends_on": "01/03/2027"}
    )
    assert response.status_code == 200
    assert "at least two years" in response.content.decode()
    assert not Order.unscoped.exists()


# --- checklist ----------------------------------------------------------------------------------


def _tick_events(case: Any) -> list[tuple[str, Any, dict[str, Any]]]:
    return [
        (e.action, e.actor_id, e.detail)
        for e in AuditEvent.objects.filter(object_type="interventions.checklisttick", case_id=case.pk).order_by("seq")
        if e.action != AuditAction.VIEW
    ]


def test_checklist_ticks_and_unticks_are_kept_with_who_and_when_and_audited(team: Team):
    client = verified_client(team.investigator)
    url = reverse("interventions:checklist_tick", kwargs={"case_id": team.case.pk})
    assert client.post(url, {"item": "no-pin", "done": "1"}).status_code == 302
    assert client.post(url, {"item": "no-pin", "done": "0"}).status_code == 302
    tick = ChecklistTick.unscoped.get(case=team.case, item_key="no-pin")
    assert (tick.done, tick.changed_by) == (False, team.investigator)
    assert _tick_events(team.case) == [
        (AuditAction.CREATE, team.investigator.pk, {"item": "no-pin", "done": True}),
        (AuditAction.CHANGE, team.investigator.pk, {"item": "no-pin", "done": False}),
    ]
    page = client.get(reverse("interventions:checklist_page", kwargs={"case_id": team.case.pk})).content.decode()
    assert "Police Information Notice" in page


def test_the_checklist_is_police_only(team: Team):
    client = verified_client(team.advocate)
    url = reverse("interventions:checklist_tick", kwargs={"case_id": team.case.pk})
    assert client.post(url, {"item": "no-pin", "done": "1"}).status_code in (403, 404)
    assert client.get(reverse("interventions:checklist_page", kwargs={"case_id": team.case.pk})).status_code in (
        403,
        404,
    )
    assert not ChecklistTick.unscoped.exists()


def test_a_unit_loads_its_own_checklist_version(team: Team, tmp_path: Path):
    own = tmp_path / "checklist.yaml"
    own.write_text('version: "u1"\nitems:\n  - key: spoc\n    text: Our SPOC, DS Khan, was told.\n', encoding="utf-8")
    call_command("load_checklist", str(own), "--unit", team.case.unit.code)
    version, items = services.checklist_for(unit_id=team.case.unit_id)
    assert (version, [i.key for i in items]) == ("u1 (unit)", ["spoc"])
    with pytest.raises(CommandError, match="loaded already"):
        call_command("load_checklist", str(own), "--unit", team.case.unit.code)
    with pytest.raises(ValidationError, match="not on this unit's checklist"):
        services.checklist_tick(actor=team.investigator, case=team.case, item_key="no-pin", done=True)
    other = CaseFactory()
    assert services.checklist_for(unit_id=other.unit_id)[0] == "1.0"


def test_the_legal_record_page_shows_bail_and_offences(team: Team):
    services.justice_bail_start(
        actor=team.investigator, case=team.case, started_on=date(2026, 1, 10), conditions="Not to enter Leigh."
    )
    services.justice_offences_set(
        actor=team.investigator, case=team.case, considered=["s4a", "other"], charged=[], other="Criminal damage"
    )
    page = (
        verified_client(team.investigator)
        .get(reverse("interventions:legal_record", kwargs={"case_id": team.case.pk}))
        .content.decode()
    )
    assert "limit 10 April 2026" in page
    assert "Other: Criminal damage" in page
    assert "Not to enter Leigh." in page
    assert verified_client(team.advocate).get(
        reverse("interventions:legal_record", kwargs={"case_id": team.case.pk})
    ).status_code in (403, 404)


def test_recording_an_event_through_the_page(team: Team, spy: list[dict[str, Any]]):
    client = verified_client(team.investigator)
    url = reverse("interventions:legal_event_add", kwargs={"case_id": team.case.pk})
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        url, {"event": "arrest", "occurred_on": yesterday.strftime("%d/%m/%Y"), "occurred_time": "09:15"}
    )
    assert response.status_code == 302
    arrested = JusticeRecord.unscoped.get(case=team.case).arrested_at
    assert timezone.localtime(arrested).replace(tzinfo=None) == datetime.combine(
        yesterday, datetime.min.time()
    ).replace(hour=9, minute=15)
    assert [c["kind"] for c in spy] == ["arrest"]

"""Timeline entries: the rules an entry is held to (each bad input refused with its message and
nothing stored), compartments, stale edits, the table, the bulk page, and the audit trail."""

from __future__ import annotations

from datetime import date, time, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import ParallelProcess, ProcessKind
from masip.core.models import StaleEditError
from masip.timeline.models import EntrySource, TimelineEntry
from masip.timeline.services import (
    timeline_entries_create,
    timeline_entry_create,
    timeline_entry_update,
)
from tests.conftest import verified_client
from tests.factories import CaseFactory
from tests.timeline.helpers import days_ago, draft, on_team, with_victim

pytestmark = pytest.mark.django_db


def _refused(case, user, message: str, field: str, **overrides) -> None:
    with pytest.raises(ValidationError) as caught:
        timeline_entry_create(actor=user, case=case, compartment=Compartment.TEAM, draft=draft(**overrides))
    assert field in caught.value.message_dict, caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert not TimelineEntry.unscoped.filter(case=case).exists()


@pytest.fixture
def team_case():
    case, user = on_team(Role.OUTREACH_WORKER)
    with_victim(case, date(1990, 5, 1))
    return case, user


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"occurred_on": timezone.localdate() + timedelta(days=1)}, "occurred_on", "is in the future"),
        ({"occurred_on": date(1989, 1, 1)}, "occurred_on", "before the victim's date of birth"),
        ({"occurred_until": days_ago(5)}, "occurred_until", "before it starts"),
        ({"occurred_until": days_ago(1), "occurred_time": time(21, 0)}, "occurred_time", "contradict each other"),
        ({"behaviour_codes": []}, "behaviours", "Choose at least one behaviour"),
        ({"behaviour_codes": ["texting"]}, "behaviours", "does not offer the behaviour “texting”"),
        ({"incidents": 0}, "incidents", "at least 1"),
        ({"incidents": 10_001}, "incidents", "at most 10,000"),
        ({"reported_on": days_ago(4)}, "reported_on", "before it happened"),
        ({"reported_on": timezone.localdate() + timedelta(days=2)}, "reported_on", "is in the future"),
        ({"reported_by": "neighbour"}, "reported_by", "Choose who reported it"),
        ({"order_id": "00000000-0000-0000-0000-000000000000"}, "order_breached", "from this case's orders"),
        ({"evidence_ids": ["00000000-0000-0000-0000-000000000000"]}, "evidence", "from this case's evidence"),
    ],
)
def test_each_bad_input_is_refused_with_its_message_and_nothing_stored(team_case, overrides, field, message):
    case, user = team_case
    _refused(case, user, message, field, **overrides)


def test_another_cases_order_is_refused_and_the_cases_own_accepted(team_case):
    case, user = team_case
    other = ParallelProcess.unscoped.create(
        case=CaseFactory(unit=case.unit), kind=ProcessKind.SPO, lead_agency="Police", started_on=days_ago(30)
    )
    _refused(case, user, "from this case's orders", "order_breached", order_id=other.pk)
    own = ParallelProcess.unscoped.create(
        case=case, kind=ProcessKind.SPO, lead_agency="Police", started_on=days_ago(30)
    )
    entry = timeline_entry_create(
        actor=user,
        case=case,
        compartment=Compartment.TEAM,
        draft=draft(behaviour_codes=["breach_order"], order_id=own.pk),
    )
    assert entry.order_breached == own


def test_an_entry_is_stored_audited_and_the_red_flag_engine_runs_in_its_transaction(team_case):
    case, user = team_case
    with mock.patch("masip.timeline.services.redflags_evaluate_case") as engine:
        entry = timeline_entry_create(
            actor=user,
            case=case,
            compartment=Compartment.TEAM,
            draft=draft(occurred_time=time(21, 30), location="Outside work", description="Forty messages"),
        )
    engine.assert_called_once()
    assert engine.call_args.kwargs["case"] == case
    stored = TimelineEntry.unscoped.get(pk=entry.pk)
    assert [b.code for b in stored.behaviours.all()] == ["comm_text"]
    assert timezone.localtime(stored.occurred_at).time() == time(21, 30)
    assert stored.description == "Forty messages"
    event = AuditEvent.objects.filter(object_id=str(entry.pk)).get()
    assert event.action == AuditAction.CREATE
    assert event.actor == user
    assert "description" in event.fields
    assert "location" in event.fields
    assert "Forty" not in str(event.detail)


def test_a_failing_engine_takes_the_entry_down_with_it(team_case):
    case, user = team_case
    with (
        mock.patch("masip.timeline.services.redflags_evaluate_case", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        timeline_entry_create(actor=user, case=case, compartment=Compartment.TEAM, draft=draft())
    assert not TimelineEntry.unscoped.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE, case_id=case.pk).exists()


# Compartments --------------------------------------------------------------------------------------


def test_an_advocate_cannot_write_to_health_nor_see_a_police_only_entry():
    case, advocate = on_team(Role.STALKING_ADVOCATE)
    _, officer = on_team(Role.POLICE_INVESTIGATOR, case)
    with pytest.raises(PermissionDenied, match="Clinical"):
        timeline_entry_create(actor=advocate, case=case, compartment=Compartment.HEALTH, draft=draft())
    police = timeline_entry_create(actor=officer, case=case, compartment=Compartment.POLICE, draft=draft())
    team = timeline_entry_create(actor=officer, case=case, compartment=Compartment.TEAM, draft=draft())
    client = verified_client(advocate)
    page = client.get(reverse("timeline:entries", kwargs={"case_id": case.pk})).content.decode()
    assert str(team.pk) in page
    assert str(police.pk) not in page
    response = client.get(reverse("timeline:entry_detail", kwargs={"case_id": case.pk, "entry_id": police.pk}))
    assert response.status_code == 404
    # The add page offers no compartment the advocate cannot write to.
    form = client.get(reverse("timeline:entry_add", kwargs={"case_id": case.pk})).content.decode()
    assert 'value="health"' not in form
    assert 'value="advocacy"' in form


# Editing -------------------------------------------------------------------------------------------


def test_a_stale_edit_is_refused_and_shows_what_changed(team_case):
    case, user = team_case
    entry = timeline_entry_create(actor=user, case=case, compartment=Compartment.TEAM, draft=draft(incidents=3))
    timeline_entry_update(actor=user, entry=entry, expected_version=1, draft=draft(incidents=5))
    with pytest.raises(StaleEditError):
        timeline_entry_update(actor=user, entry=entry, expected_version=1, draft=draft(incidents=7))
    assert TimelineEntry.unscoped.get(pk=entry.pk).incidents == 5
    client = verified_client(user)
    url = reverse("timeline:entry_edit", kwargs={"case_id": case.pk, "entry_id": entry.pk})
    day = days_ago(3)
    response = client.post(
        url,
        {
            "version": 1,
            "occurred_on_day": day.day,
            "occurred_on_month": day.month,
            "occurred_on_year": day.year,
            "behaviours": ["comm_text"],
            "incidents": 9,
            "reported_by": "victim",
        },
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this entry" in page
    assert "How many times" in page.split('id="changed-fields"')[1].split("</ul>")[0]
    assert TimelineEntry.unscoped.get(pk=entry.pk).incidents == 5
    changes = AuditEvent.objects.filter(object_id=str(entry.pk), action=AuditAction.CHANGE)
    assert [e.fields for e in changes] == [["incidents"]]


def test_editing_through_the_page_saves_a_new_version(team_case):
    case, user = team_case
    entry = timeline_entry_create(actor=user, case=case, compartment=Compartment.TEAM, draft=draft())
    client = verified_client(user)
    url = reverse("timeline:entry_edit", kwargs={"case_id": case.pk, "entry_id": entry.pk})
    assert client.get(url).status_code == 200
    day = days_ago(2)
    response = client.post(
        url,
        {
            "version": 1,
            "occurred_on_day": day.day,
            "occurred_on_month": day.month,
            "occurred_on_year": day.year,
            "behaviours": ["comm_text", "comm_phone"],
            "incidents": 2,
            "reported_by": "victim",
        },
    )
    assert response.status_code == 302
    stored = TimelineEntry.unscoped.get(pk=entry.pk)
    assert stored.version == 2
    assert stored.occurred_on == day
    assert {b.code for b in stored.behaviours.all()} == {"comm_text", "comm_phone"}


# Pages ---------------------------------------------------------------------------------------------


def test_adding_through_the_page_with_errors_shows_them_and_stores_nothing(team_case):
    case, user = team_case
    client = verified_client(user)
    url = reverse("timeline:entry_add", kwargs={"case_id": case.pk})
    day = days_ago(1)
    response = client.post(
        url,
        {
            "occurred_on_day": day.day,
            "occurred_on_month": day.month,
            "occurred_on_year": day.year,
            "occurred_until_day": day.day,
            "occurred_until_month": day.month,
            "occurred_until_year": day.year - 1,
            "incidents": 1,
            "reported_by": "victim",
            "compartment": "team",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose at least one behaviour." in page
    assert not TimelineEntry.unscoped.filter(case=case).exists()
    response = client.post(
        url,
        {
            "occurred_on_day": day.day,
            "occurred_on_month": day.month,
            "occurred_on_year": day.year,
            "occurred_time": "21:15",
            "behaviours": ["threat_kill"],
            "incidents": 1,
            "reported_by": "police",
            "compartment": "team",
            "description": "Said he would kill her",
        },
    )
    assert response.status_code == 302
    entry = TimelineEntry.unscoped.get(case=case)
    detail = client.get(reverse("timeline:entry_detail", kwargs={"case_id": case.pk, "entry_id": entry.pk}))
    assert "Said he would kill her" in detail.content.decode()


def test_the_table_filters_paginates_and_audits_once_per_page(team_case, django_assert_max_num_queries):
    case, user = team_case
    for n in range(60):
        timeline_entry_create(
            actor=user,
            case=case,
            compartment=Compartment.TEAM,
            draft=draft(occurred_on=days_ago(100 - n), behaviour_codes=["comm_text" if n % 2 else "following"]),
        )
    client = verified_client(user)
    url = reverse("timeline:entries", kwargs={"case_id": case.pk})
    before = AuditEvent.objects.count()
    with django_assert_max_num_queries(40):
        page = client.get(url).content.decode()
    assert page.count('class="govuk-table__row"') == 51  # 50 rows and the header
    assert "Page 1 of 2" in page
    views = AuditEvent.objects.filter(seq__gt=before, action=AuditAction.VIEW, object_type="timeline.timelineentry")
    assert views.count() == 1
    assert len(views.get().detail["listed"]) == 50
    page = client.get(url, {"group": "proximity"}).content.decode()
    assert "30 entries matching the filters" in page
    page = client.get(url, {"behaviour": "comm_text", "date_from": days_ago(45).strftime("%d/%m/%Y")}).content.decode()
    assert "3 entries matching the filters" in page
    page = client.get(url, {"date_from": "not a date"}).content.decode()
    assert "Enter the first date as DD/MM/YYYY" in page


# The bulk page -------------------------------------------------------------------------------------


def _bulk_post(rows: list[dict[str, str]], total: int | None = None) -> dict[str, str]:
    data = {"rows": str(total or len(rows)), "reported_by": "victim_diary", "compartment": "team", "save": "1"}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"row-{index}-{name}"] = value
    return data


def test_forty_messages_in_one_submit_are_saved_in_one_transaction_and_the_engine_runs_once(team_case):
    case, user = team_case
    client = verified_client(user)
    url = reverse("timeline:entry_bulk", kwargs={"case_id": case.pk})
    rows = [
        {"date": days_ago(40 - n).strftime("%d/%m/%Y"), "time": "22:10", "behaviour": "comm_text", "count": "1"}
        for n in range(40)
    ]
    with mock.patch("masip.timeline.services.redflags_evaluate_case") as engine:
        response = client.post(url, _bulk_post(rows, total=50))
    assert response.status_code == 302, response.content.decode()[:2000]
    engine.assert_called_once()
    entries = TimelineEntry.unscoped.filter(case=case)
    assert entries.count() == 40
    assert set(entries.values_list("source", flat=True)) == {EntrySource.BULK}
    created = AuditEvent.objects.filter(case_id=case.pk, action=AuditAction.CREATE).get()
    assert created.detail["count"] == 40
    assert len(created.detail["entries"]) == 40


def test_one_bad_row_stores_nothing_and_shows_each_wrong_row(team_case):
    case, user = team_case
    client = verified_client(user)
    url = reverse("timeline:entry_bulk", kwargs={"case_id": case.pk})
    rows = [{"date": days_ago(5).strftime("%d/%m/%Y"), "behaviour": "comm_text", "count": "1"} for _ in range(12)]
    rows[3]["date"] = (timezone.localdate() + timedelta(days=3)).strftime("%d/%m/%Y")
    rows[7]["count"] = "many"
    response = client.post(url, _bulk_post(rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Row 8: Enter how many times as a whole number" in page
    assert not TimelineEntry.unscoped.filter(case=case).exists()
    # Once the form of every row is right, the case's rules still hold: row 4 is in the future.
    rows[7]["count"] = "2"
    page = client.post(url, _bulk_post(rows)).content.decode()
    assert "Row 4:" in page
    assert "in the future" in page
    assert not TimelineEntry.unscoped.filter(case=case).exists()


def test_add_ten_more_rows_keeps_what_was_typed(team_case):
    case, user = team_case
    client = verified_client(user)
    url = reverse("timeline:entry_bulk", kwargs={"case_id": case.pk})
    assert client.get(url).content.decode().count('name="row-') == 50  # 10 rows of 5 cells
    data = _bulk_post([{"date": "01/02/2025", "behaviour": "following"}], total=10)
    data.pop("save")
    data["more"] = "1"
    page = client.post(url, data).content.decode()
    assert page.count('name="row-') == 100
    assert 'value="01/02/2025"' in page
    assert not TimelineEntry.unscoped.filter(case=case).exists()


def test_a_batch_over_the_limit_is_refused(team_case):
    case, user = team_case
    with pytest.raises(ValidationError, match="at most 100 rows"):
        timeline_entries_create(
            actor=user, case=case, compartment=Compartment.TEAM, drafts=[draft()] * 101, source=EntrySource.BULK
        )

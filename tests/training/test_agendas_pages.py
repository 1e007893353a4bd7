"""The agenda pages: proposing an agenda (from an enquiry too), times of day, edits by button and
by a new order, each checked (slot, opening items, trainers, held deliveries, stale versions),
copy, print and PDF."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.training.models import (
    Agenda,
    AgendaItem,
    Delivery,
    DeliveryStatus,
    Enquiry,
    Organisation,
    Topic,
)
from masip.training.services_agendas import agenda_propose
from masip.training.services_catalogue import catalogue_install
from tests.conftest import verified_client
from tests.factories import UnitFactory, member
from tests.panel.helpers import requires_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit() -> Any:
    unit = UnitFactory()
    catalogue_install(unit=unit)
    return unit


@pytest.fixture
def trainer(unit: Any) -> Any:
    user = member(Role.TRAINER, unit=unit, full_name="Tess Trainer")
    for topic in Topic.objects.filter(unit=unit).exclude(key="interventions"):
        topic.trainers.add(user)
    return user


@pytest.fixture
def client(trainer: Any) -> Client:
    return verified_client(trainer)


def _agenda(unit: Any, trainer: Any, **audience: int) -> Agenda:
    return agenda_propose(
        unit=unit,
        actor=trainer,
        title="Managers' briefing",
        session_format="half_day",
        audience=audience or {"managers": 6},
    )


def _items(agenda: Agenda) -> list[tuple[str, int]]:
    return [(item.title, item.minutes) for item in agenda.items.order_by("position")]


def _edit(client: Client, agenda: Agenda, **data: Any) -> Any:
    return client.post(reverse("training:agenda_edit", args=[agenda.pk]), {"version": agenda.version, **data})


def test_proposing_saves_the_agenda_and_shows_it_with_its_reasons(client: Client, unit: Any) -> None:
    response = client.post(
        reverse("training:agenda_new"),
        {"title": "Briefing for <b>managers</b>", "format": "half_day", "count_managers": 8, "count_spocs": 0},
        follow=True,
    )
    agenda = Agenda.objects.get(unit=unit)
    assert response.redirect_chain[-1][0] == reverse("training:agenda", args=[agenda.pk])
    body = response.content.decode()
    assert "Briefing for &lt;b&gt;managers&lt;/b&gt;" in body
    assert "Left out: local procedures — lowest priority for managers (5 of 5)" in body
    assert "Left out: interventions — no trainer able to present it." in body
    assert "09:30 to 10:00" in body  # the story, from the default start
    assert "3 h 30 min of the 3 h 30 min slot" in body or "of the 3 h 30 min slot" in body
    assert agenda.audience == {"managers": 8}
    assert agenda.items.filter(kind="break").count() == 1
    event = AuditEvent.objects.filter(unit=unit).order_by("-seq").first()
    assert event is not None
    assert event.action == AuditAction.CREATE
    assert event.object_id == str(agenda.pk)


def test_an_audience_of_nobody_is_refused(client: Client, unit: Any) -> None:
    response = client.post(reverse("training:agenda_new"), {"title": "Empty", "format": "half_day"})
    assert response.status_code == 400
    assert "Enter how many people of at least one type will attend." in response.content.decode()
    assert not Agenda.objects.filter(unit=unit).exists()


def test_a_slot_too_short_is_refused_with_the_numbers(client: Client, unit: Any) -> None:
    from masip.training.models import TrainingSettings

    TrainingSettings.objects.create(unit=unit, half_day_minutes=60, break_minutes=20)
    response = client.post(reverse("training:agenda_new"), {"title": "Short", "format": "half_day", "count_spocs": 3})
    assert response.status_code == 400
    assert "The opening items and breaks need 1 h 5 min; the slot is 1 h: choose a longer slot" in (
        response.content.decode()
    )


def test_chosen_trainers_limit_the_topics(client: Client, unit: Any, trainer: Any) -> None:
    other = member(Role.TRAINER, unit=unit, full_name="Owen Other")
    Topic.objects.get(unit=unit, key="red-flags").trainers.add(other)
    client.post(
        reverse("training:agenda_new"),
        {"title": "Owen alone", "format": "half_day", "count_front_line": 10, "trainers": [other.pk]},
    )
    agenda = Agenda.objects.get(unit=unit)
    assert [item.topic.key for item in agenda.items.filter(kind="topic")] == ["red-flags"]
    # The agenda keeps who is to deliver it: a topic only another trainer presents is refused later.
    assert list(agenda.trainers.all()) == [other]
    legal = Topic.objects.get(unit=unit, key="legal-issues")
    response = _edit(client, agenda, action="add_topic", topic=legal.pk)
    assert response.status_code == 400
    assert "None of the trainers of this agenda or its deliveries can present \u2018Legal issues\u2019" in (
        response.content.decode()
    )
    assert not agenda.items.filter(topic=legal).exists()
    copy_response = _edit(client, agenda, action="copy")
    assert copy_response.status_code == 302
    assert list(Agenda.objects.exclude(pk=agenda.pk).get().trainers.all()) == [other]


def test_an_enquiry_prefills_the_form(client: Client, unit: Any) -> None:
    enquiry = Enquiry.objects.create(
        unit=unit,
        reference=f"{unit.code}-TRN-2026-0001",
        organisation_name="Northtown <Council>",
        organisation_kind="local_authority",
        region="north_east",
        contact_name="Pat",
        email="pat@example.org",
        audience={"front_line": 30, "managers": 2},
        preferred_format="full_day",
        source_digest="x",
    )
    page = client.get(reverse("training:agenda_new") + f"?enquiry={enquiry.pk}").content.decode()
    assert 'value="Training for Northtown &lt;Council&gt;"' in page
    assert re.search(r'name="count_front_line"[^>]*value="30"', page)
    assert re.search(r'value="full_day"[^>]*checked', page)
    other_unit = UnitFactory()
    theirs = Enquiry.objects.create(
        unit=other_unit, reference="X-TRN-2026-0001", organisation_name="Theirs", organisation_kind="other",
        region="wales", contact_name="Q", email="q@example.org", source_digest="y",
    )  # fmt: skip
    assert client.get(reverse("training:agenda_new") + f"?enquiry={theirs.pk}").status_code == 404


def test_start_time_moves_the_times_of_day(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    body = client.get(reverse("training:agenda", args=[agenda.pk]) + "?start=13:00").content.decode()
    assert "13:00 to 13:30" in body
    assert "13:00" in client.get(reverse("training:agenda_print", args=[agenda.pk]) + "?start=13:00").content.decode()
    assert (
        "09:30 to 10:00"
        in client.get(reverse("training:agenda", args=[agenda.pk]) + "?start=nonsense").content.decode()
    )


def test_move_and_remove_by_buttons(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    items = list(agenda.items.order_by("position"))
    last_topic = [i for i in items if i.kind == "topic"][-1]
    assert _edit(client, agenda, action="up", item=last_topic.pk).status_code == 302
    agenda.refresh_from_db()
    assert agenda.version == 2
    assert [i.pk for i in agenda.items.order_by("position")][-2] == last_topic.pk
    assert _edit(client, agenda, action="remove", item=last_topic.pk).status_code == 302
    agenda.refresh_from_db()
    assert not agenda.items.filter(pk=last_topic.pk).exists()
    assert list(agenda.items.order_by("position").values_list("position", flat=True)) == list(range(1, len(items)))
    events = AuditEvent.objects.filter(unit=unit, action=AuditAction.CHANGE, object_id=str(agenda.pk))
    assert [e.detail["edit"] for e in events.order_by("seq")] == ["up", "remove"]


def test_an_opening_item_cannot_be_removed(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    story = agenda.items.get(position=1)
    response = _edit(client, agenda, action="remove", item=story.pk)
    assert response.status_code == 400
    assert "is an opening item: every agenda keeps its opening items" in response.content.decode()
    assert agenda.items.filter(pk=story.pk).exists()


def test_an_edit_over_the_slot_is_refused_and_nothing_changes(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)  # managers' half day: 3 h 30 min used of 3 h 30 min
    before = _items(agenda)
    story = agenda.items.get(position=1)  # 30 minutes now, up to 45
    response = _edit(client, agenda, action="minutes", item=story.pk, minutes=45)
    assert response.status_code == 400
    assert (
        "This would make the agenda 3 h 45 min, 15 minutes over the 3 h 30 min slot: shorten or remove an item first."
        in response.content.decode()
    )
    agenda.refresh_from_db()
    assert _items(agenda) == before
    assert agenda.version == 1
    assert _edit(client, agenda, action="add_break").status_code == 400
    assert _items(agenda) == before


def test_minutes_outside_the_topics_range_are_refused(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    topic_item = agenda.items.filter(kind="topic").first()
    assert topic_item is not None
    response = _edit(client, agenda, action="minutes", item=topic_item.pk, minutes=1)
    assert response.status_code == 400
    assert (
        f"takes {topic_item.topic.min_minutes} to {topic_item.topic.max_minutes} minutes" in response.content.decode()
    )


def test_a_left_out_topic_can_be_added_when_there_is_room(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    removed = agenda.items.filter(kind="topic").get(topic__key="multi-agency")
    _edit(client, agenda, action="remove", item=removed.pk)
    agenda.refresh_from_db()
    local = Topic.objects.get(unit=unit, key="local-procedures")
    assert _edit(client, agenda, action="add_topic", topic=local.pk).status_code == 302
    assert agenda.items.order_by("position").last().topic == local


def test_a_topic_nobody_can_present_is_refused_by_name(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    for item in agenda.items.filter(kind="topic"):
        agenda.refresh_from_db()
        _edit(client, agenda, action="remove", item=item.pk)
    agenda.refresh_from_db()
    interventions = Topic.objects.get(unit=unit, key="interventions")
    response = _edit(client, agenda, action="add_topic", topic=interventions.pk)
    assert response.status_code == 400
    assert (
        "Nobody can present \u2018Interventions\u2019 yet: add a trainer to the topic in the catalogue first"
        in response.content.decode()
    )


def test_a_stale_edit_gets_409_and_changes_nothing(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    item = agenda.items.filter(kind="topic").last()
    assert item is not None
    _edit(client, agenda, action="up", item=item.pk)
    before = _items(agenda)
    stale = client.post(
        reverse("training:agenda_edit", args=[agenda.pk]), {"version": 1, "action": "remove", "item": item.pk}
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    assert _items(agenda) == before


def test_the_reorder_endpoint_takes_a_whole_new_order(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    ids = list(agenda.items.order_by("position").values_list("pk", flat=True))
    new = [ids[0], ids[1], *reversed(ids[2:])]
    url = reverse("training:agenda_reorder", args=[agenda.pk])
    done = client.post(url, {"version": 1, "order": ",".join(map(str, new))})
    assert done.status_code == 200
    assert done.json() == {"ok": True, "version": 2, "message": "New order saved."}
    assert list(agenda.items.order_by("position").values_list("pk", flat=True)) == new
    assert client.post(url, {"version": 1, "order": ",".join(map(str, ids))}).status_code == 409
    assert client.post(url, {"version": 2, "order": ",".join(map(str, ids[:-1]))}).status_code == 400
    assert client.post(url, {"version": 2, "order": "1,x"}).status_code == 400
    assert list(agenda.items.order_by("position").values_list("pk", flat=True)) == new


def _held(agenda: Agenda) -> Delivery:
    organisation = Organisation.objects.create(unit=agenda.unit, name="County Police")
    return Delivery.objects.create(
        unit=agenda.unit,
        reference=f"{agenda.unit.code}-DEL-2026-0001",
        organisation=organisation,
        title="Held",
        date="2026-10-01",
        feedback_closes_on="2026-10-15",
        agenda=agenda,
        status=DeliveryStatus.HELD,
    )


def test_an_agenda_used_at_a_held_delivery_cannot_change_but_can_be_copied(
    client: Client, unit: Any, trainer: Any
) -> None:
    agenda = _agenda(unit, trainer)
    _held(agenda)
    before = _items(agenda)
    item = agenda.items.filter(kind="topic").last()
    assert item is not None
    page = client.get(reverse("training:agenda", args=[agenda.pk])).content.decode()
    assert "cannot be changed: copy it instead" in page
    refused = _edit(client, agenda, action="remove", item=item.pk)
    assert refused.status_code == 400
    assert "copy it instead" in refused.content.decode()
    order = ",".join(str(i.pk) for i in agenda.items.order_by("-position"))
    assert (
        client.post(reverse("training:agenda_reorder", args=[agenda.pk]), {"version": 1, "order": order}).status_code
        == 400
    )
    assert _items(agenda) == before
    copied = _edit(client, agenda, action="copy")
    copy = Agenda.objects.exclude(pk=agenda.pk).get(unit=unit)
    assert copied["Location"] == reverse("training:agenda", args=[copy.pk])
    assert copy.title == "Copy of Managers' briefing"
    assert _items(copy) == before
    assert _edit(client, copy, action="remove", item=copy.items.filter(kind="topic").last().pk).status_code == 302


def test_another_units_agenda_is_not_found(client: Client) -> None:
    other = UnitFactory()
    catalogue_install(unit=other)
    outsider = member(Role.TRAINER, unit=other)
    Topic.objects.filter(unit=other).first().trainers.add(outsider)  # type: ignore[union-attr]
    theirs = agenda_propose(
        unit=other, actor=outsider, title="Theirs", session_format="half_day", audience={"spocs": 2}
    )
    for name in ("training:agenda", "training:agenda_print", "training:agenda_pdf"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("training:agenda_edit", args=[theirs.pk]), {"version": 1, "action": "copy"}).status_code
        == 404
    )
    assert (
        client.post(reverse("training:agenda_reorder", args=[theirs.pk]), {"version": 1, "order": ""}).status_code
        == 404
    )
    assert client.get(reverse("training:agenda", args=[999_999])).status_code == 404


def test_the_pages_read_in_a_fixed_number_of_queries(
    client: Client, unit: Any, trainer: Any, django_assert_max_num_queries: Any
) -> None:
    agenda = _agenda(unit, trainer)
    with django_assert_max_num_queries(25) as one:
        client.get(reverse("training:agenda", args=[agenda.pk]))
    full = agenda_propose(
        unit=unit, actor=trainer, title="Full", session_format="full_day", audience={"spocs": 5, "front_line": 5}
    )
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("training:agenda", args=[full.pk]))
    with django_assert_max_num_queries(20) as listed:
        client.get(reverse("training:agendas"))
    for n in range(5):
        _agenda(unit, trainer, spocs=n + 1)
    with django_assert_max_num_queries(len(listed.captured_queries)):
        client.get(reverse("training:agendas"))


def test_the_page_loads_its_script_from_a_file(client: Client, unit: Any, trainer: Any) -> None:
    agenda = _agenda(unit, trainer)
    body = client.get(reverse("training:agenda", args=[agenda.pk])).content.decode()
    assert re.search(r'<script src="[^"]*masip/js/agenda-reorder\.js" defer>', body)
    assert 'data-reorder-url="' + reverse("training:agenda_reorder", args=[agenda.pk]) in body
    assert "<script>" not in body
    assert AgendaItem.objects.filter(agenda=agenda).count() == body.count('data-item-id="')


@requires_pdf
def test_the_pdf_reads_back(client: Client, unit: Any, trainer: Any) -> None:
    from pypdf import PdfReader

    agenda = _agenda(unit, trainer)
    response = client.get(reverse("training:agenda_pdf", args=[agenda.pk]) + "?start=10:00")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "briefing" in text
    assert "The scale of the problem" in text
    assert "10:00" in text

"""Reordering an agenda by drag and drop in a real browser: the script posts the new order, the
page reloads with it and its times; the buttons keep working for keyboard users."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from masip.accounts.models import Role
from masip.training.models import Topic
from masip.training.services_agendas import agenda_propose
from masip.training.services_catalogue import catalogue_install
from tests.browser.conftest import browser, page  # noqa: F401 - the browser tests' fixtures
from tests.browser.signin import sign_in
from tests.factories import UnitFactory, member

pytestmark = pytest.mark.browser


def test_a_trainer_drags_a_topic_up_and_the_order_is_saved(live_server: Any, transactional_db: None, page: Any):  # noqa: F811
    unit = UnitFactory()
    catalogue_install(unit=unit)
    trainer = member(Role.TRAINER, unit=unit, full_name="Tess Trainer")
    for topic in Topic.objects.filter(unit=unit):
        topic.trainers.add(trainer)
    agenda = agenda_propose(
        unit=unit, actor=trainer, title="SPOC day", session_format="half_day", audience={"spocs": 6}
    )
    ids = list(agenda.items.order_by("position").values_list("pk", flat=True))
    moved, target = ids[-1], ids[2]
    sign_in(page, live_server, trainer)
    page.set_viewport_size({"width": 1400, "height": 3000})  # the whole agenda on screen: no scrolling mid-drag
    page.goto(live_server.url + reverse("training:agenda", args=[agenda.pk]))
    assert page.locator("#agenda-drag-hint").is_visible()
    box = page.locator(f"#item-{target}").bounding_box()
    assert box is not None
    with page.expect_navigation():  # the script saves the order, then reloads the page
        page.drag_and_drop(
            f"#item-{moved}", f"#item-{target}", source_position={"x": 10, "y": 10}, target_position={"x": 10, "y": 3}
        )
    order = page.locator("#agenda tbody tr").evaluate_all("rows => rows.map(r => Number(r.dataset.itemId))")
    assert order == [*ids[:2], moved, *ids[2:-1]]
    assert list(agenda.items.order_by("position").values_list("pk", flat=True)) == order
    # Keyboard users still have the buttons, which carry the new version.
    page.locator(f"#item-{moved}").get_by_role("button", name="Down").click()
    page.wait_for_load_state()
    assert list(agenda.items.order_by("position").values_list("pk", flat=True))[3] == moved

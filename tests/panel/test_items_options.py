"""Decision options kept as data: the shipped defaults, the loader command (idempotent, never
deleting a unit's own), the first-use load, and the chair's page to add, rename, reorder, switch
off and delete them (an option decided can only be switched off)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from masip.audit.models import AuditAction, AuditEvent
from masip.panel import services_items
from masip.panel.models import AgendaItem, DecisionOption, ItemDecision
from tests.conftest import verified_client
from tests.factories import UnitFactory
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db

ROUTES = [
    "criminal-justice",
    "civil-order",
    "psychological-intervention",
    "social-support",
    "health-referral",
    "refer-marac",
    "refer-mappa",
    "no-further-action",
    "other",
]


def _keys(unit):
    return list(DecisionOption.objects.filter(unit=unit).order_by("position").values_list("key", flat=True))


def test_the_shipped_options_are_the_issues_routes():
    assert [o.key for o in services_items.decision_defaults()] == ROUTES


def test_a_unit_gets_the_defaults_the_first_time_its_options_are_needed():
    unit = UnitFactory()
    assert not DecisionOption.objects.filter(unit=unit).exists()
    assert [o.key for o in services_items.decision_options_for(unit=unit)] == ROUTES
    [event] = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="panel.decisionoption")
    assert event.detail["added"] == ROUTES
    services_items.decision_options_for(unit=unit)
    assert DecisionOption.objects.filter(unit=unit).count() == len(ROUTES)


def test_the_loader_adds_missing_keys_and_never_deletes_a_units_own(capsys):
    unit, other = UnitFactory(code="CHS"), UnitFactory(code="NTH")
    DecisionOption.objects.create(unit=unit, key="refer-marac", label="MARAC (our wording)", position=1, active=False)
    DecisionOption.objects.create(unit=unit, key="victim-letter", label="Write to the victim", position=2)
    call_command("load_panel_decisions", "--unit", "chs")
    assert "CHS: 8 option(s) added" in capsys.readouterr().out
    keys = _keys(unit)
    assert keys[:2] == ["refer-marac", "victim-letter"]
    assert set(keys) == {*ROUTES, "victim-letter"}
    marac = DecisionOption.objects.get(unit=unit, key="refer-marac")
    assert (marac.label, marac.active) == ("MARAC (our wording)", False)
    assert not DecisionOption.objects.filter(unit=other).exists()
    call_command("load_panel_decisions")
    out = capsys.readouterr().out
    assert "CHS: 0 option(s) added." in out
    assert "NTH: 9 option(s) added" in out
    assert _keys(unit) == keys
    with pytest.raises(CommandError, match="No unit has the code"):
        call_command("load_panel_decisions", "--unit", "XXX")


def test_a_chair_adds_renames_reorders_and_switches_off_options():
    panel = make_panel()
    client = verified_client(panel.chair)
    page = client.get(reverse("panel:decision_options"))
    assert page.status_code == 200
    assert "Refer to MAPPA" in page.content.decode()
    response = client.post(reverse("panel:decision_options"), {"unit": panel.unit.pk, "label": "Victim letter"})
    assert response.status_code == 302
    added = DecisionOption.objects.get(unit=panel.unit, label="Victim letter")
    assert (added.key, _keys(panel.unit)[-1]) == ("victim-letter", "victim-letter")
    duplicate = client.post(reverse("panel:decision_options"), {"unit": panel.unit.pk, "label": "victim LETTER"})
    assert "has an option with this name already" in duplicate.content.decode()
    client.post(reverse("panel:decision_option_move", kwargs={"option_id": added.pk}), {"direction": "up"})
    assert _keys(panel.unit)[-2:] == ["victim-letter", "other"]
    marac = DecisionOption.objects.get(unit=panel.unit, key="refer-marac")
    edit = reverse("panel:decision_option_edit", kwargs={"option_id": marac.pk})
    response = client.post(edit, {"label": "Refer to the MARAC", "description": "", "active": ""})
    assert response.status_code == 302
    marac.refresh_from_db()
    assert (marac.label, marac.active) == ("Refer to the MARAC", False)
    assert marac not in services_items.decision_options_for(unit=panel.unit)
    changes = AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="panel.decisionoption")
    assert [e.fields for e in changes.order_by("seq")] == [["position"], ["active", "description", "label"]]


def test_an_option_in_use_can_be_switched_off_but_not_deleted():
    panel = make_panel()
    panel.attend_all()
    item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    options = {o.key: o for o in services_items.decision_options_for(unit=panel.unit)}
    services_items.item_decision_add(actor=panel.chair, item=item, option_id=options["civil-order"].pk, detail="")
    client = verified_client(panel.chair)
    edit = reverse("panel:decision_option_edit", kwargs={"option_id": options["civil-order"].pk})
    response = client.post(edit, {"delete": "1"})
    assert "Switch it off instead" in response.content.decode()
    assert DecisionOption.objects.filter(pk=options["civil-order"].pk).exists()
    client.post(reverse("panel:decision_option_edit", kwargs={"option_id": options["refer-mappa"].pk}), {"delete": "1"})
    assert not DecisionOption.objects.filter(pk=options["refer-mappa"].pk).exists()
    with pytest.raises(ValidationError, match="stays on"):
        services_items.decision_option_update(
            actor=panel.chair, option=options["other"], label="Other", description="", active=False
        )
    with pytest.raises(ValidationError, match="cannot be deleted"):
        services_items.decision_option_delete(actor=panel.chair, option=options["other"])
    services_items.decision_option_update(
        actor=panel.chair, option=options["civil-order"], label="Civil order", description="", active=False
    )
    assert ItemDecision.unscoped.get().option.active is False


def test_only_a_chair_of_the_unit_changes_its_options():
    panel = make_panel()
    option = services_items.decision_options_for(unit=panel.unit)[0]
    with pytest.raises(PermissionDenied):
        services_items.decision_option_update(
            actor=panel.officer, option=option, label="Mine", description="", active=True
        )
    stranger = make_panel().chair
    url = reverse("panel:decision_option_edit", kwargs={"option_id": option.pk})
    assert verified_client(stranger).get(url).status_code == 404
    assert verified_client(panel.officer).get(url).status_code == 403

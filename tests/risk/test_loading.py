"""Loading definition files as versions: stored once, never changed, audited; withdrawing; what
assessors are offered; the load_instrument command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.risk.instrument_selectors import instruments_offered
from masip.risk.loading import instrument_load, instrument_load_result, instrument_withdraw
from masip.risk.models import Assessment, ImmutableVersionError, Instrument, InstrumentVersion
from masip.risk.schema import DefinitionError
from tests.factories import CaseFactory, UnitFactory, member
from tests.risk.conftest import SHIPPED, as_bytes, small

pytestmark = pytest.mark.django_db


def load(unit, data=None, actor=None, **kwargs):
    return instrument_load(actor=actor, unit=unit, text=as_bytes(data or small()), filename="x.json", **kwargs)


def test_a_manager_loads_a_version_audited_with_its_fingerprint(unit):
    manager = member(Role.UNIT_MANAGER, unit=unit)
    version = load(unit, actor=manager)
    assert version.instrument.unit == unit
    assert version.instrument.key == "unit-screen"
    assert version.version == "1.0"
    assert version.loaded_by == manager
    assert not version.illustrative
    assert version.licence == "Licensed to the unit for testing."
    assert len(version.source_sha256) == 64
    assert version.parsed.items[2].only_if is not None
    event = AuditEvent.objects.get(object_type="risk.instrumentversion")
    assert (event.action, event.actor, event.unit, event.object_id) == (
        AuditAction.CREATE,
        manager,
        unit,
        str(version.pk),
    )
    assert event.detail["sha256"] == version.source_sha256
    assert event.detail["version"] == "1.0"


def test_the_same_content_again_changes_nothing(unit):
    first = load(unit)
    again = instrument_load_result(actor=None, unit=unit, text=as_bytes(small()), filename="again.json")
    assert not again.created
    assert again.version == first
    assert "already loaded" in again.summary
    assert InstrumentVersion.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="risk.instrumentversion").count() == 1


def test_different_content_under_a_loaded_version_is_refused(unit):
    first = load(unit)
    changed = small()
    changed["sections"][0]["items"][0]["text"] = "A reworded first question?"
    with pytest.raises(DefinitionError) as refused:
        load(unit, changed)
    assert str(refused.value.problems[0]) == (
        "version: version 1.0 of unit-screen is already loaded with different content; give the changed file a new "
        "version number (a loaded version never changes, so assessments made with it keep their meaning)"
    )
    first.refresh_from_db()
    assert first.parsed.items[0].text == "First question?"
    assert InstrumentVersion.objects.count() == 1


def test_a_stored_version_cannot_be_edited(unit):
    version = load(unit)
    version.definition = {**version.definition, "name": "Edited"}
    with pytest.raises(ImmutableVersionError):
        version.save()


def test_a_new_version_leaves_the_old_one_and_its_assessments_unchanged(unit):
    old = load(unit)
    case = CaseFactory(unit=unit)
    assessor = member(Role.CLINICIAN, unit=unit)
    assessment = Assessment.unscoped.create(
        unit=unit,
        case=case,
        instrument_version=old,
        assessor=assessor,
        created_by=assessor,
        assessed_on=timezone.localdate(),
        score=2,
        computed_band="high",
        computed_level="high",
    )
    assessment.answers = {"q1": "yes", "q2": "yes"}
    assessment.save()
    changed = small(version="2.0")
    changed["scoring"]["bands"][1]["minimum"] = 3
    new = load(unit, changed)
    assert new.instrument == old.instrument
    assert new.pk != old.pk
    assessment.refresh_from_db()
    old.refresh_from_db()
    assert assessment.instrument_version == old
    assert old.parsed.bands[1].minimum == 2
    assert new.parsed.bands[1].minimum == 3
    assert (assessment.score, assessment.computed_band) == (2, "high")


def test_a_bad_file_stores_nothing(unit):
    data = small()
    data["sections"][0]["items"][0]["type"] = "slider"
    with pytest.raises(DefinitionError):
        load(unit, data)
    assert not Instrument.objects.exists()
    assert not InstrumentVersion.objects.exists()
    assert not AuditEvent.objects.filter(object_type="risk.instrumentversion").exists()


def test_a_manager_cannot_load_for_another_unit_nor_a_clinician_at_all(unit):
    other = UnitFactory()
    with pytest.raises(PermissionDenied):
        load(other, actor=member(Role.UNIT_MANAGER, unit=unit))
    with pytest.raises(PermissionDenied):
        load(unit, actor=member(Role.CLINICIAN, unit=unit))
    assert not InstrumentVersion.objects.exists()


def test_a_unit_cannot_reuse_the_id_of_a_shipped_instrument(unit):
    load(None)
    with pytest.raises(DefinitionError) as refused:
        load(unit)
    assert "is the id of an instrument masip ships" in str(refused.value)


def test_withdrawing_stops_the_offer_and_is_audited(unit):
    manager = member(Role.UNIT_MANAGER, unit=unit)
    clinician = member(Role.CLINICIAN, unit=unit)
    v1 = load(unit)
    v2 = load(unit, small(version="2.0"))
    assert instruments_offered(user=clinician, unit=unit) == [v2]
    instrument_withdraw(actor=manager, version=v2)
    assert instruments_offered(user=clinician, unit=unit) == [v1]
    v2.refresh_from_db()
    assert v2.withdrawn_at is not None
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="risk.instrumentversion").get()
    assert (event.actor, event.fields) == (manager, ["withdrawn_at"])
    instrument_withdraw(actor=manager, version=v1)
    assert instruments_offered(user=clinician, unit=unit) == []


def test_the_offer_follows_roles_units_and_compartments(unit):
    shipped = load(None, small(id="shipped-one", name="A shipped one", roles=["outreach_worker", "clinician"]))
    own = load(unit)  # clinicians and stalking advocates
    health = load(
        unit, small(id="health-only", name="Health only", roles=["clinician", "outreach_worker"], compartment="health")
    )
    elsewhere = load(UnitFactory(), small(id="elsewhere"))
    clinician = member(Role.CLINICIAN, unit=unit)
    outreach = member(Role.OUTREACH_WORKER, unit=unit)
    assert instruments_offered(user=clinician, unit=unit) == [shipped, health, own]
    # Outreach workers are named by the health instrument but may not write in the health compartment.
    assert instruments_offered(user=outreach, unit=unit) == [shipped]
    assert elsewhere not in instruments_offered(user=clinician, unit=elsewhere.instrument.unit)
    assert instruments_offered(user=member(Role.ANALYST, unit=unit), unit=unit) == []


def test_withdrawing_a_shipped_version_is_not_one_units_decision(unit):
    from masip.risk.loading import WithdrawRefused

    shipped = load(None)
    with pytest.raises(WithdrawRefused):
        instrument_withdraw(actor=member(Role.UNIT_MANAGER, unit=unit), version=shipped)


# The command ----------------------------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("load_instrument", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_loads_the_shipped_set_once():
    out, _ = run("--shipped")
    assert "Loaded Stalking screen (masip illustrative) version 1.0 for every unit (shipped with masip)." in out
    assert set(Instrument.objects.filter(unit=None).values_list("key", flat=True)) == {
        "masip-stalking-screen",
        "masip-da-checklist",
        "masip-test-instrument",
    }
    again, _ = run("--shipped")
    assert again.count("is already loaded") == 3
    assert InstrumentVersion.objects.count() == 3


def test_the_command_loads_a_file_for_a_unit(unit, tmp_path):
    path = tmp_path / "screen.yaml"
    path.write_bytes((SHIPPED / "masip-test-instrument.yaml").read_bytes().replace(b"masip-test-instrument", b"ours"))
    out, _ = run(str(path), "--unit", unit.code)
    assert f"for {unit.name}" in out
    assert InstrumentVersion.objects.get().instrument.unit == unit


def test_the_command_prints_every_problem_and_fails(tmp_path):
    data = small()
    data["sections"][0]["items"][1]["id"] = "q1"
    data["scoring"]["bands"][1]["minimum"] = 0
    path = tmp_path / "bad.json"
    path.write_bytes(as_bytes(data))
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("load_instrument", str(path), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].endswith("bad.json: 2 problem(s), nothing was loaded:")
    assert "  sections[0].items[1].id: “q1” is used twice; item ids must be unique" in lines
    assert any(line.startswith("  scoring.bands[1].minimum: threshold out of order") for line in lines)
    assert not InstrumentVersion.objects.exists()


def test_the_command_refuses_a_huge_file_unread(tmp_path, settings):
    settings.MASIP_INSTRUMENT_MAX_BYTES = 1024
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"a: b\n" * 10_000)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_instrument", str(path), stdout=StringIO(), stderr=err)
    assert "The file is larger than 1 KB" in err.getvalue()


def test_the_command_names_an_unknown_unit():
    with pytest.raises(CommandError, match="There is no unit with the code NOPE"):
        run(str(SHIPPED / "masip-test-instrument.yaml"), "--unit", "NOPE")

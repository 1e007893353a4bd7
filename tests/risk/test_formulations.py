"""Formulations: clinicians only, drafts saved as they go, completion only with the typology,
the four domains and the risk state reasoned, stale edits refused naming what changed,
completed ones never change, and a health formulation stays out of other roles' sight."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from masip.access.models import BreakGlassGrant
from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import RiskLevel
from masip.risk.event_services import risk_event_record
from masip.risk.formulation_services import (
    ScenarioInput,
    StaleFormulationError,
    formulation_complete,
    formulation_save,
    formulation_start,
)
from masip.risk.models import AssessmentStatus, Formulation, RiskEvent, RiskScenario
from tests.conftest import verified_client
from tests.factories import CaseFactory, member
from tests.risk.history_factories import team

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
COMPLETE = {
    "assessed_on": TODAY,
    "stalker_type": "rejected",
    "stalker_type_reason": "Pursuit began when the relationship ended; wants reconciliation.",
    "violence": "high",
    "violence_rationale": "Threats to kill; prior violence in the relationship.",
    "persistence": "high",
    "persistence_rationale": "Two years, undeterred by arrest.",
    "recurrence": "moderate",
    "recurrence_rationale": "Earlier episode with a former partner.",
    "psychosocial_damage": "moderate",
    "psychosocial_damage_rationale": "Lost job; drinking more.",
    "victim_vulnerability": "Lives alone; the stalker knows her routine.",
    "risk_status": "high",
    "risk_status_rationale": "Rejected type with a history of violence.",
    "risk_state": "high",
    "risk_state_rationale": "Escalating after the new partner became known.",
    "recommendations": "Refer to MARAC; apply for an SPO.",
}
SCENARIO = ScenarioInput("Attends her workplace and assaults her", "high", "weeks", "Workplace safety plan")


def _setup():
    case = CaseFactory()
    return case, team(case)


def test_a_clinician_starts_saves_and_completes_a_formulation_which_sets_the_case_risk():
    case, people = _setup()
    clinician = people["clinician"]
    draft = formulation_start(actor=clinician, case=case)
    assert draft.compartment == Compartment.HEALTH
    assert draft.status == AssessmentStatus.DRAFT
    saved = formulation_save(
        actor=clinician,
        formulation=draft,
        expected_version=draft.version,
        values={**dict.fromkeys(COMPLETE, ""), "assessed_on": TODAY, "stalker_type": "rejected"},
        scenarios=[SCENARIO, ScenarioInput("", "", "")],
    )
    assert saved.version == 2
    assert RiskScenario.unscoped.filter(formulation=draft).count() == 1  # the blank row is left out
    done = formulation_complete(
        actor=clinician, formulation=draft, expected_version=saved.version, values=COMPLETE, scenarios=[SCENARIO]
    )
    assert done.status == AssessmentStatus.COMPLETED
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.HIGH
    assert case.risk_assessed_on == TODAY
    events = AuditEvent.objects.filter(object_type="risk.formulation", object_id=str(draft.pk)).order_by("seq")
    assert [(e.action, e.actor_id) for e in events] == [
        (AuditAction.CREATE, clinician.pk),
        (AuditAction.CHANGE, clinician.pk),
        (AuditAction.CHANGE, clinician.pk),
    ]
    assert "stalker_type" in events[1].fields
    assert "scenarios" in events[1].fields
    assert "status" in events[2].fields
    # Field names only: no judgement text in the audit log.
    assert "reconciliation" not in str([e.detail for e in events])


def test_a_completed_formulation_never_changes():
    case, people = _setup()
    draft = formulation_start(actor=people["clinician"], case=case)
    done = formulation_complete(
        actor=people["clinician"], formulation=draft, expected_version=1, values=COMPLETE, scenarios=[]
    )
    with pytest.raises(ValidationError, match="completed"):
        formulation_save(
            actor=people["clinician"],
            formulation=done,
            expected_version=done.version,
            values={**COMPLETE, "risk_state": "low"},
            scenarios=[],
        )
    assert Formulation.unscoped.get(pk=draft.pk).risk_state == "high"
    page = verified_client(people["clinician"]).get(
        reverse("risk:formulation_edit", kwargs={"case_id": case.pk, "formulation_id": draft.pk})
    )
    assert page.status_code == 302
    assert page["Location"].endswith(f"/formulations/{draft.pk}/")


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ("stalker_type", "stalker_type"),
        ("stalker_type_reason", "stalker_type_reason"),
        ("violence", "violence"),
        ("persistence_rationale", "persistence_rationale"),
        ("psychosocial_damage_rationale", "psychosocial_damage_rationale"),
        ("risk_state", "risk_state"),
        ("risk_state_rationale", "risk_state_rationale"),
    ],
)
def test_completion_needs_the_typology_four_domains_and_the_risk_state_with_reasons(missing, field):
    case, people = _setup()
    draft = formulation_start(actor=people["clinician"], case=case)
    with pytest.raises(ValidationError) as refused:
        formulation_complete(
            actor=people["clinician"],
            formulation=draft,
            expected_version=1,
            values={**COMPLETE, missing: ""},
            scenarios=[],
        )
    assert field in refused.value.message_dict
    draft.refresh_from_db()
    assert (draft.status, draft.version, draft.stalker_type) == (AssessmentStatus.DRAFT, 1, "")
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.NOT_ASSESSED


def test_a_scenario_needs_what_how_likely_and_how_soon():
    case, people = _setup()
    draft = formulation_start(actor=people["clinician"], case=case)
    with pytest.raises(ValidationError) as refused:
        formulation_save(
            actor=people["clinician"],
            formulation=draft,
            expected_version=1,
            values=COMPLETE,
            scenarios=[ScenarioInput("Turns up at her door", "", "days")],
        )
    assert "Scenario 1" in refused.value.message_dict["scenarios"][0]


def test_only_clinicians_write_formulations():
    case, people = _setup()
    for role in ("investigator", "advocate"):
        with pytest.raises(PermissionDenied):
            formulation_start(actor=people[role], case=case)
        page = verified_client(people[role]).get(reverse("risk:formulation_start", kwargs={"case_id": case.pk}))
        assert page.status_code == 403
    assert not Formulation.unscoped.exists()


def test_a_clinician_outside_the_case_team_cannot_start_one():
    case, _ = _setup()
    outsider_case, outsiders = _setup()
    with pytest.raises(PermissionDenied):
        formulation_start(actor=outsiders["clinician"], case=case)
    assert outsider_case.pk != case.pk


def test_a_stale_edit_is_refused_and_names_what_changed():
    case, people = _setup()
    draft = formulation_start(actor=people["clinician"], case=case)
    second = team(case)["clinician"]
    formulation_save(
        actor=second, formulation=draft, expected_version=1, values={**COMPLETE, "risk_state": "low"}, scenarios=[]
    )
    with pytest.raises(StaleFormulationError) as stale:
        formulation_save(
            actor=people["clinician"], formulation=draft, expected_version=1, values=COMPLETE, scenarios=[]
        )
    assert "Risk state" in str(stale.value)
    assert "Stalker type" not in str(stale.value)  # the same in both
    assert Formulation.unscoped.get(pk=draft.pk).risk_state == "low"


def _post(values, version, action="save", scenarios=()):
    data = {
        f"{k}": ("" if v is None else (v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else v))
        for k, v in values.items()
    }
    rows = [*list(scenarios), ("", "", "", "")]
    data |= {
        "version": version,
        "action": action,
        "scenario-TOTAL_FORMS": len(rows),
        "scenario-INITIAL_FORMS": len(scenarios),
        "scenario-MIN_NUM_FORMS": 0,
        "scenario-MAX_NUM_FORMS": 20,
    }
    for i, (description, likelihood, imminence, management) in enumerate(rows):
        data |= {
            f"scenario-{i}-description": description,
            f"scenario-{i}-likelihood": likelihood,
            f"scenario-{i}-imminence": imminence,
            f"scenario-{i}-management": management,
        }
    return data


def test_the_pages_start_save_complete_and_show_a_formulation():
    case, people = _setup()
    client = verified_client(people["clinician"])
    start = reverse("risk:formulation_start", kwargs={"case_id": case.pk})
    assert client.get(start).status_code == 200
    response = client.post(start, {"compartment": "health", "assessed_on": TODAY.strftime("%d/%m/%Y")})
    formulation = Formulation.unscoped.get(case=case)
    edit = reverse("risk:formulation_edit", kwargs={"case_id": case.pk, "formulation_id": formulation.pk})
    assert response["Location"] == edit
    page = client.get(edit)
    assert page.status_code == 200
    assert b"Risk of psychosocial damage to the stalker" in page.content
    scenario = ("Sets fire to her car", "moderate", "months", "Police to flag the address")
    saved = client.post(
        edit,
        _post({**COMPLETE, "risk_state": ""}, 1, scenarios=[], action="save")
        | {
            "scenario-TOTAL_FORMS": 1,
            "scenario-0-description": scenario[0],
            "scenario-0-likelihood": scenario[1],
            "scenario-0-imminence": scenario[2],
            "scenario-0-management": scenario[3],
        },
    )
    assert saved.status_code == 302
    assert RiskScenario.unscoped.get(formulation=formulation).description == scenario[0]
    refused = client.post(edit, _post({**COMPLETE, "risk_state": ""}, 2, scenarios=[scenario], action="complete"))
    assert refused.status_code == 200
    assert "Rate the current risk state" in refused.content.decode()
    completed = client.post(edit, _post(COMPLETE, 2, scenarios=[scenario], action="complete"))
    assert completed.status_code == 302
    detail = client.get(completed["Location"]).content.decode()
    assert "Rejected" in detail
    assert scenario[0] in detail
    assert "can no longer be changed" in detail


def test_the_page_shows_a_stale_edit_with_what_changed():
    case, people = _setup()
    draft = formulation_start(actor=people["clinician"], case=case)
    formulation_save(
        actor=people["clinician"],
        formulation=draft,
        expected_version=1,
        values={**COMPLETE, "violence": "low"},
        scenarios=[],
    )
    edit = reverse("risk:formulation_edit", kwargs={"case_id": case.pk, "formulation_id": draft.pk})
    response = verified_client(people["clinician"]).post(edit, _post(COMPLETE, 1))
    assert response.status_code == 409
    html = response.content.decode()
    assert "saved by someone else" in html
    assert "Risk of violence" in html
    assert 'value="2"' in html  # saving again knowingly replaces the version just shown


def test_the_remove_box_takes_a_scenario_out():
    case, people = _setup()
    draft = formulation_start(actor=people["clinician"], case=case)
    formulation_save(
        actor=people["clinician"], formulation=draft, expected_version=1, values=COMPLETE, scenarios=[SCENARIO]
    )
    edit = reverse("risk:formulation_edit", kwargs={"case_id": case.pk, "formulation_id": draft.pk})
    data = _post(COMPLETE, 2, scenarios=[(SCENARIO.description, "high", "weeks", "")]) | {"scenario-0-DELETE": "on"}
    assert verified_client(people["clinician"]).post(edit, data).status_code == 302
    assert not RiskScenario.unscoped.filter(formulation=draft).exists()


def test_an_advocate_cannot_see_a_health_formulation_but_sees_the_case_risk():
    case, people = _setup()
    draft = formulation_start(actor=people["clinician"], case=case, assessed_on=TODAY - timedelta(days=1))
    formulation_complete(
        actor=people["clinician"], formulation=draft, expected_version=1, values=COMPLETE, scenarios=[]
    )
    advocate = verified_client(people["advocate"])
    detail = reverse("risk:formulation_detail", kwargs={"case_id": case.pk, "formulation_id": draft.pk})
    assert advocate.get(detail).status_code == 404
    history = advocate.get(reverse("risk:history", kwargs={"case_id": case.pk})).content.decode()
    assert "Formulation of" not in history
    assert "Escalating" not in history
    assert "High" in history  # the case's current risk is the whole team's
    clinician_view = verified_client(people["clinician"]).get(detail)
    assert clinician_view.status_code == 200
    assert "Escalating after the new partner" in clinician_view.content.decode()


def test_a_clinician_may_share_a_formulation_with_the_team():
    case, people = _setup()
    draft = formulation_start(actor=people["clinician"], case=case, compartment=Compartment.TEAM)
    detail = reverse("risk:formulation_detail", kwargs={"case_id": case.pk, "formulation_id": draft.pk})
    assert verified_client(people["advocate"]).get(detail).status_code == 200
    with pytest.raises(ValidationError):
        formulation_start(actor=people["clinician"], case=case, compartment=Compartment.POLICE)


def test_a_break_glass_reader_may_read_but_not_formulate_or_record_events():

    case, _ = _setup()
    glass = member(Role.CLINICIAN, unit=case.unit)
    BreakGlassGrant.objects.create(case=case, user=glass, reason="x" * 25, until=timezone.now() + timedelta(hours=1))
    assert verified_client(glass).get(reverse("risk:history", kwargs={"case_id": case.pk})).status_code == 200
    with pytest.raises(PermissionDenied):
        formulation_start(actor=glass, case=case)
    with pytest.raises(PermissionDenied):
        risk_event_record(
            actor=glass, case=case, kind="breach", occurred_on=TODAY, details="", compartment=Compartment.TEAM
        )
    assert not Formulation.unscoped.exists()
    assert not RiskEvent.unscoped.exists()

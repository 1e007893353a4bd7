"""Evaluation exports (issue 9) on the fixed data set of fixtures.py: each case's row worked out by
hand for unit A over March 2025, the files read back with polars against the data dictionary,
pseudonyms per key, nothing identifying, every export recorded as a disclosure, and the refusals.

Unit A's cases open at some time in March 2025 (opened before 1 April, not closed before 1
March), oldest first: C4 (15 Jan), C8 (1 Feb), C10 (10 Feb), C1 (3 Mar), C2 (4 Mar), C3 (5 Mar).
C5, C6 and C7 closed in 2024, C9 opened in April; unit B's cases never appear.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from typing import Any

import polars as pl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import CaseParticipant, ParticipantRole
from masip.interventions.models_safety import MeasureOccasion, VictimMeasure
from masip.referrals.models import ReferralSubject, SubjectRole
from masip.reports import exports
from masip.reports.models import EvaluationExport, ExportKey
from masip.reports.services_exports import export_key_create
from masip.timeline.models import RedFlagAlert
from tests.conftest import verified_client
from tests.factories import CaseFactory, ReferralFactory, member
from tests.reports.fixtures import MARCH, World, at, build_world, d

pytestmark = pytest.mark.django_db

POLARS_TYPES = {"string": pl.String, "integer": pl.Int64, "decimal": pl.Float64, "boolean": pl.Boolean}
MARCH_FORM = {"start": "2025-03-01", "end": "2025-03-31"}


@pytest.fixture
def world() -> World:
    data = build_world()
    # C2's victim measures (fixtures: 5 Mar and 25 Mar), and one after the period, not counted.
    c2 = data.cases["A-C2"]
    victim = CaseParticipant.unscoped.get(case=c2, role=ParticipantRole.VICTIM)
    for day, safety, wellbeing in ((d(4, 5), 9, 9),):
        VictimMeasure.unscoped.create(
            case=c2,
            participant=victim,
            occasion=MeasureOccasion.REVIEW,
            measured_on=day,
            safety=safety,
            wellbeing=wellbeing,
            daily_impact=5,
        )
    # C2's victim referred again on 1 June 2025, within a year of its closure on 25 March.
    again = ReferralFactory(unit=data.unit_a, source_agency=data.agencies["N"], received_at=at(d(6, 1)))
    ReferralSubject.unscoped.create(referral=again, role=SubjectRole.VICTIM, person=victim.person, given_name="A")
    return data


@pytest.fixture
def manager(world: World) -> Any:
    return member(Role.UNIT_MANAGER, unit=world.unit_a)


@pytest.fixture
def key(world: World, manager: Any) -> ExportKey:
    return export_key_create(actor=manager, unit=world.unit_a, name="Evaluation 2025")


SECRET = "s3cret"


def _rows(world: World, secret: str | None = SECRET) -> dict[str, dict[str, Any]]:
    rows = exports.case_rows(unit_id=world.unit_a.pk, period=MARCH, secret=secret)
    by_reference = {}
    for reference, case in world.cases.items():
        name = reference if secret is None else exports.pseudonym(secret, case.pk)
        for row in rows:
            if row["case"] == name:
                by_reference[reference] = row
    assert len(by_reference) == len(rows)
    return by_reference


def _post(user: Any, export_key: ExportKey | None = None, **values: Any) -> Any:
    data = {
        **MARCH_FORM,
        "file_format": "csv",
        "key": export_key.pk if export_key else "",
        "recipient": "Dr R Evans, University of Anytown",
        "purpose": "Process evaluation of the stalking units (ethics ref 2025/17)",
        **values,
    }
    return verified_client(user).post(reverse("reports:export_new"), data)


def _files(response: Any) -> dict[str, bytes]:
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {name: archive.read(name) for name in archive.namelist()}


def _dictionary(files: dict[str, bytes]) -> pl.DataFrame:
    return pl.read_csv(files["data_dictionary.csv"])


# --- the rows ------------------------------------------------------------------------------------


def test_each_case_of_the_period_has_the_hand_computed_row(world: World) -> None:
    rows = _rows(world)
    assert set(rows) == {"A-C4", "A-C8", "A-C10", "A-C1", "A-C2", "A-C3"}
    # C1: opened 3 Mar, open and high. R1 (police) received 25 Feb, decided 3 Mar: 6 days; first
    # victim contact 6 Mar (the 4 Mar contact was the perpetrator): 9 days. No assessment.
    # Incidents as measures: 3.0 before, 3.1 after over 29 days. Flag raised 5 Mar (the 20 Feb one
    # is February's); the interim SPO recorded 6 Mar, in force from 7 Mar; breach 20 Mar. Updates
    # due 6 Mar (sent on time) and 11 Mar (sent the 12th). Warning visit started and completed
    # 2 Mar, programme started 10 Mar and going on: no treatment outcome. Open: no re-referral.
    # Victim measures 6 Mar (safety 3, wellbeing 4) and 28 Mar (6, 4).
    assert rows["A-C1"] == {
        "case": exports.pseudonym("s3cret", world.cases["A-C1"].pk),
        "opened_month": "2025-03",
        "closed_month": None,
        "source_agency_kind": "police",
        "days_to_decision": 6,
        "days_to_first_victim_contact": 9,
        "intake_risk": "not_assessed",
        "closing_risk": "high",
        "closure_reason": None,
        "incidents_per_30_days_before": 3.0,
        "incidents_per_30_days_after": 3.1,
        "days_after": 29,
        "red_flags_raised": 1,
        "orders_applied": 1,
        "orders_granted": 1,
        "breaches": 1,
        "vcop_updates_due": 2,
        "vcop_updates_on_time": 1,
        "interventions_started": 2,
        "interventions_completed": 1,
        "treatment_completed": None,
        "re_referred_within_12_months": None,
        "victim_safety_first": 3,
        "victim_safety_last": 6,
        "victim_wellbeing_first": 4,
        "victim_wellbeing_last": 4,
    }
    # C2: opened 4 Mar, closed 25 Mar (risk reduced, low). R2 received 2 Mar, decided 4 Mar: 2;
    # first contact 5 Mar: 3. Intake: the completed 4 Mar assessment, moderate (the 1 Mar high
    # is a draft). Incidents 5.0 / 15.0 over 22 days. Flag 21 Mar; DAPO applied 12 Mar, not
    # granted. Update due 15 Mar still open (the 19 Mar one withdrawn). Social support starts in
    # April. Its victim was referred again on 1 June 2025. Victim measures 5 Mar (5, 6) and 25 Mar
    # (4, 8); the 5 April one is after the period.
    assert {k: v for k, v in rows["A-C2"].items() if k != "case"} == {
        "opened_month": "2025-03",
        "closed_month": "2025-03",
        "source_agency_kind": "police",
        "days_to_decision": 2,
        "days_to_first_victim_contact": 3,
        "intake_risk": "moderate",
        "closing_risk": "low",
        "closure_reason": "risk_reduced",
        "incidents_per_30_days_before": 5.0,
        "incidents_per_30_days_after": 15.0,
        "days_after": 22,
        "red_flags_raised": 1,
        "orders_applied": 1,
        "orders_granted": 0,
        "breaches": 0,
        "vcop_updates_due": 1,
        "vcop_updates_on_time": 0,
        "interventions_started": 0,
        "interventions_completed": 0,
        "treatment_completed": None,
        "re_referred_within_12_months": True,
        "victim_safety_first": 5,
        "victim_safety_last": 4,
        "victim_wellbeing_first": 6,
        "victim_wellbeing_last": 8,
    }
    # C8: opened by hand 1 Feb (no referral: no agency, no decision); first victim contact 3 Mar,
    # 30 days after opening. Flag 29 Mar; the bail conditions are February's. The 31 Mar update
    # was sent at 00:30 on 1 April: late. Programme ended completed on 20 Mar.
    c8 = rows["A-C8"]
    assert (c8["opened_month"], c8["source_agency_kind"], c8["days_to_decision"]) == ("2025-02", None, None)
    assert (c8["days_to_first_victim_contact"], c8["closing_risk"], c8["red_flags_raised"]) == (30, "moderate", 1)
    assert (c8["orders_applied"], c8["vcop_updates_due"], c8["vcop_updates_on_time"]) == (0, 1, 0)
    assert (c8["interventions_started"], c8["interventions_completed"], c8["treatment_completed"]) == (0, 1, True)
    # C10: open all March, closed 10 Apr (the closure as it stands when exported); the restraining
    # order recorded 15 Feb started 1 Mar (granted, now expired); its breach on 2 Apr is April's;
    # its programme ended withdrawn on 25 Mar: false. Closed over a year ago, nobody came back.
    c10 = rows["A-C10"]
    assert (c10["closed_month"], c10["closure_reason"], c10["closing_risk"]) == ("2025-04", "risk_reduced", "low")
    assert (c10["orders_applied"], c10["orders_granted"], c10["breaches"]) == (0, 1, 0)
    assert (c10["treatment_completed"], c10["re_referred_within_12_months"]) == (False, False)
    assert (c10["days_to_first_victim_contact"], c10["incidents_per_30_days_after"]) == (None, 6.0)
    # C4: R11 (advocacy) 10 Jan -> 15 Jan: 5; contact 20 Jan: 10; intake the 16 Jan computed high.
    c4 = rows["A-C4"]
    assert (c4["source_agency_kind"], c4["days_to_decision"], c4["days_to_first_victim_contact"]) == (
        "advocacy",
        5,
        10,
    )
    assert (c4["intake_risk"], c4["closing_risk"], c4["closed_month"]) == ("high", "low", "2025-03")
    # C3: decided and contacted the day it came; closed 28 Mar, victim declined, still high.
    c3 = rows["A-C3"]
    assert (c3["days_to_decision"], c3["days_to_first_victim_contact"], c3["closure_reason"]) == (
        0,
        0,
        "victim_declined",
    )
    assert (c3["orders_applied"], c3["orders_granted"], c3["re_referred_within_12_months"]) == (1, 0, False)


def test_the_rows_add_up_to_the_dashboard_counts(world: World) -> None:
    # The same definitions: March's red flags raised (C1 5 Mar, C2 21 Mar, C8 29 Mar; C1's 20 Feb
    # is February's), orders and updates on time, summed over the rows, equal the unit's measures.
    from masip.reports import measures

    rows = _rows(world).values()
    scope = {"unit_ids": [world.unit_a.pk], "period": MARCH}
    flags = {c.key: c.count for c in measures.red_flags(**scope)}
    orders = {c.key: c.count for c in measures.orders(**scope)}
    vcop = {c.key: c.count for c in measures.vcop_on_time(**scope)}
    assert sum(r["red_flags_raised"] for r in rows) == flags["raised"] == 3
    assert sum(r["orders_applied"] for r in rows) == orders["applied"]
    assert sum(r["orders_granted"] for r in rows) == orders["granted"]
    assert sum(r["breaches"] for r in rows) == orders["breached"]
    assert sum(r["vcop_updates_on_time"] for r in rows) == vcop["on_time"]


def test_the_number_of_queries_does_not_grow_with_the_cases(world: World) -> None:
    with CaptureQueriesContext(connection) as few:
        exports.case_rows(unit_id=world.unit_a.pk, period=MARCH, secret="k")
    for n in range(8):
        case = CaseFactory(unit=world.unit_a, reference=f"A-X{n}", opened_at=at(d(3, 2)))
        RedFlagAlert.unscoped.create(
            case=case, rule_key="r", fingerprint=f"x{n}", title="t", explanation="e", occurred_on=d(3, 2)
        )
    with CaptureQueriesContext(connection) as many:
        rows = exports.case_rows(unit_id=world.unit_a.pk, period=MARCH, secret="k")
    assert len(rows) == 14
    assert len(many.captured_queries) == len(few.captured_queries) <= 12


def test_pseudonyms_are_stable_for_a_key_and_unlinkable_across_keys(world: World) -> None:
    first, again, other = _rows(world, "key-one"), _rows(world, "key-one"), _rows(world, "key-two")
    assert {r: row["case"] for r, row in first.items()} == {r: row["case"] for r, row in again.items()}
    assert not {row["case"] for row in first.values()} & {row["case"] for row in other.values()}
    assert all(re.fullmatch(r"C-[A-Z2-7]{12}", row["case"]) for row in first.values())


# --- the files -----------------------------------------------------------------------------------


def test_the_csv_reads_back_with_the_dictionary_columns_and_types(world: World, manager: Any, key: ExportKey) -> None:
    files = _files(_post(manager, key))
    assert set(files) == {"cases.csv", "data_dictionary.csv", "README.txt"}
    dictionary = _dictionary(files)
    assert dictionary.columns == ["column", "type", "meaning", "allowed_values", "how_computed"]
    schema = {row["column"]: POLARS_TYPES[row["type"]] for row in dictionary.iter_rows(named=True)}
    # Read with the dictionary's types: every value parses as its type.
    cases = pl.read_csv(files["cases.csv"], schema=schema)
    assert cases.columns == list(schema) == list(exports.COLUMN_NAMES)
    assert cases.height == 6
    # Read without being told: every column with a value comes back as the dictionary's type.
    inferred = pl.read_csv(files["cases.csv"])
    assert inferred.columns == list(schema)
    for name, dtype in inferred.schema.items():
        if inferred[name].null_count() < inferred.height:
            assert dtype == schema[name], name
    c1 = cases.filter(pl.col("case") == exports.pseudonym(key.secret, world.cases["A-C1"].pk)).row(0, named=True)
    assert c1["days_to_decision"] == 6
    assert c1["incidents_per_30_days_after"] == pytest.approx(3.1)
    assert c1["treatment_completed"] is None
    c8 = cases.filter(pl.col("case") == exports.pseudonym(key.secret, world.cases["A-C8"].pk)).row(0, named=True)
    assert c8["treatment_completed"] is True


def test_the_parquet_file_has_the_dictionary_types(world: World, manager: Any, key: ExportKey) -> None:
    files = _files(_post(manager, key, file_format="parquet"))
    assert set(files) == {"cases.parquet", "data_dictionary.csv", "README.txt"}
    dictionary = _dictionary(files)
    cases = pl.read_parquet(io.BytesIO(files["cases.parquet"]))
    assert cases.schema == pl.Schema(
        {row["column"]: POLARS_TYPES[row["type"]] for row in dictionary.iter_rows(named=True)}
    )
    assert cases.height == 6
    c2 = cases.filter(pl.col("case") == exports.pseudonym(key.secret, world.cases["A-C2"].pk)).row(0, named=True)
    assert (c2["victim_safety_first"], c2["victim_wellbeing_last"], c2["re_referred_within_12_months"]) == (5, 8, True)
    # The same rows as the CSV of the same key.
    csv = pl.read_csv(_files(_post(manager, key))["cases.csv"], schema=cases.schema)
    assert csv.sort("case").equals(cases.sort("case"))


def test_nothing_identifying_and_dates_only_as_months(world: World, manager: Any, key: ExportKey) -> None:
    for file_format in ("csv", "parquet"):
        files = _files(_post(manager, key, file_format=file_format))
        cases = (
            pl.read_parquet(io.BytesIO(files["cases.parquet"]))
            if file_format == "parquet"
            else pl.read_csv(files["cases.csv"], infer_schema=False)
        )
        cells = " ".join(str(value) for row in cases.iter_rows() for value in row if value is not None)
        text = b"\n".join(files.values())
        for case in world.cases.values():
            assert case.reference not in cells
            assert case.reference.encode() not in text
        people = CaseParticipant.unscoped.filter(case__unit=world.unit_a).select_related("person")
        for participant in people:
            for name in (participant.person.given_name, participant.person.family_name, participant.person.phone):
                assert name not in cells
                assert name.encode() not in text
        for words in ("Victim reports three new messages", "Approaches escalating", "Three approaches in a week"):
            assert words not in cells
            assert words.encode() not in text
        for agency in world.agencies.values():
            assert agency.name not in cells
        # No day anywhere: months only.
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", cells)
        for name in ("opened_month", "closed_month"):
            assert all(re.fullmatch(r"\d{4}-\d{2}", v) for v in cases[name].drop_nulls())


def test_an_empty_period_is_a_file_with_the_header_only(world: World, manager: Any, key: ExportKey) -> None:
    files = _files(_post(manager, key, start="2020-01-01", end="2020-01-31"))
    assert files["cases.csv"].decode() == ",".join(exports.COLUMN_NAMES) + "\n"
    assert "Rows: 0" in files["README.txt"].decode()
    parquet = _files(_post(manager, key, start="2020-01-01", end="2020-01-31", file_format="parquet"))
    frame = pl.read_parquet(io.BytesIO(parquet["cases.parquet"]))
    assert frame.height == 0
    assert frame.columns == list(exports.COLUMN_NAMES)
    assert EvaluationExport.objects.filter(rows=0).count() == 2


def test_the_readme_says_what_the_file_is(world: World, manager: Any, key: ExportKey) -> None:
    readme = _files(_post(manager, key))["README.txt"].decode()
    assert f"Unit: {world.unit_a.name}" in readme
    assert "Period: 01/03/2025 to 31/03/2025" in readme
    assert "Purpose: Process evaluation of the stalking units (ethics ref 2025/17)" in readme
    assert "Recipient: Dr R Evans, University of Anytown" in readme
    assert "Key: Evaluation 2025" in readme
    assert "Rows: 6" in readme
    assert "Generated at: " in readme
    for rule in ("months", "No names", "free text", "disclosure"):
        assert rule in readme


# --- the disclosure ------------------------------------------------------------------------------


def test_each_export_is_recorded_as_a_disclosure(world: World, manager: Any, key: ExportKey) -> None:
    import hashlib

    response = _post(manager, key)
    content = response.content
    record = EvaluationExport.objects.get()
    assert (record.unit, record.requested_by, record.key, record.identified) == (world.unit_a, manager, key, False)
    assert (record.start, record.end) == (date(2025, 3, 1), date(2025, 3, 31))
    assert (record.file_format, record.rows) == ("csv", 6)
    assert record.recipient == "Dr R Evans, University of Anytown"
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert record.file_name in response["Content-Disposition"]
    event = AuditEvent.objects.get(object_type="reports.evaluation_export")
    assert (event.action, event.actor, event.unit, event.object_id) == (
        AuditAction.DISCLOSE,
        manager,
        world.unit_a,
        str(record.pk),
    )
    assert event.detail["purpose"] == "Process evaluation of the stalking units (ethics ref 2025/17)"
    assert event.detail["recipient"] == "Dr R Evans, University of Anytown"
    assert event.detail["sha256"] == record.sha256
    assert event.detail["rows"] == 6
    # The disclosure names the cases the file holds, so it is found from each of them.
    exported = {world.cases[ref].pk for ref in ("A-C1", "A-C2", "A-C3", "A-C4", "A-C8", "A-C10")}
    assert set(event.detail["listed"]) == {str(pk) for pk in exported}
    # The list of exports shows it to whoever reads the unit's aggregates.
    analyst = member(Role.ANALYST, unit=world.unit_a)
    page = verified_client(analyst).get(reverse("reports:exports")).content.decode()
    for shown in ("Dr R Evans, University of Anytown", "ethics ref 2025/17", record.sha256, "01/03/2025 to 31/03/2025"):
        assert shown in page
    other = member(Role.ANALYST, unit=world.unit_b)
    assert record.sha256 not in verified_client(other).get(reverse("reports:exports")).content.decode()


def test_the_analyst_takes_pseudonymised_data(world: World, key: ExportKey) -> None:
    analyst = member(Role.ANALYST, unit=world.unit_a)
    page = verified_client(analyst).get(reverse("reports:export_new")).content.decode()
    assert "Case references instead of pseudonyms" not in page
    files = _files(_post(analyst, key))
    assert pl.read_csv(files["cases.csv"]).height == 6
    assert EvaluationExport.objects.get().requested_by == analyst


def test_an_analyst_asking_for_identified_data_is_refused_and_nothing_is_written(world: World, key: ExportKey) -> None:
    analyst = member(Role.ANALYST, unit=world.unit_a)
    client = verified_client(analyst)
    before = AuditEvent.objects.count()
    data = {**MARCH_FORM, "file_format": "csv", "key": key.pk, "recipient": "Dr R Evans", "purpose": "Study"}
    response = client.post(reverse("reports:export_new"), {**data, "identified": "1"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert "You can only receive pseudonymised data" in body
    assert "ask the unit manager" in body
    assert not EvaluationExport.objects.exists()
    assert not AuditEvent.objects.filter(object_type="reports.evaluation_export").exists()
    assert AuditEvent.objects.count() == before
    for case in world.cases.values():
        assert case.reference not in body


def test_the_unit_manager_may_take_an_identified_export_recorded_as_such(world: World, manager: Any) -> None:
    page = verified_client(manager).get(reverse("reports:export_new")).content.decode()
    assert "Case references instead of pseudonyms" in page
    files = _files(_post(manager, None, identified="on"))
    cases = pl.read_csv(files["cases.csv"])
    assert sorted(cases["case"]) == sorted(["A-C1", "A-C2", "A-C3", "A-C4", "A-C8", "A-C10"])
    assert "IDENTIFIED" in files["README.txt"].decode()
    record = EvaluationExport.objects.get()
    assert (record.identified, record.key, record.rows) == (True, None, 6)
    event = AuditEvent.objects.get(object_type="reports.evaluation_export")
    assert (event.action, event.detail["identified"]) == (AuditAction.DISCLOSE, True)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"purpose": ""}, "Enter the purpose of the export"),
        ({"recipient": "  "}, "Enter who receives the file"),
        ({"start": "2025-06-30", "end": "2025-04-01"}, "ends (01/04/2025) before it starts (30/06/2025)"),
        ({"start": "31/02/2025"}, "Enter a real date."),
        ({"file_format": "xlsx"}, "Choose CSV or Parquet."),
        ({"key": ""}, "Choose the export key that makes the pseudonyms."),
        ({"key": "999999"}, "Choose one of the unit&#x27;s active export keys."),
    ],
)
def test_bad_input_is_refused_with_what_to_do(world: World, manager: Any, key: ExportKey, values: Any, message: str):
    response = _post(manager, key, **values)
    assert response.status_code == 400
    body = response.content.decode()
    assert "govuk-error-summary" in body
    assert message in body
    assert not EvaluationExport.objects.exists()


def test_a_retired_key_or_another_units_key_cannot_be_used(world: World, manager: Any, key: ExportKey) -> None:
    other = export_key_create(actor=member(Role.UNIT_MANAGER, unit=world.unit_b), unit=world.unit_b, name="B study")
    assert _post(manager, other).status_code == 400
    client = verified_client(manager)
    client.post(reverse("reports:export_keys"), {"retire": key.pk})
    assert _post(manager, key).status_code == 400
    assert not EvaluationExport.objects.exists()


# --- the keys ------------------------------------------------------------------------------------


def test_the_unit_manager_creates_and_retires_keys_audited_secret_never_shown(world: World, manager: Any) -> None:
    client = verified_client(manager)
    response = client.post(reverse("reports:export_keys"), {"name": "Home Office evaluation"})
    assert response.status_code == 302
    key = ExportKey.objects.get()
    assert (key.unit, key.created_by, key.retired_at) == (world.unit_a, manager, None)
    assert len(key.secret) >= 43  # 32 random bytes, URL-safe base64
    page = client.get(reverse("reports:export_keys")).content.decode()
    assert "Home Office evaluation" in page
    assert key.secret not in page
    created = AuditEvent.objects.get(object_type="reports.export_key", action=AuditAction.CREATE)
    assert key.secret not in str(created.detail)
    # The same name again is refused with a message.
    again = client.post(reverse("reports:export_keys"), {"name": "Home Office evaluation"})
    assert again.status_code == 400
    assert "already has a key called" in again.content.decode()
    client.post(reverse("reports:export_keys"), {"retire": key.pk})
    key.refresh_from_db()
    assert key.retired_at is not None
    assert AuditEvent.objects.filter(object_type="reports.export_key", action=AuditAction.CHANGE).count() == 1
    form = client.get(reverse("reports:export_new")).content.decode()
    assert 'id="no-key"' in form


def test_an_analyst_sees_the_keys_but_cannot_create_them(world: World, key: ExportKey) -> None:
    analyst = member(Role.ANALYST, unit=world.unit_a)
    client = verified_client(analyst)
    page = client.get(reverse("reports:export_keys")).content.decode()
    assert "Evaluation 2025" in page
    assert "Create a key" not in page
    refused = client.post(reverse("reports:export_keys"), {"name": "Mine"})
    assert refused.status_code == 403
    assert client.post(reverse("reports:export_keys"), {"retire": key.pk}).status_code == 403
    key.refresh_from_db()
    assert key.retired_at is None
    assert ExportKey.objects.count() == 1


def test_roles_without_aggregates_are_refused(world: World) -> None:
    officer = member(Role.POLICE_INVESTIGATOR, unit=world.unit_a)
    client = verified_client(officer)
    for name in ("reports:exports", "reports:export_new", "reports:export_keys"):
        assert client.get(reverse(name)).status_code == 403


# --- the command ---------------------------------------------------------------------------------


def test_the_command_writes_a_recorded_pseudonymised_export(world: World, manager: Any, key: ExportKey, tmp_path):
    from django.core.management import CommandError, call_command

    out = tmp_path / "march.zip"
    common = [
        f"--unit={world.unit_a.code}",
        "--start=2025-03-01",
        "--end=31/03/2025",
        f"--key={key.name}",
        "--recipient=Dr R Evans",
        "--purpose=Quarterly extract",
        f"--out={out}",
    ]
    call_command("evaluation_export", *common, f"--by={manager.email}", "--format=parquet")
    frame = pl.read_parquet(io.BytesIO(zipfile.ZipFile(out).read("cases.parquet")))
    assert frame.height == 6
    record = EvaluationExport.objects.get()
    assert (record.requested_by, record.file_format, record.identified) == (manager, "parquet", False)
    # A member without the unit's aggregates is refused, and nothing is written.
    officer = member(Role.POLICE_INVESTIGATOR, unit=world.unit_a)
    with pytest.raises(CommandError, match="cannot take exports"):
        call_command("evaluation_export", *common[:-1], f"--out={tmp_path / 'x.zip'}", f"--by={officer.email}")
    with pytest.raises(CommandError, match="before it starts"):
        call_command(
            "evaluation_export",
            *common[:1],
            "--start=2025-04-01",
            *common[2:-1],
            f"--out={tmp_path / 'y.zip'}",
            f"--by={manager.email}",
        )
    assert EvaluationExport.objects.count() == 1
    assert not (tmp_path / "x.zip").exists()

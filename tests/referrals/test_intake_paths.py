"""The issue's whole path for the two ways in besides the web form: a referral sent by API or
imported from a police records file reaches the screening queue, its suspect is matched to the
perpetrator the unit knows from an earlier referral, it is screened and accepted, and whoever
sent it sees the decision (and never the unit's reasons). Every step goes through the real
HTTP stack: the API with a real token, the import and screening through their pages."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from masip.accounts.models import Role, Unit, User
from masip.api.services import api_token_issue
from masip.cases.models import Case, CaseParticipant
from masip.people.models import Person
from masip.referrals.models import Channel, Referral, ReferralSubject, SubjectRole
from masip.referrals.services import triage_decide
from tests.conftest import verified_client
from tests.factories import AgencyFactory, UnitFactory, member
from tests.referrals.helpers import SUSPECT, submitted_referral
from tests.referrals.import_helpers import POLICE, csv_bytes, good_row, latest_job, police_agency, upload
from tests.referrals.test_screening_pages import screening_answers, text

pytestmark = pytest.mark.django_db

REASONS = "Fixated former partner; threats escalating since the order was served."


def _known_perpetrator(unit: Unit, screener: User) -> Person:
    earlier = submitted_referral(unit=unit)
    triage_decide(
        actor=screener, referral=earlier, decision="accepted", reasons="High risk.", expected_version=earlier.version
    )
    return ReferralSubject.unscoped.get(referral=earlier, role=SubjectRole.SUSPECT).person


def _sent_by_api(unit: Unit) -> tuple[Referral, Any]:
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    issued = api_token_issue(
        actor=admin,
        unit=unit,
        role=Role.PARTNER_REFERRER,
        system_name="Force referral gateway",
        lifetime=timedelta(days=30),
        agency=AgencyFactory(),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.token}")
    today = timezone.localdate().isoformat()
    body = {
        "external_reference": "GW-2026-0420",
        "urgency": "urgent",
        "relationship": "ex_intimate",
        "behaviours": ["unwanted_communication", "turning_up", "threats"],
        "consent_to_referral": True,
        "consent_to_referral_on": today,
        "summary": "Messages every night; waits outside her work.",
        "victims": [{"given_name": "Carol", "family_name": "Nash", "date_of_birth": "1992-01-05"}],
        "suspects": [{"given_name": "Bob", "family_name": "Mason", "date_of_birth": SUSPECT.date_of_birth.isoformat()}],
    }
    response = client.post(reverse("api:referral-list"), json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    referral = Referral.unscoped.get(pk=response.json()["id"])
    assert referral.channel == Channel.API

    def sender_sees() -> dict[str, Any]:
        answer = client.get(reverse("api:referral-detail", kwargs={"referral_id": referral.pk}))
        assert answer.status_code == 200
        return dict(answer.json())

    return referral, sender_sees


def _imported(unit: Unit, importer: Client) -> tuple[Referral, Any]:
    row = good_row(
        "NP-77",
        victim_given_name="Carol",
        victim_family_name="Nash",
        victim_date_of_birth="05/01/1992",
        suspect_given_name="Bob",
        suspect_family_name="Mason",
        suspect_date_of_birth=SUSPECT.date_of_birth.strftime("%d/%m/%Y"),
    )
    assert upload(importer, csv_bytes([row])).status_code == 302
    job = latest_job(unit)
    confirmed = importer.post(reverse("referrals:import_confirm", kwargs={"import_id": job.pk}))
    assert confirmed.status_code == 302
    referral = Referral.unscoped.get(unit=unit, external_reference="NP-77")
    assert referral.channel == Channel.IMPORT
    assert referral.source_agency.name == POLICE

    def sender_sees() -> dict[str, Any]:
        # The importer made the referral on the force's behalf and follows it in "Your referrals".
        page = importer.get(reverse("referrals:mine"))
        assert page.status_code == 200
        words = text(page.content.decode())
        match = re.search(rf"{re.escape(referral.reference)}(.{{0,600}})", words)
        assert match, "the imported referral is not in the importer's referrals"
        return {"page": match.group(1), "whole": words}

    return referral, sender_sees


@pytest.mark.parametrize("way_in", ["api", "import"])
def test_a_referral_from_another_system_is_matched_screened_accepted_and_the_sender_sees_it(way_in: str) -> None:
    unit = UnitFactory()
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit, agency=police_agency())
    known = _known_perpetrator(unit, screener)
    client = verified_client(screener)

    if way_in == "api":
        referral, sender_sees = _sent_by_api(unit)
    else:
        referral, sender_sees = _imported(unit, client)

    # It reaches the screening queue.
    queue = client.get(reverse("referrals:queue")).content.decode()
    assert f'data-referral="{referral.reference}"' in queue

    # Its suspect "Bob Mason" is proposed as the Robert Mason the unit knows, with the reasons.
    screen = reverse("referrals:screen", kwargs={"referral_id": referral.pk})
    html = client.get(screen).content.decode()
    suspect = ReferralSubject.unscoped.get(referral=referral, role=SubjectRole.SUSPECT)
    table = re.search(rf'data-candidates="{suspect.pk}".*?</table>', html, re.S)
    assert table, "no candidates proposed for the suspect"
    words = text(table.group(0)).lower()
    assert "robert mason" in words
    assert "bob is a known form of robert" in words
    assert "same date of birth" in words
    link = reverse("referrals:subject_link", kwargs={"referral_id": referral.pk, "subject_id": suspect.pk})
    assert client.post(link, {"person_id": known.pk}).status_code == 302

    # Screened, then accepted: the case names the known perpetrator, not a new "Bob Mason".
    assert client.post(screen, screening_answers()).status_code == 302
    referral.refresh_from_db()
    decided = client.post(
        reverse("referrals:decide", kwargs={"referral_id": referral.pk}),
        {"decision": "accepted", "reasons": REASONS, "expected_version": referral.version},
    )
    assert decided.status_code == 302
    case = Case.unscoped.get(referrals=referral)
    assert decided["Location"] == reverse("cases:detail", kwargs={"case_id": case.pk})
    perpetrators = CaseParticipant.unscoped.filter(case=case, role="suspect").values_list("person_id", flat=True)
    assert list(perpetrators) == [known.pk]
    assert not Person.unscoped.filter(unit=unit, given_name="Bob").exists()
    assert Person.unscoped.filter(unit=unit, given_name="Carol", date_of_birth=date(1992, 1, 5)).exists()

    # Whoever sent it sees the decision, never the unit's reasons or the case.
    seen = sender_sees()
    if way_in == "api":
        assert seen["status"] == "decided"
        assert seen["decision_label"] == "Accepted for unit risk management"
        assert REASONS not in json.dumps(seen)
        assert case.reference not in json.dumps(seen)
    else:
        assert "Accepted for unit risk management" in seen["page"]
        assert REASONS not in seen["whole"]

"""Two screeners deciding the same referral at the same moment, on real connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from masip.accounts.models import Role
from masip.cases.models import Case
from masip.core.models import StaleEditError
from masip.referrals.models import Referral, TriageDecision
from masip.referrals.services import triage_decide
from tests.factories import UnitFactory, member

from .helpers import UNIDENTIFIED, VICTIM, submitted_referral


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections (PostgreSQL)")
def test_only_one_of_two_simultaneous_decisions_lands(transactional_db: None) -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit, subjects=(VICTIM, UNIDENTIFIED))
    screeners = [member(Role.CLINICIAN, unit=unit), member(Role.POLICE_INVESTIGATOR, unit=unit)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(screener: object, decision: str) -> None:
        from django.db import connections

        seen = Referral.unscoped.get(pk=referral.pk)
        start.wait()
        try:
            triage_decide(
                actor=screener,
                referral=seen,
                decision=decision,
                reasons="Decided at the same moment.",
                expected_version=seen.version,
            )
            outcomes.append("decided")
        except StaleEditError:
            outcomes.append("stale")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(screeners[0], TriageDecision.ACCEPTED)),
        threading.Thread(target=decide, args=(screeners[1], TriageDecision.SIGNPOSTED)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["decided", "stale"]
    stored = Referral.unscoped.get(pk=referral.pk)
    assert stored.version == referral.version + 1
    # A case exists exactly when the accepting screener won.
    assert Case.unscoped.filter(unit=unit).count() == (1 if stored.decision == TriageDecision.ACCEPTED else 0)

"""Whole referrals from other systems (API, file import): received whole or not at all, and a
resend under the same external reference never makes a second referral."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from masip.referrals.models import Channel, Referral, ReferralStatus, ReferralSubject
from masip.referrals.services import ExternalReferenceConflict, referral_receive
from tests.factories import UnitFactory
from tests.referrals.helpers import complete_draft, referrer_in

pytestmark = pytest.mark.django_db


def test_a_whole_referral_is_received_in_one_step():
    unit = UnitFactory()
    sender = referrer_in(unit)
    referral, created = referral_receive(
        actor=sender, unit=unit, draft=complete_draft(external_reference=" PR-1 "), channel=Channel.API
    )
    assert created
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.channel == Channel.API
    assert referral.external_reference == "PR-1"
    assert referral.decision_deadline is not None
    assert ReferralSubject.unscoped.filter(referral=referral).count() == 2


def test_the_same_send_twice_returns_the_first_referral_and_writes_nothing():
    unit = UnitFactory()
    sender = referrer_in(unit)
    first, _ = referral_receive(actor=sender, unit=unit, draft=complete_draft(external_reference="PR-2"), channel="api")
    again, created = referral_receive(
        actor=sender, unit=unit, draft=complete_draft(external_reference="PR-2"), channel="api"
    )
    assert not created
    assert again.pk == first.pk
    assert Referral.unscoped.filter(unit=unit).count() == 1


def test_different_content_under_a_used_reference_is_refused_and_changes_nothing():
    unit = UnitFactory()
    sender = referrer_in(unit)
    first, _ = referral_receive(actor=sender, unit=unit, draft=complete_draft(external_reference="PR-3"), channel="api")
    with pytest.raises(ExternalReferenceConflict) as refused:
        referral_receive(
            actor=sender,
            unit=unit,
            draft=complete_draft(external_reference="PR-3", summary="Something else entirely"),
            channel="api",
        )
    assert first.reference in str(refused.value)
    first.refresh_from_db()
    assert first.summary == complete_draft().summary
    assert Referral.unscoped.filter(unit=unit).count() == 1


def test_an_incomplete_referral_writes_nothing():
    unit = UnitFactory()
    sender = referrer_in(unit)
    with pytest.raises(ValidationError) as refused:
        referral_receive(
            actor=sender, unit=unit, draft=complete_draft(external_reference="PR-4", subjects=()), channel="import"
        )
    assert "victims" in refused.value.message_dict
    assert not Referral.unscoped.filter(unit=unit).exists()
    assert not ReferralSubject.unscoped.filter(referral__unit=unit).exists()


def test_other_systems_must_give_their_own_reference():
    unit = UnitFactory()
    with pytest.raises(ValidationError) as refused:
        referral_receive(actor=referrer_in(unit), unit=unit, draft=complete_draft(), channel="api")
    assert "external_reference" in refused.value.message_dict


def test_a_system_that_sent_by_api_is_not_emailed_the_advice(mailoutbox, django_capture_on_commit_callbacks):
    from masip.accounts.models import Role
    from masip.referrals.services import triage_decide
    from tests.factories import AgencyFactory, member

    unit = UnitFactory()
    system = member(Role.PARTNER_REFERRER, unit=unit, agency=AgencyFactory(), is_service_account=True)
    person = referrer_in(unit)
    screener = member(Role.UNIT_MANAGER, unit=unit)
    sent, _ = referral_receive(actor=system, unit=unit, draft=complete_draft(external_reference="PR-5"), channel="api")
    typed, _ = referral_receive(actor=person, unit=unit, draft=complete_draft(external_reference="PR-6"), channel="api")
    with django_capture_on_commit_callbacks(execute=True):
        for referral in (sent, typed):
            triage_decide(
                actor=screener,
                referral=referral,
                decision="partner_managed",
                reasons="Low risk at present; the force keeps it.",
                advice="Apply for a stalking protection order.",
                expected_version=referral.version,
            )
    assert [m.to for m in mailoutbox] == [[person.email]]

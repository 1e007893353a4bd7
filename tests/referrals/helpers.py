"""Building referrals the way users do: through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from masip.accounts.models import Role, Unit, User
from masip.referrals.models import Referral, SubjectRole, Urgency
from masip.referrals.services import ReferralDraft, SubjectEntry, referral_save_draft, referral_submit
from tests.factories import AgencyFactory, member

VICTIM = SubjectEntry(
    role=SubjectRole.VICTIM,
    given_name="Alice",
    family_name="Hart",
    date_of_birth=date(1990, 4, 12),
    phone="07700 900111",
)
SUSPECT = SubjectEntry(
    role=SubjectRole.SUSPECT, given_name="Robert", family_name="Mason", date_of_birth=date(1985, 2, 3)
)
UNIDENTIFIED = SubjectEntry(role=SubjectRole.SUSPECT, unidentified=True)


def referrer_in(unit: Unit) -> User:
    return member(Role.PARTNER_REFERRER, unit=unit, agency=AgencyFactory())


def complete_draft(**overrides: Any) -> ReferralDraft:
    values: dict[str, Any] = {
        "urgency": Urgency.URGENT,
        "relationship": "ex_intimate",
        "behaviours": ("unwanted_communication", "turning_up"),
        "crime_reference": "CR/1234/26",
        "consent_to_referral": True,
        "consent_to_referral_on": timezone.localdate(),
        "consent_to_sharing": True,
        "consent_to_sharing_on": timezone.localdate(),
        "summary": "Messages every night since the separation; waits outside her work.",
        "subjects": (VICTIM, SUSPECT),
    }
    values.update(overrides)
    return ReferralDraft(**values)


def submitted_referral(*, unit: Unit, referrer: User | None = None, **overrides: Any) -> Referral:
    referrer = referrer or referrer_in(unit)
    referral = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(**overrides))
    return referral_submit(actor=referrer, referral=referral, expected_version=referral.version)

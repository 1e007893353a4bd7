"""Test data. Each factory puts its object in a *different* unit and agency by default, so
access is only ever granted explicitly: a test that forgets a grant fails instead of passing."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.access.models import CaseRole, CaseTeamMember
from masip.accounts.models import Agency, AgencyKind, Membership, Role, Unit, User
from masip.cases.models import Case, CaseNote, CaseParticipant, ParticipantRole
from masip.people.models import Person
from masip.referrals.models import Referral

PASSWORD = "correct horse battery staple 42"


class CaseDataFactory(factory.django.DjangoModelFactory):
    """Case data is written through the model's `unscoped` manager: `objects` only answers
    `visible_to(user)`."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class: Any) -> Any:
        return model_class._default_manager


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = AgencyKind.POLICE


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"Stalking Unit {n}")
    code = factory.Sequence(lambda n: f"U{n}")
    lead_agency = factory.SubFactory(AgencyFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Test User {n}")
    agency = factory.SubFactory(AgencyFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    role = Role.POLICE_INVESTIGATOR


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Authenticator app"
    confirmed = True


class CaseFactory(CaseDataFactory):
    class Meta:
        model = Case

    unit = factory.SubFactory(UnitFactory)
    reference = factory.Sequence(lambda n: f"CASE-{n:05d}")
    summary = "Ex-partner sending repeated messages and appearing outside the victim's workplace."
    opened_at = factory.LazyFunction(timezone.now)


class PersonFactory(CaseDataFactory):
    class Meta:
        model = Person

    unit = factory.SubFactory(UnitFactory)
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    address = "12 Example Street, Anytown, AN1 2BC"
    phone = "07700 900123"


class ParticipantFactory(CaseDataFactory):
    class Meta:
        model = CaseParticipant

    case = factory.SubFactory(CaseFactory)
    person = factory.SubFactory(PersonFactory, unit=factory.SelfAttribute("..case.unit"))
    role = ParticipantRole.VICTIM


class CaseNoteFactory(CaseDataFactory):
    class Meta:
        model = CaseNote

    case = factory.SubFactory(CaseFactory)
    body = "Victim reports three new messages since Monday."


class ReferralFactory(CaseDataFactory):
    class Meta:
        model = Referral

    unit = factory.SubFactory(UnitFactory)
    reference = factory.Sequence(lambda n: f"REF-{n:05d}")
    source_agency = factory.SubFactory(AgencyFactory)
    summary = "Referral from response officer."
    received_at = factory.LazyFunction(timezone.now)


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseTeamMember

    case = factory.SubFactory(CaseFactory)
    user = factory.SubFactory(UserFactory)
    role_on_case = CaseRole.INVESTIGATOR
    purpose = "Allocated by the unit manager"


def member(role: str, unit: Unit | None = None, **user_kwargs: Any) -> User:
    """A user holding `role` in `unit` (a new unit when none is given), with a TOTP device."""
    user = UserFactory(**user_kwargs)
    MembershipFactory(user=user, unit=unit or UnitFactory(), role=role)
    TOTPDeviceFactory(user=user)
    return user

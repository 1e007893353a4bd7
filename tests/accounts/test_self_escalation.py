"""Nobody who administers members can give themself (or an account they hold the link to) a role.

The scenarios a security review proved: a system administrator turning their own role into
unit manager, a unit manager inviting themself as a clinician to read clinical notes, and
someone accepting an invitation meant for another person's existing account. Plus the
detective control: granting a role that sees case data is told to the unit's other managers.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.access.policy import Compartment
from masip.accounts import services
from masip.accounts.models import Invitation, Membership, MembershipStatus, Role
from masip.audit.models import AuditAction, AuditEvent
from tests.accounts.signin import current_code, post_password
from tests.conftest import verified_client
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    CaseFactory,
    CaseNoteFactory,
    MembershipFactory,
    ParticipantFactory,
    TeamMemberFactory,
    UnitFactory,
    member,
)

pytestmark = pytest.mark.django_db

OWN_ROLES = "You cannot change your own roles. Ask another unit manager or a system administrator."
SECRET_ADDRESS = "99 Secret Lane, Hideaway"
CLINICAL_NOTE = "Caldicott: psychiatric history XYZZY"


def _admin_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.ADMIN).order_by("seq"))


def _invite(client: Client, unit, *, email: str, role: str, full_name: str = "Invited Person"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("accounts:invite"),
            {"full_name": full_name, "email": email, "agency": AgencyFactory().pk, "unit": unit.pk, "role": role},
        )


def _emailed_path(email: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [email] and "invited" in m.subject]
    match = re.search(r"^(http\S+/accounts/invitation/\S+/)$", message.body, re.MULTILINE)
    assert match, message.body
    return urlsplit(match.group(1)).path


def _open_invitation(*, email: str, unit, role: str = Role.CLINICIAN, invited_by=None) -> str:
    """An invitation as `membership_invite` leaves it; returns the path of its link."""
    token, token_hash = Invitation.new_token()
    Invitation.objects.create(
        email=email,
        full_name="Invited Person",
        unit=unit,
        role=role,
        agency=unit.lead_agency,
        token_hash=token_hash,
        invited_by=invited_by or member(Role.UNIT_MANAGER, unit=unit),
        expires_at=timezone.now() + timedelta(days=7),
    )
    return reverse("accounts:accept_invitation", kwargs={"token": token})


def _case_notices() -> list:
    return [m for m in mail.outbox if "now has the role" in m.subject]


# --- the reviewer's scenarios ------------------------------------------------------------


def test_system_administrator_cannot_turn_own_role_into_unit_manager_and_read_the_victims_address():
    case = CaseFactory()
    ParticipantFactory(case=case, person__address=SECRET_ADDRESS)
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=case.unit)
    own = Membership.objects.get(user=admin)
    client = verified_client(admin)
    url = reverse("accounts:membership_change_role", args=[own.pk])

    page = client.get(url)
    assert OWN_ROLES in page.content.decode()
    assert 'name="role"' not in page.content.decode()  # no form to submit
    response = client.post(url, {"role": Role.UNIT_MANAGER}, follow=True)
    assert response.status_code == 200

    own.refresh_from_db()
    assert own.role == Role.SYSTEM_ADMINISTRATOR
    assert not _admin_events()
    case_page = client.get(reverse("cases:detail", args=[case.pk]))
    assert case_page.status_code in (403, 404)
    assert SECRET_ADDRESS.encode() not in case_page.content


def test_unit_manager_cannot_invite_themselves_as_clinician_and_read_health_notes():
    case = CaseFactory()
    CaseNoteFactory(case=case, compartment=Compartment.HEALTH, body=CLINICAL_NOTE)
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    client = verified_client(manager)

    response = _invite(client, case.unit, email=manager.email.upper(), role=Role.CLINICIAN)
    assert services.OWN_INVITATION_REFUSED in response.content.decode()
    assert not Invitation.objects.exists()
    assert not mail.outbox
    assert not _admin_events()
    assert list(manager.memberships.values_list("role", flat=True)) == [Role.UNIT_MANAGER]
    assert CLINICAL_NOTE.encode() not in client.get(reverse("cases:detail", args=[case.pk])).content


def test_accepting_someone_elses_invitation_while_signed_out_adds_nothing():
    unit = UnitFactory()
    owner = member(Role.CLINICIAN)
    path = _open_invitation(email=owner.email, unit=unit, role=Role.OUTREACH_WORKER)
    stranger = Client()  # e.g. the manager who sent it, or whoever saw the email

    page = stranger.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Sign in as {owner.email} first, then open the link again." in text
    sign_in_link = f"{reverse('accounts:login')}?next={path.replace('/', '%2F')}"
    assert f'href="{sign_in_link}"' in text
    assert "Accept the role" not in text

    refused = stranger.post(path, {})
    assert refused.status_code == 403
    assert not owner.memberships.filter(unit=unit).exists()
    assert Invitation.objects.get().is_open  # still there for its owner
    denied = AuditEvent.objects.filter(action=AuditAction.DENIED).last()
    assert denied is not None
    assert (denied.object_type, denied.object_id) == ("accounts.invitation", str(Invitation.objects.get().pk))


def test_accepting_someone_elses_invitation_while_signed_in_as_another_user_adds_nothing():
    unit = UnitFactory()
    owner = member(Role.CLINICIAN)
    other = member(Role.POLICE_INVESTIGATOR)
    path = _open_invitation(email=owner.email, unit=unit)
    client = verified_client(other)

    text = client.get(path).content.decode()
    assert f"Sign in as {owner.email} first, then open the link again." in text
    assert f"You are signed in as {other.email}" in text
    assert client.post(path, {}).status_code == 403
    assert not Membership.objects.filter(unit=unit, role=Role.CLINICIAN).exists()
    assert not other.memberships.filter(unit=unit).exists()
    assert Invitation.objects.get().is_open
    assert client.get(reverse("accounts:profile")).status_code == 200  # not signed out by the refusal

    # The page's button signs them out and sends them to sign in, back to the invitation after.
    out = client.post(reverse("accounts:logout"), {"next": path})
    assert out["Location"] == f"{reverse('accounts:login')}?next={path.replace('/', '%2F')}"


def test_the_owner_with_only_the_password_typed_must_finish_signing_in_first():
    unit = UnitFactory()
    owner = member(Role.CLINICIAN)
    path = _open_invitation(email=owner.email, unit=unit)
    client = Client()
    post_password(client, owner.email)

    page = client.get(path)
    assert f'href="{reverse("accounts:second_factor")}?next=' in page.content.decode()
    assert client.post(path, {}).status_code == 403
    assert not owner.memberships.filter(unit=unit).exists()


def test_the_owner_signs_in_through_the_link_and_comes_back_to_accept():
    unit = UnitFactory()
    owner = member(Role.CLINICIAN)
    path = _open_invitation(email=owner.email, unit=unit, role=Role.OUTREACH_WORKER)
    client = Client()
    to_sign_in = client.get(path).context["continue_url"]

    after_password = client.post(to_sign_in, {"email": owner.email, "password": PASSWORD})
    code = current_code(TOTPDevice.objects.get(user=owner))
    back = client.post(after_password["Location"], {"code": code})
    assert back["Location"] == path
    accepted = client.post(path, {})
    assert accepted["Location"] == reverse("home")
    assert owner.memberships.filter(unit=unit, role=Role.OUTREACH_WORKER, status=MembershipStatus.ACTIVE).exists()
    event = _admin_events()[-1]
    assert (event.actor_id, event.detail["operation"], event.fields) == (
        owner.pk,
        "invitation_accept",
        ["role", "status"],
    )


def test_system_administrator_does_not_see_the_link_of_an_invitation_it_sends():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    response = _invite(verified_client(admin), unit, email="puppet@example.org", role=Role.UNIT_MANAGER)
    path = _emailed_path("puppet@example.org")
    assert response.status_code == 200
    assert path.encode() not in response.content
    assert b"/accounts/invitation/" not in response.content


# --- the services refuse on their own ----------------------------------------------------


@pytest.mark.parametrize(
    ("role", "to", "also"),
    [
        (Role.SYSTEM_ADMINISTRATOR, Role.UNIT_MANAGER, None),
        # With a second way to manage the unit, the old "last managing role" guard let this through.
        (Role.UNIT_MANAGER, Role.CLINICIAN, Role.SYSTEM_ADMINISTRATOR),
    ],
)
def test_change_role_refuses_the_actors_own_membership(role, to, also):
    unit = UnitFactory()
    actor = member(role, unit=unit)
    if also:
        MembershipFactory(user=actor, unit=unit, role=also)
    own = actor.memberships.get(role=role)
    with pytest.raises(services.AccountAdminError, match="You cannot change your own roles"):
        services.membership_change_role(membership=own, role=to, actor=actor)
    own.refresh_from_db()
    assert own.role == role
    assert not _admin_events()


def test_nobody_reinstates_their_own_suspended_role():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    clinical = MembershipFactory(user=manager, unit=unit, role=Role.CLINICIAN, status=MembershipStatus.SUSPENDED)
    with pytest.raises(services.AccountAdminError, match="You cannot change your own roles"):
        services.membership_reinstate(membership=clinical, actor=manager)

    client = verified_client(manager)
    url = reverse("accounts:membership_reinstate", args=[clinical.pk])
    assert OWN_ROLES in client.get(url).content.decode()
    client.post(url)
    clinical.refresh_from_db()
    assert clinical.status == MembershipStatus.SUSPENDED
    assert not _admin_events()
    members_page = client.get(reverse("accounts:members")).content.decode()
    assert url not in members_page
    assert reverse("accounts:membership_change_role", args=[clinical.pk]) not in members_page


def test_invite_service_refuses_the_actors_own_address():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    with pytest.raises(services.AccountAdminError, match="You cannot invite yourself"):
        services.membership_invite(
            actor=manager,
            email=f"  {manager.email.upper()} ",
            full_name="Me",
            agency=unit.lead_agency,
            unit=unit,
            role=Role.CLINICIAN,
            site_url="http://testserver",
        )
    assert not Invitation.objects.exists()


def test_accept_service_needs_the_owner_as_actor():
    unit = UnitFactory()
    owner = member(Role.CLINICIAN)
    other = member(Role.UNIT_MANAGER, unit=unit)
    token = _open_invitation(email=owner.email, unit=unit).rstrip("/").rsplit("/", 1)[1]
    for actor in (None, other):
        with pytest.raises(services.AccountAdminError, match=f"Sign in as {re.escape(owner.email)} first"):
            services.invitation_accept(token=token, full_name="", password=None, actor=actor)
    assert not owner.memberships.filter(unit=unit).exists()
    assert not _admin_events()
    services.invitation_accept(token=token, full_name="", password=None, actor=owner)
    assert owner.memberships.filter(unit=unit, role=Role.CLINICIAN).exists()


def test_an_invitation_someone_sent_to_themself_earlier_grants_nothing():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    path = _open_invitation(email=manager.email, unit=unit, invited_by=manager)
    response = verified_client(manager).post(path, {})
    assert services.OWN_INVITATION_REFUSED in response.content.decode()
    assert list(manager.memberships.values_list("role", flat=True)) == [Role.UNIT_MANAGER]


# --- the detective control ---------------------------------------------------------------


def _unit_with_managers():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit, full_name="Sam Admin")
    first = member(Role.UNIT_MANAGER, unit=unit, full_name="Una Manager")
    second = member(Role.UNIT_MANAGER, unit=unit, full_name="Mo Manager")
    member(Role.UNIT_MANAGER, full_name="Elsewhere Manager")  # another unit: not told
    return unit, admin, first, second


def test_managers_are_told_when_an_invitation_to_a_case_role_is_accepted():
    unit, _admin, first, second = _unit_with_managers()
    case = CaseFactory(unit=unit, summary="Victim fears for her life at 12 Hidden Road")
    TeamMemberFactory(case=case, user=first)
    _invite(verified_client(first), unit, email="new.clinician@example.org", role=Role.CLINICIAN, full_name="Nia New")
    path = _emailed_path("new.clinician@example.org")
    password = "a long and unguessable passphrase 93"
    with TestCase.captureOnCommitCallbacks(execute=True):
        Client().post(path, {"full_name": "Nia New", "password1": password, "password2": password})

    notices = _case_notices()
    assert [m.to[0] for m in notices] == [second.email]  # not the granter
    body = notices[0].body
    for expected in ("Nia New", "new.clinician@example.org", "Clinician", unit.name, "Una Manager"):
        assert expected in body
    assert "Hidden Road" not in body
    assert case.reference not in body


def test_managers_are_told_of_a_role_change_to_a_case_role_but_not_to_one_without_case_data():
    unit, _, first, second = _unit_with_managers()
    colleague = member(Role.TRAINER, unit=unit, full_name="Tess Trainer")
    membership = colleague.memberships.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.membership_change_role(membership=membership, role=Role.ANALYST, actor=first)
    assert not _case_notices()

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.membership_change_role(membership=membership, role=Role.CLINICIAN, actor=first)
    (notice,) = _case_notices()
    assert notice.to == [second.email]  # the actor is not told of their own change
    assert "Tess Trainer" in notice.body
    assert "Clinician" in notice.body
    assert "Una Manager" in notice.body


def test_managers_are_told_when_a_case_role_is_reinstated():
    unit, admin, first, second = _unit_with_managers()
    colleague = member(Role.POLICE_INVESTIGATOR, unit=unit)
    membership = colleague.memberships.get()
    services.membership_suspend(membership=membership, actor=admin)  # taking access away: anyone managing members
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.membership_reinstate(membership=membership, actor=first)  # giving it back: a unit manager
    assert [m.to[0] for m in _case_notices()] == [second.email]


def test_nothing_is_told_when_the_change_is_refused():
    _, admin, _, _ = _unit_with_managers()
    with TestCase.captureOnCommitCallbacks(execute=True), pytest.raises(services.AccountAdminError):
        services.membership_change_role(membership=admin.memberships.get(), role=Role.UNIT_MANAGER, actor=admin)
    assert not mail.outbox


def test_managers_are_told_when_an_account_with_a_case_role_is_reinstated():
    unit, admin, first, second = _unit_with_managers()
    colleague = member(Role.STALKING_ADVOCATE, unit=unit, full_name="Ada Advocate")
    services.user_suspend(user=colleague, actor=admin)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.user_reinstate(user=colleague, actor=admin)
    notices = _case_notices()
    assert sorted(m.to[0] for m in notices) == sorted([first.email, second.email])
    assert "Ada Advocate" in notices[0].body
    assert "account reinstated by Sam Admin" in notices[0].body


# --- separation of duties: system administrators give no role that sees case data ------------


@pytest.mark.parametrize("role", [Role.UNIT_MANAGER, Role.POLICE_INVESTIGATOR, Role.CLINICIAN, Role.SUPPORT_OFFICER])
def test_system_administrator_cannot_give_a_case_role_in_a_unit_with_a_manager(role):
    unit, admin, _first, _second = _unit_with_managers()
    response = _invite(verified_client(admin), unit, email="someone@example.org", role=role)
    assert response.status_code == 200
    assert not Invitation.objects.filter(email="someone@example.org").exists()
    assert not [m for m in mail.outbox if m.to == ["someone@example.org"]]
    with pytest.raises(services.AccountAdminError, match="unit's manager"):
        services.membership_change_role(
            membership=member(Role.TRAINER, unit=unit).memberships.get(), role=role, actor=admin
        )


def test_system_administrator_cannot_reinstate_a_case_role_but_can_suspend_it():
    unit, admin, _first, _second = _unit_with_managers()
    membership = member(Role.CLINICIAN, unit=unit).memberships.get()
    services.membership_suspend(membership=membership, actor=admin)
    with pytest.raises(services.AccountAdminError, match="unit's manager"):
        services.membership_reinstate(membership=membership, actor=admin)


def test_system_administrator_appoints_the_first_manager_of_a_unit_without_one():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    _invite(verified_client(admin), unit, email="first.manager@example.org", role=Role.UNIT_MANAGER)
    assert _emailed_path("first.manager@example.org")
    assert services.grant_refusal(admin, unit.pk, Role.CLINICIAN) is not None  # still no case roles


def test_system_administrator_still_gives_roles_without_case_data():
    unit, admin, _first, _second = _unit_with_managers()
    for role in (Role.ANALYST, Role.TRAINER, Role.PARTNER_REFERRER, Role.SYSTEM_ADMINISTRATOR):
        assert services.grant_refusal(admin, unit.pk, role) is None


def test_the_invitation_form_offers_only_roles_the_inviter_may_give():
    _unit, admin, first, _second = _unit_with_managers()
    offered = verified_client(admin).get(reverse("accounts:invite")).content.decode()
    assert 'value="clinician"' not in offered
    assert 'value="analyst"' in offered
    offered = verified_client(first).get(reverse("accounts:invite")).content.decode()
    assert 'value="clinician"' in offered
    assert 'value="system_administrator"' not in offered

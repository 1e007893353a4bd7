"""Member administration: invitations, roles, suspensions, unlocking; scoped, and each change audited."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Invitation, Membership, MembershipStatus, Role, User
from masip.accounts.services import INVITATION_NOT_VALID
from masip.audit.models import AuditAction, AuditEvent
from tests.accounts.signin import post_password
from tests.conftest import verified_client
from tests.factories import AgencyFactory, MembershipFactory, UnitFactory, member

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 7"


def _admin_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.ADMIN).order_by("seq"))


def _invite(client: Client, unit, role: str = Role.OUTREACH_WORKER, email: str = "new.person@example.org"):
    # The invitation email goes out once the transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("accounts:invite"),
            {
                "full_name": "New Person",
                "email": email,
                "agency": AgencyFactory().pk,
                "unit": unit.pk,
                "role": role,
            },
        )


def _emailed_link(email: str = "new.person@example.org") -> str:
    """The invitation link from the last email sent to `email`: the only place it appears."""
    (message, *_) = [m for m in reversed(mail.outbox) if m.to == [email.lower()]]
    match = re.search(r"^(http\S+/accounts/invitation/\S+/)$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def _path(link: str) -> str:
    return urlsplit(link).path


# --- invitations ------------------------------------------------------------------------


def test_manager_invites_someone_who_accepts_and_can_then_sign_in():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    response = _invite(verified_client(manager), unit)
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.org"]
    link = _emailed_link()
    invitation = Invitation.objects.get()
    page = response.content.decode()
    # Emailed only: on the page the inviter could open it themself and claim the account.
    assert _path(link) not in page
    assert "/accounts/invitation/" not in page
    assert "We have emailed the invitation link to new.person@example.org" in page
    assert timezone.localtime(invitation.expires_at).strftime("%-d %B %Y") in page
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash  # only the hash is kept
    invited = _admin_events()[-1]
    assert (invited.actor_id, invited.unit_id, invited.detail["operation"]) == (
        manager.pk,
        unit.pk,
        "membership_invite",
    )

    visitor = Client()
    form = visitor.get(_path(link))
    assert form.status_code == 200
    response = visitor.post(
        _path(link), {"full_name": "New Person", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response["Location"] == reverse("accounts:login")
    user = User.objects.get(email="new.person@example.org")
    assert user.check_password(NEW_PASSWORD)
    assert list(user.memberships.values_list("unit_id", "role", "granted_by_id")) == [
        (unit.pk, Role.OUTREACH_WORKER, manager.pk)
    ]
    accepted = _admin_events()[-1]
    assert (accepted.actor_id, accepted.detail["operation"]) == (user.pk, "invitation_accept")
    assert post_password(Client(), user.email, NEW_PASSWORD)["Location"] == reverse("accounts:second_factor")

    again = Client().get(_path(link))  # one use only
    assert again.status_code == 404
    assert INVITATION_NOT_VALID in again.content.decode()


def test_invitation_refuses_a_weak_or_mismatched_password():
    unit = UnitFactory()
    response = _invite(verified_client(member(Role.UNIT_MANAGER, unit=unit)), unit)
    assert response.status_code == 200
    path = _path(_emailed_link())
    weak = Client().post(path, {"full_name": "New Person", "password1": "short", "password2": "short"})
    assert weak.status_code == 200
    assert "too short" in weak.content.decode()
    mismatch = Client().post(path, {"full_name": "N", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})
    assert "The passwords do not match" in mismatch.content.decode()
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_invitation_of_an_existing_user_adds_the_role_once_they_accept_signed_in_and_keeps_their_password():
    unit = UnitFactory()
    existing = member(Role.CLINICIAN)
    _invite(verified_client(member(Role.UNIT_MANAGER, unit=unit)), unit, email=existing.email.upper())
    path = _path(_emailed_link(existing.email))
    owner = verified_client(existing)
    page = owner.get(path)
    assert f"You are signed in as {existing.email}" in page.content.decode()
    response = owner.post(path, {})
    assert response["Location"] == reverse("home")
    assert existing.memberships.filter(unit=unit, role=Role.OUTREACH_WORKER, status=MembershipStatus.ACTIVE).exists()
    assert owner.get(reverse("home")).status_code == 200  # still signed in, with the new role
    existing.refresh_from_db()
    assert post_password(Client(), existing.email).status_code == 302  # the old password still works


@pytest.mark.parametrize("problem", ["unknown", "expired", "revoked"])
def test_broken_invitation_links_get_the_same_clear_refusal(problem):
    unit = UnitFactory()
    token, token_hash = Invitation.new_token()
    if problem != "unknown":
        Invitation.objects.create(
            email="late@example.org",
            full_name="Late Person",
            unit=unit,
            role=Role.OUTREACH_WORKER,
            agency=unit.lead_agency,
            token_hash=token_hash,
            invited_by=member(Role.UNIT_MANAGER, unit=unit),
            expires_at=timezone.now() + (timedelta(days=-1) if problem == "expired" else timedelta(days=1)),
            revoked_at=timezone.now() if problem == "revoked" else None,
        )
    path = reverse("accounts:accept_invitation", kwargs={"token": token})
    for response in (
        Client().get(path),
        Client().post(path, {"full_name": "X", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}),
    ):
        assert response.status_code == 404
        assert INVITATION_NOT_VALID in response.content.decode()
    assert not User.objects.filter(email="late@example.org").exists()
    refused = AuditEvent.objects.filter(action=AuditAction.DENIED).last()
    assert refused is not None
    assert token not in str(refused.detail)


def test_unit_manager_cannot_make_anyone_a_system_administrator():
    unit = UnitFactory()
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    assert Role.SYSTEM_ADMINISTRATOR.value not in client.get(reverse("accounts:invite")).content.decode()
    response = _invite(client, unit, role=Role.SYSTEM_ADMINISTRATOR)
    assert response.status_code == 200
    assert "Choose one of the roles listed" in response.content.decode()
    assert not Invitation.objects.exists()


def test_system_administrator_may_invite_a_system_administrator():
    unit = UnitFactory()
    response = _invite(verified_client(member(Role.SYSTEM_ADMINISTRATOR, unit=unit)), unit, Role.SYSTEM_ADMINISTRATOR)
    assert response.status_code == 200
    assert Invitation.objects.get().role == Role.SYSTEM_ADMINISTRATOR


def test_manager_cannot_invite_into_a_unit_they_do_not_manage():
    mine, theirs = UnitFactory(), UnitFactory()
    response = _invite(verified_client(member(Role.UNIT_MANAGER, unit=mine)), theirs)
    assert "Choose one of your units" in response.content.decode()
    assert not Invitation.objects.exists()


def test_inviting_someone_to_a_role_they_hold_says_what_to_do_instead():
    unit = UnitFactory()
    colleague = member(Role.OUTREACH_WORKER, unit=unit)
    response = _invite(verified_client(member(Role.UNIT_MANAGER, unit=unit)), unit, email=colleague.email)
    assert "already holds this role" in response.content.decode()
    assert not Invitation.objects.exists()


# --- roles and suspensions --------------------------------------------------------------


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_members_page_lists_only_my_units_and_pending_invitations():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    stranger = member(Role.CLINICIAN)
    client = verified_client(manager)
    _invite(client, unit)
    url = reverse("accounts:members")
    few = _queries_for(client, url)
    for _ in range(5):
        member(Role.OUTREACH_WORKER, unit=unit)
    assert _queries_for(client, url) == few  # no query per member
    page = client.get(url)
    text = page.content.decode()
    assert stranger.email not in text
    assert "new.person@example.org" in text
    assert len(page.context["memberships"]) == 6


def test_role_change_is_audited_with_the_field_name_only():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    colleague = member(Role.OUTREACH_WORKER, unit=unit)
    membership = colleague.memberships.get()
    client = verified_client(manager)
    url = reverse("accounts:membership_change_role", kwargs={"membership_id": membership.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"role": Role.STALKING_ADVOCATE})
    assert response["Location"] == reverse("accounts:members")
    membership.refresh_from_db()
    assert membership.role == Role.STALKING_ADVOCATE
    (event,) = _admin_events()
    assert event.fields == ["role"]
    assert (event.actor_id, event.unit_id, event.object_id) == (manager.pk, unit.pk, str(membership.pk))
    assert event.detail == {"operation": "membership_change_role", "from": "outreach_worker", "to": "stalking_advocate"}


def test_unit_manager_cannot_change_a_system_administrators_role():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    url = reverse("accounts:membership_change_role", kwargs={"membership_id": admin.memberships.get().pk})
    response = client.post(url, {"role": Role.ANALYST}, follow=True)
    assert "Only a system administrator can" in response.content.decode()
    assert admin.memberships.get().role == Role.SYSTEM_ADMINISTRATOR
    assert not _admin_events()


def test_suspension_takes_effect_on_the_members_next_request():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    colleague = member(Role.UNIT_MANAGER, unit=unit)
    MembershipFactory(user=colleague, unit=unit, role=Role.TRAINER)  # keeps them signed in
    colleague_client = verified_client(colleague)
    assert colleague_client.get(reverse("accounts:members")).status_code == 200

    managing = colleague.memberships.get(role=Role.UNIT_MANAGER)
    url = reverse("accounts:membership_suspend", kwargs={"membership_id": managing.pk})
    verified_client(manager).post(url)

    assert colleague_client.get(reverse("accounts:members")).status_code == 403
    assert colleague_client.get(reverse("accounts:profile")).status_code == 200  # still signed in
    (event,) = _admin_events()
    assert (event.fields, event.detail["operation"]) == (["status"], "membership_suspend")


def test_suspending_the_last_role_signs_the_member_out_everywhere_and_reinstating_restores_it():
    unit = UnitFactory()
    manager_client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    colleague = member(Role.OUTREACH_WORKER, unit=unit)
    colleague_client = verified_client(colleague)
    membership = colleague.memberships.get()
    manager_client.post(reverse("accounts:membership_suspend", kwargs={"membership_id": membership.pk}))
    response = colleague_client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert _admin_events()[-1].fields == ["session_epoch", "status"]

    manager_client.post(reverse("accounts:membership_reinstate", kwargs={"membership_id": membership.pk}))
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert _admin_events()[-1].detail["operation"] == "membership_reinstate"


def test_manager_cannot_suspend_their_own_last_managing_role():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    client = verified_client(manager)
    url = reverse("accounts:membership_suspend", kwargs={"membership_id": manager.memberships.get().pk})
    response = client.post(url, follow=True)
    assert "You cannot suspend your own unit manager role" in response.content.decode()
    assert manager.memberships.get().status == MembershipStatus.ACTIVE
    assert not _admin_events()


@pytest.mark.parametrize("url_name", ["membership_change_role", "membership_suspend", "membership_reinstate"])
def test_memberships_of_another_unit_are_not_found(url_name):
    outsider = member(Role.OUTREACH_WORKER)
    client = verified_client(member(Role.UNIT_MANAGER))
    url = reverse(f"accounts:{url_name}", kwargs={"membership_id": outsider.memberships.get().pk})
    missing = reverse(f"accounts:{url_name}", kwargs={"membership_id": 999999})
    for response in (client.get(url), client.post(url, {"role": Role.ANALYST}), client.get(missing)):
        assert response.status_code == 404
    assert outsider.memberships.get().status == MembershipStatus.ACTIVE
    assert outsider.memberships.get().role == Role.OUTREACH_WORKER
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_type="accounts.membership").count() == 3


def test_user_suspend_is_for_system_administrators_of_the_users_unit():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    colleague = member(Role.CLINICIAN, unit=unit)
    colleague_client = verified_client(colleague)
    url = reverse("accounts:user_suspend", kwargs={"user_id": colleague.pk})

    assert verified_client(member(Role.UNIT_MANAGER, unit=unit)).post(url).status_code == 403
    assert verified_client(member(Role.SYSTEM_ADMINISTRATOR)).post(url).status_code == 404  # another unit's admin
    colleague.refresh_from_db()
    assert colleague.is_active

    assert verified_client(admin).post(url)["Location"] == reverse("accounts:members")
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert colleague_client.get(reverse("accounts:profile")).status_code == 302
    event = _admin_events()[-1]
    assert (event.fields, event.detail["operation"]) == (["is_active", "session_epoch"], "user_suspend")


def test_unlock_clears_a_lockout_and_is_audited():
    unit = UnitFactory()
    colleague = member(Role.CLINICIAN, unit=unit)
    for n in range(settings.AXES_FAILURE_LIMIT):
        post_password(Client(), colleague.email, f"wrong {n}")
    assert post_password(Client(), colleague.email).status_code == 429
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    assert "Locked out" in client.get(reverse("accounts:members")).content.decode()

    response = client.post(reverse("accounts:unlock", kwargs={"user_id": colleague.pk}))
    assert response["Location"] == reverse("accounts:members")
    assert post_password(Client(), colleague.email).status_code == 302
    event = _admin_events()[-1]
    assert event.detail["operation"] == "user_unlock"
    assert event.detail["attempts_cleared"] >= 1


def test_unlock_of_someone_outside_my_units_is_not_found():
    stranger = member(Role.CLINICIAN)
    client = verified_client(member(Role.UNIT_MANAGER))
    assert client.post(reverse("accounts:unlock", kwargs={"user_id": stranger.pk})).status_code == 404


def test_people_without_the_capability_cannot_reach_member_pages():
    unit = UnitFactory()
    colleague = member(Role.OUTREACH_WORKER, unit=unit)
    client = verified_client(member(Role.POLICE_INVESTIGATOR, unit=unit))
    assert client.get(reverse("accounts:members")).status_code == 403
    url = reverse("accounts:membership_suspend", kwargs={"membership_id": colleague.memberships.get().pk})
    assert client.post(url).status_code == 403
    assert Membership.objects.get(user=colleague).status == MembershipStatus.ACTIVE

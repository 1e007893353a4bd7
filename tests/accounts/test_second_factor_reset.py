"""Resetting someone's second factor after a lost or replaced phone: scoped, reasoned, audited,
and followed by a fresh enrolment at their next sign-in."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from masip.accounts import services
from masip.accounts.models import MembershipStatus, Role, User
from masip.audit.models import AuditAction, AuditEvent
from tests.accounts.signin import current_code, post_code, post_password, sign_in
from tests.conftest import verified_client
from tests.factories import MembershipFactory, UnitFactory, UserFactory, member

pytestmark = pytest.mark.django_db

REASON = "Phone lost, identity confirmed by phone call to the officer's line manager"


def _url(user: User) -> str:
    return reverse("accounts:reset_second_factor", kwargs={"user_id": user.pk})


def _admin_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.ADMIN).order_by("seq"))


def _epoch(user: User) -> int:
    return User.objects.get(pk=user.pk).session_epoch


def _assert_unchanged(user: User, epoch: int) -> None:
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert _epoch(user) == epoch
    assert not _admin_events()


def test_reset_signs_the_user_out_and_their_next_sign_in_enrols_a_new_app(django_capture_on_commit_callbacks):
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    officer = member(Role.OUTREACH_WORKER, unit=unit)
    old_device = TOTPDevice.objects.get(user=officer)
    officer_client = sign_in(officer)
    assert officer_client.get(reverse("accounts:profile")).status_code == 200
    client = verified_client(manager)

    assert client.get(_url(officer)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(officer), {"reason": f"  {REASON}  "})

    assert response["Location"] == reverse("accounts:members")
    assert not TOTPDevice.objects.filter(user=officer).exists()
    page = officer_client.get(reverse("accounts:profile"))  # the session on the lost phone is over
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    (event,) = _admin_events()
    assert (event.actor_id, event.unit_id, event.object_type, event.object_id) == (
        manager.pk,
        unit.pk,
        "accounts.user",
        str(officer.pk),
    )
    assert event.fields == ["session_epoch", "totp_device"]
    assert event.justification == REASON
    assert event.detail == {"operation": "user_second_factor_reset", "devices_removed": 1}
    (notice,) = mail.outbox
    assert notice.to == [officer.email]
    assert manager.full_name in notice.body
    assert REASON not in notice.body

    # Next sign-in: the password, then straight to setting up a new app.
    again = Client()
    assert post_password(again, officer.email)["Location"] == reverse("accounts:second_factor")
    assert again.get(reverse("accounts:second_factor"))["Location"] == reverse("accounts:enrol")
    assert again.get(reverse("accounts:enrol")).status_code == 200
    new_device = TOTPDevice.objects.get(user=officer)
    assert new_device.bin_key != old_device.bin_key  # the lost phone's codes are worthless
    assert post_code(again, current_code(new_device), "accounts:enrol").status_code == 302
    assert again.get(reverse("accounts:profile")).status_code == 200
    new_device.refresh_from_db()
    assert new_device.confirmed


def test_system_administrator_may_reset_a_fellow_administrators_second_factor():
    unit = UnitFactory()
    other_admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    response = verified_client(member(Role.SYSTEM_ADMINISTRATOR, unit=unit)).post(_url(other_admin), {"reason": REASON})
    assert response["Location"] == reverse("accounts:members")
    assert not TOTPDevice.objects.filter(user=other_admin).exists()
    assert _admin_events()[-1].detail["operation"] == "user_second_factor_reset"


def test_unit_manager_cannot_reset_a_system_administrators_second_factor():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    epoch = _epoch(admin)
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    for response in (client.get(_url(admin)), client.post(_url(admin), {"reason": REASON})):
        assert response.status_code == 200
        assert "Only a system administrator can reset a system administrator" in response.content.decode()
    _assert_unchanged(admin, epoch)


def test_a_suspended_administrator_role_still_protects_the_account_from_unit_managers():
    unit = UnitFactory()
    person = member(Role.OUTREACH_WORKER, unit=unit)
    MembershipFactory(
        user=person, unit=UnitFactory(), role=Role.SYSTEM_ADMINISTRATOR, status=MembershipStatus.SUSPENDED
    )
    manager = member(Role.UNIT_MANAGER, unit=unit)
    epoch = _epoch(person)
    with pytest.raises(services.AccountAdminError, match="Only a system administrator"):
        services.user_second_factor_reset(actor=manager, user=person, reason=REASON)
    _assert_unchanged(person, epoch)


@pytest.mark.parametrize(
    ("role", "ask"),
    [
        (Role.UNIT_MANAGER, "another unit manager or a system administrator"),
        (Role.SYSTEM_ADMINISTRATOR, "another system administrator"),
    ],
)
def test_nobody_resets_their_own_second_factor(role, ask):
    actor = member(role)
    epoch = _epoch(actor)
    response = verified_client(actor).post(_url(actor), {"reason": REASON})
    text = response.content.decode()
    assert response.status_code == 200
    assert "You cannot reset your own second factor" in text
    assert ask in text
    _assert_unchanged(actor, epoch)


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Enter why you are resetting their second factor."),
        ("   lost    ", "Explain in at least 10 characters"),
    ],
)
def test_reset_needs_a_reason(reason, message):
    unit = UnitFactory()
    officer = member(Role.CLINICIAN, unit=unit)
    epoch = _epoch(officer)
    response = verified_client(member(Role.UNIT_MANAGER, unit=unit)).post(_url(officer), {"reason": reason})
    assert response.status_code == 200
    assert message in response.content.decode()
    _assert_unchanged(officer, epoch)


def test_the_service_refuses_a_short_reason_on_its_own():
    unit = UnitFactory()
    officer = member(Role.CLINICIAN, unit=unit)
    epoch = _epoch(officer)
    with pytest.raises(services.AccountAdminError, match="at least 10 characters"):
        services.user_second_factor_reset(actor=member(Role.UNIT_MANAGER, unit=unit), user=officer, reason=" lost it ")
    _assert_unchanged(officer, epoch)


def test_someone_outside_my_units_is_not_found():
    stranger = member(Role.OUTREACH_WORKER)
    epoch = _epoch(stranger)
    client = verified_client(member(Role.SYSTEM_ADMINISTRATOR))
    missing = reverse("accounts:reset_second_factor", kwargs={"user_id": 999999})
    for response in (client.get(_url(stranger)), client.post(_url(stranger), {"reason": REASON}), client.get(missing)):
        assert response.status_code == 404
    _assert_unchanged(stranger, epoch)
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_type="accounts.user").count() == 3


def test_the_service_checks_scope_itself():
    stranger = member(Role.OUTREACH_WORKER)
    epoch = _epoch(stranger)
    with pytest.raises(PermissionDenied):
        services.user_second_factor_reset(actor=member(Role.UNIT_MANAGER), user=stranger, reason=REASON)
    _assert_unchanged(stranger, epoch)


@pytest.mark.parametrize("role", [Role.POLICE_INVESTIGATOR, Role.ANALYST, Role.TRAINER])
def test_roles_without_member_management_are_refused(role):
    unit = UnitFactory()
    colleague = member(Role.OUTREACH_WORKER, unit=unit)
    epoch = _epoch(colleague)
    assert verified_client(member(role, unit=unit)).post(_url(colleague), {"reason": REASON}).status_code == 403
    _assert_unchanged(colleague, epoch)


def test_someone_without_an_app_has_nothing_to_reset():
    unit = UnitFactory()
    newcomer = UserFactory()
    MembershipFactory(user=newcomer, unit=unit, role=Role.CLINICIAN)
    manager = member(Role.UNIT_MANAGER, unit=unit)
    client = verified_client(manager)
    assert "has no authenticator app to reset" in client.get(_url(newcomer)).content.decode()
    response = client.post(_url(newcomer), {"reason": REASON})
    assert "has no authenticator app to reset" in response.content.decode()
    with pytest.raises(services.AccountAdminError, match="has no authenticator app to reset"):
        services.user_second_factor_reset(actor=manager, user=newcomer, reason=REASON)
    assert _epoch(newcomer) == 0
    assert not _admin_events()


def test_a_system_account_has_no_second_factor_to_reset():
    unit = UnitFactory()
    system = member(Role.PARTNER_REFERRER, unit=unit, is_service_account=True)
    response = verified_client(member(Role.UNIT_MANAGER, unit=unit)).post(_url(system), {"reason": REASON})
    assert "is a system account" in response.content.decode()
    assert TOTPDevice.objects.filter(user=system).exists()
    assert not _admin_events()


def test_members_page_offers_the_reset_only_where_the_viewer_may_do_it():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    officer = member(Role.OUTREACH_WORKER, unit=unit)
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    newcomer = UserFactory()
    MembershipFactory(user=newcomer, unit=unit, role=Role.CLINICIAN)

    as_manager = verified_client(manager).get(reverse("accounts:members")).content.decode()
    assert _url(officer) in as_manager
    assert _url(manager) not in as_manager  # not their own
    assert _url(admin) not in as_manager  # not a system administrator's
    assert _url(newcomer) not in as_manager  # nothing to reset yet...
    assert "No authenticator app yet" in as_manager  # ...and the page says so

    as_admin = verified_client(admin).get(reverse("accounts:members")).content.decode()
    assert _url(officer) in as_admin
    assert _url(manager) in as_admin
    assert _url(admin) not in as_admin

"""A mail server that is down never turns a saved change into an error, and never leaves
half a change behind where the email is the point (an invitation's link)."""

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from masip.accounts.models import Invitation, Role
from masip.audit.models import AuditEvent
from masip.core.mail import email_after_commit
from tests.conftest import verified_client
from tests.factories import member

pytestmark = pytest.mark.django_db
DOWN = override_settings(EMAIL_BACKEND="tests.support.mail.UnreachableServerBackend")


@DOWN
def test_an_alert_that_cannot_go_is_logged_not_raised(django_capture_on_commit_callbacks, caplog):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_after_commit([("Break-glass access", "Please review.", ["manager@example.org"])])
    assert "could not send 1 email(s)" in caplog.text


def test_alerts_go_only_when_the_change_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                email_after_commit([("Alert", "Body", ["manager@example.org"])])
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_after_commit([("Alert", "Body", ["manager@example.org"])])
    assert [m.to for m in mail.outbox] == [["manager@example.org"]]


@DOWN
def test_an_invitation_whose_email_cannot_go_is_not_made():
    manager = member(Role.UNIT_MANAGER)
    unit = manager.memberships.get().unit
    client = verified_client(manager)
    events_before = AuditEvent.objects.count()
    response = client.post(
        reverse("accounts:invite"),
        {
            "email": "new.worker@example.org",
            "full_name": "New Worker",
            "agency": manager.agency.pk,
            "unit": unit.pk,
            "role": Role.OUTREACH_WORKER,
        },
    )
    assert response.status_code == 200
    assert "could not send the invitation email" in response.content.decode()
    assert not Invitation.objects.exists()
    assert AuditEvent.objects.count() == events_before

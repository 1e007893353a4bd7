"""Email that leaves masip: alerts after a change commits, and messages a change depends on."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

logger = logging.getLogger("masip.mail")

# (subject, body, recipients)
Email = tuple[str, str, Sequence[str]]
SEND_ERRORS = (smtplib.SMTPException, OSError)


def _datatuple(emails: Sequence[Email]) -> list[tuple[str, str, str, list[str]]]:
    return [(subject, body, settings.DEFAULT_FROM_EMAIL, list(to)) for subject, body, to in emails]


def email_after_commit(emails: Sequence[Email]) -> None:
    """Send `emails` once the current transaction commits.

    The change they report is already saved, so a mail server that is down must not turn the
    person's request into an error: the failure is logged for the operators instead.
    """
    if not emails:
        return
    datatuple = _datatuple(emails)

    def send() -> None:
        try:
            send_mass_mail(datatuple, fail_silently=False)
        except SEND_ERRORS:
            logger.exception("masip could not send %d email(s) after a saved change", len(datatuple))

    transaction.on_commit(send)


def email_now(emails: Sequence[Email]) -> None:
    """Send `emails` inside the current transaction, for changes that mean nothing unless the
    email arrives (an invitation's link exists only in its email). Raises the send error, so
    the caller's transaction rolls back and nothing is half-done."""
    send_mass_mail(_datatuple(emails), fail_silently=False)

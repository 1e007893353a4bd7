"""An email backend whose server is down, for tests of what masip does when mail cannot go."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class UnreachableServerBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPConnectError(421, b"mail.example.org: service not available")

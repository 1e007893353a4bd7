"""API authentication: hashed, expiring tokens for systems; the browser session for people.

A token only works for a service account (a person's token would skip the second factor), and
a session only counts once the second factor has been passed.
"""

from __future__ import annotations

from typing import Any

from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


class SystemTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`; tokens are stored hashed (knox) and expire."""

    def authenticate_header(self, request: Request) -> str:
        return "Token"

    def validate_user(self, auth_token: Any) -> tuple[Any, Any]:
        user, token = super().validate_user(auth_token)
        if not user.is_service_account:
            raise exceptions.AuthenticationFailed(
                "API tokens are for systems. People use the API through their signed-in browser session."
            )
        return user, token


class VerifiedSessionAuthentication(SessionAuthentication):
    """The browser session, once the second factor has been passed (else 403, not anonymous)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if not user.is_verified():
            # Refuse outright: treating the session as anonymous would let a half-signed-in
            # browser look like any caller without credentials.
            raise exceptions.PermissionDenied(
                "Finish signing in with your authentication app code before using the API."
            )
        return result

"""API authentication: hashed, expiring tokens for systems; the browser session for people.

A session only counts once the second factor has been passed.
"""

from __future__ import annotations

from typing import Any

from knox.auth import TokenAuthentication
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


class SystemTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`; tokens are stored hashed (knox) and expire."""

    def authenticate_header(self, request: Request) -> str:
        return "Token"


class VerifiedSessionAuthentication(SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if not user.is_verified():
            return None
        return result

"""How the OpenAPI document describes masip's authentication (drf-spectacular extensions)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class SystemTokenScheme(OpenApiAuthenticationExtension):
    target_class = "masip.api.authentication.SystemTokenAuthentication"
    name = "systemToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition: dict[str, Any] = build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Token",  # noqa: S106 - the header's scheme word, not a secret
        )
        definition["description"] = (
            "A token issued to a system by a system administrator (API tokens page). "
            "Send it as `Authorization: Token <token>`. Tokens expire and can be revoked."
        )
        return definition


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "masip.api.authentication.VerifiedSessionAuthentication"
    name = "browserSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": (
                "The signed-in browser session, after the second factor; unsafe methods need the CSRF token."
            ),
        }

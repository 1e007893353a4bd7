"""Template tags of the referrer's pages."""

from __future__ import annotations

from django import template

from masip.access.policy import Capability
from masip.access.principal import principal_for

register = template.Library()


@register.simple_tag(takes_context=True)
def may_refer(context: template.Context) -> bool:
    """Whether the signed-in user holds a role that may make referrals (to any unit)."""
    request = context.get("request")
    return principal_for(getattr(request, "user", None)).can(Capability.SUBMIT_REFERRALS)

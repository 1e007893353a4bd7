"""`{% case_evidence case %}`: the evidence section of the case page."""

from __future__ import annotations

from typing import Any

from django import template

from masip.evidence.selectors import case_evidence_section

register = template.Library()


@register.inclusion_tag("evidence/_case_section_body.html", takes_context=True)
def case_evidence(context: dict[str, Any], case: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return case_evidence_section(user=user, case=case, request=request)

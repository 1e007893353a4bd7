"""`{% case_safety case %}`: on the case page, each victim's safety link and, for those who may
view victim contact details, the safe contact warning."""

from __future__ import annotations

from typing import Any

from django import template

from masip.interventions.selectors_safety import case_safety_section

register = template.Library()


@register.inclusion_tag("interventions/safety/_case_section_body.html", takes_context=True)
def case_safety(context: dict[str, Any], case: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    # The case page has read its participants (with victims' preferences when the viewer may see
    # them); other pages let the section read its own.
    section = case_safety_section(user=user, case=case, request=request, participants=context.get("participants"))
    return {"case": case, "victims": section.victims, "contact_visible": section.contact_visible}

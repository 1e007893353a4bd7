"""`{% vcop_case_updates case %}`: the Victims' Code line of the case page."""

from __future__ import annotations

from typing import Any

from django import template

from masip.interventions.selectors_vcop import case_update_counts

register = template.Library()


@register.inclusion_tag("interventions/vcop/_case_line.html", takes_context=True)
def vcop_case_updates(context: dict[str, Any], case: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if hasattr(case, "vcop_open"):  # read with the case itself (cases.selectors.case_get_for)
        return {"case": case, "open": case.vcop_open, "overdue": case.vcop_overdue}
    return {"case": case, **case_update_counts(user=user, case=case)}

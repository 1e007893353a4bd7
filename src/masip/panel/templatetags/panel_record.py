"""`{% panel_item_record item %}`: on the item page, what was recorded about the item that the
viewer may read (discussion in their compartments, decisions, actions with their task, the next
review) and, for those who may record at the meeting, the links to record more.

The item page gives `meeting`, `case` and `entitled` (whether the viewer is entitled to the item's
content) in its context."""

from __future__ import annotations

from typing import Any

from django import template

from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.panel.selectors_items import item_record_for
from masip.panel.services_items import may_record, note_compartments_offered, recording_refusal

register = template.Library()


@register.inclusion_tag("panel/items/_record.html", takes_context=True)
def panel_item_record(context: Any, item: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    meeting = context.get("meeting") or item.meeting
    case = context.get("case") or item.case
    entitled = bool(context.get("entitled"))
    shown: dict[str, Any] = {"item": item, "meeting": meeting, "case": case, "entitled": entitled}
    if not entitled or user is None:
        return shown
    principal = principal_for(user)
    recorder = recording_refusal(meeting) is None and may_record(user=user, meeting=meeting)
    return {
        **shown,
        "record": item_record_for(user=user, item=item, request=request),
        "may_note": recorder and bool(note_compartments_offered(user=user, unit_id=case.unit_id)),
        "may_create": recorder and principal.may(case.unit_id, Compartment.TEAM, Action.CREATE),
        "may_change": recorder and principal.may(case.unit_id, Compartment.TEAM, Action.CHANGE),
    }

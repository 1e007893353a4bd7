"""The pattern of behaviour of a case: the visual timeline, its entries as a table, and the
escalation analytics (incidents per week with change points, behaviours by month, closest contact
by week). Thin: reads come from timeline.analytics, drawing from timeline.chart."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from masip.access.decorators import case_permission, reads_audited_together
from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.cases.models import Case
from masip.timeline import chart as charts
from masip.timeline.analytics import behaviour_mix, escalation_for, pattern_for
from masip.timeline.analytics_forms import PatternFilterForm


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
@require_GET
def pattern(request: HttpRequest, case: Case) -> HttpResponse:
    principal = principal_for(request.user)
    compartments = [(c.value, c.label) for c in Compartment if principal.may(case.unit_id, c, Action.VIEW)]
    asked = request.GET.copy()
    printing = asked.pop("print", None) == ["1"]
    form = PatternFilterForm(asked or None, compartments=compartments)
    filters = None
    if form.is_bound:
        form.is_valid()  # fields with errors are left out of the filters; the page says so
        filters = form.filters()
    found = pattern_for(user=request.user, case=case, filters=filters, request=request)
    escalation = escalation_for(found.entries)
    months = behaviour_mix(found.entries, found.groups)
    used_groups = [g for g in found.groups if any(m.by_group.get(g.key) for m in months)]
    context = {
        "case": case,
        "form": form,
        "pattern": found,
        "escalation": escalation,
        "mix_groups": used_groups,
        "mix_rows": [(m.month, [m.by_group[g.key] for g in used_groups], m.total) for m in months],
        "chart": charts.pattern_chart(pattern=found, escalation=escalation),
        "weekly_chart": charts.weekly_chart(escalation=escalation),
        "proximity_chart": charts.proximity_chart(escalation=escalation),
        "mix_chart": charts.mix_chart(months=months, groups=found.groups),
        "summary": charts.escalation_summary(escalation),
        "filtered": form.is_bound,
        "print_query": _with_print(request),
        "printing": printing,
    }
    template = "timeline/analytics/pattern_print.html" if printing else "timeline/analytics/pattern.html"
    return render(request, template, context)


def _with_print(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["print"] = "1"
    return query.urlencode()

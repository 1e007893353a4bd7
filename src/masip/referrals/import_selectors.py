"""Reads of referral imports that the import pages share; always scoped by `visible_to`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.referrals.models import ImportJob

RECENT_IMPORTS = 25


def import_jobs_for(*, user: Any) -> QuerySet[ImportJob]:
    """The imports of the units where the user screens referrals, newest first, without files."""
    return (
        ImportJob.objects.visible_to(user)
        .defer("content", "report")
        .select_related("unit", "created_by")
        .order_by("-created_at")[:RECENT_IMPORTS]
    )


def import_job_get_for(*, user: Any, import_id: Any, request: HttpRequest | None = None) -> ImportJob:
    """One import the user may see, or the same audited 404 for missing and not theirs."""
    queryset = ImportJob.objects.visible_to(user).defer("content").select_related("unit", "created_by", "confirmed_by")
    return get_visible_or_404(queryset, import_id, user=user, request=request)


def import_unit_for(*, user: Any, current_unit_id: int | None) -> Unit | None:
    """The unit an upload goes to: the unit the user is working in when they screen its
    referrals, else the first unit where they do."""
    units = principal_for(user).units_with(Capability.TRIAGE_REFERRALS)
    if not units:
        return None
    chosen = current_unit_id if current_unit_id in units else min(units)
    return Unit.objects.get(pk=chosen)


def import_job_view_audit(*, user: Any, job: ImportJob, request: HttpRequest | None = None) -> None:
    """Record that the user read the job's report (its reasons can name people)."""
    from masip.audit.models import AuditAction
    from masip.audit.services import audit_record

    audit_record(action=AuditAction.VIEW, actor=user, request=request, unit=job.unit, obj=job, fields=["report"])

"""Reads of evidence that the pages share, scoped with visible_to (case and compartment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Window
from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_record
from masip.cases.models import Case
from masip.evidence.models import CustodyEntry, CustodyEvent, EvidenceItem
from masip.evidence.services import EVIDENCE_COMPARTMENTS

CASE_SECTION_LIMIT = 5


def evidence_list_for(*, user: Any, case: Case) -> list[EvidenceItem]:
    """The case's exhibits in compartments the user may view, in the order they were added."""
    return list(EvidenceItem.objects.visible_to(user, Action.VIEW).filter(case=case).select_related("created_by"))


def evidence_list_audit(*, user: Any, case: Case, items: list[EvidenceItem], request: HttpRequest | None) -> None:
    """Showing a list of exhibits (references, hashes, who they came from) is a consultation."""
    audit_listing(
        actor=user,
        object_type=EvidenceItem._meta.label_lower,
        ids=(item.pk for item in items),
        unit=case.unit,
        case_id=case.pk,
        fields=["exhibit_ref", "sha256", "captured_by", "captured_at"],
        request=request,
    )


def evidence_get_for(*, user: Any, case: Case, evidence_id: Any, request: HttpRequest | None = None) -> EvidenceItem:
    """One exhibit of `case` the user may view; another case's or unit's, a compartment the user
    may not view, a missing or malformed id: the same audited 404."""
    items = EvidenceItem.objects.visible_to(user, Action.VIEW).filter(case=case).select_related("case__unit")
    return get_visible_or_404(items, evidence_id, user=user, request=request)


def custody_log_for(*, item: EvidenceItem) -> list[CustodyEntry]:
    """The exhibit's chain of custody, oldest first, for an item the caller may already see."""
    return list(CustodyEntry.unscoped.filter(item=item).select_related("actor").order_by("occurred_at", "created_at"))


def evidence_compartments_offered(*, user: Any, case: Case) -> list[Any]:
    """The compartments the user may add evidence to on this case."""
    allowed = principal_for(user).compartments(case.unit_id, Action.CREATE)
    return [c for c in EVIDENCE_COMPARTMENTS if c.value in allowed]


def evidence_may_hand_over(*, user: Any, item: EvidenceItem) -> bool:
    return principal_for(user).may(item.case.unit_id, item.compartment, Action.DISCLOSE)


def evidence_exportable_for(*, user: Any, case: Case) -> list[EvidenceItem]:
    """The case's exhibits in compartments where the user's roles allow `export`."""
    return list(EvidenceItem.objects.visible_to(user, Action.EXPORT).filter(case=case).order_by("created_at"))


@dataclass(frozen=True)
class PastExport:
    """One export bundle, as the exhibits the user may see show it."""

    occurred_at: datetime
    actor: Any
    recipient: str
    purpose: str
    sha256: str
    exhibits: list[str]


def evidence_exports_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> list[PastExport]:
    """The case's export bundles, newest first, each listing the exhibits of it the user may
    view; showing them (recipients, purposes) is audited as a consultation."""
    entries = list(
        CustodyEntry.objects.visible_to(user, Action.VIEW)
        .filter(item__case=case, event=CustodyEvent.EXPORTED)
        .select_related("actor", "item")
        .order_by("-occurred_at", "audit_seq", "item__exhibit_ref")
    )
    exports: dict[int, PastExport] = {}
    for entry in entries:
        if entry.audit_seq not in exports:
            exports[entry.audit_seq] = PastExport(
                occurred_at=entry.occurred_at,
                actor=entry.actor,
                recipient=entry.recipient,
                purpose=entry.reason,
                sha256=entry.bundle_sha256,
                exhibits=[],
            )
        exports[entry.audit_seq].exhibits.append(entry.item.exhibit_ref)
    if entries:
        audit_record(
            action=AuditAction.VIEW,
            actor=user,
            request=request,
            unit=case.unit,
            object_type=CustodyEntry._meta.label_lower,
            case_id=case.pk,
            fields=["recipient", "reason", "bundle_sha256"],
            detail={"listed": [str(entry.pk) for entry in entries]},
        )
    return list(exports.values())


def evidence_recent_for(*, user: Any, case: Case, limit: int) -> tuple[list[EvidenceItem], int]:
    """The `limit` most recently added exhibits the user may view, newest first, and how many
    they may view in all: one query, however many exhibits the case has. Not audited: the
    caller audits what it shows (`evidence_list_audit`)."""
    items: list[EvidenceItem] = list(
        EvidenceItem.objects.visible_to(user, Action.VIEW)
        .filter(case=case)
        .select_related("created_by")
        .annotate(visible_total=Window(Count("pk")))
        .order_by("-created_at", "-exhibit_ref")[:limit]
    )
    total: int = getattr(items[0], "visible_total", 0) if items else 0
    return items, total


def case_evidence_section(*, user: Any, case: Case, request: HttpRequest | None = None) -> dict[str, Any]:
    """The few most recent exhibits for the case page, the total, and whether the user may add one."""
    recent, total = evidence_recent_for(user=user, case=case, limit=CASE_SECTION_LIMIT)
    evidence_list_audit(user=user, case=case, items=recent, request=request)
    return {
        "case": case,
        "items": recent,
        "total": total,
        "may_upload": bool(evidence_compartments_offered(user=user, case=case)),
    }

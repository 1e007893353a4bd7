"""Reads of referrals that views and the API share, each scoped to the person asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.core.workdays import working_days_between
from masip.referrals.models import OPEN_STATUSES, Referral, ReferralStatus, ReferralSubject, TriageDecision

if TYPE_CHECKING:
    from masip.people.matching import Candidate, UnitPointer


def _triage_units(user: Any) -> set[int]:
    return principal_for(user).units_with(Capability.TRIAGE_REFERRALS)


def screening_queue(
    *,
    user: Any,
    status: str | None = None,
    urgency: str | None = None,
    screener: Any = None,
    received_from: date | None = None,
    received_to: date | None = None,
) -> QuerySet[Referral]:
    """Submitted referrals of the units where `user` triages, oldest deadline first.

    Without a status, only referrals still waiting for a decision. Each row carries `overdue`:
    still open and past its decision deadline (today, in Europe/London, is not yet overdue).
    Drafts never appear: they are the referrer's until submitted.
    """
    today = timezone.localdate()
    overdue = ExpressionWrapper(Q(status__in=OPEN_STATUSES, decision_deadline__lt=today), output_field=BooleanField())
    queryset = (
        Referral.objects.visible_to(user)
        .filter(unit_id__in=_triage_units(user))
        .exclude(status=ReferralStatus.DRAFT)
        .select_related("unit", "source_agency", "screener")
        .annotate(overdue=overdue)
    )
    queryset = queryset.filter(status=status) if status else queryset.filter(status__in=OPEN_STATUSES)
    if urgency:
        queryset = queryset.filter(urgency=urgency)
    if screener is not None:
        queryset = queryset.filter(screener=screener)
    if received_from is not None:
        queryset = queryset.filter(received_at__gte=_start_of(received_from))
    if received_to is not None:
        queryset = queryset.filter(received_at__lt=_start_of(received_to, days_after=1))
    return queryset.order_by("decision_deadline", "received_at")


def _start_of(day: date, days_after: int = 0) -> datetime:
    """Midnight in Europe/London at the start of `day` (+ days), as an aware datetime."""
    from datetime import time, timedelta

    return timezone.make_aware(datetime.combine(day + timedelta(days=days_after), time.min))


@dataclass(frozen=True)
class ScreeningCounts:
    received: int
    accepted: int
    partner_managed: int
    signposted: int
    no_further_action: int
    median_working_days_to_decision: float | None  # None when nothing was decided


def screening_counts(*, user: Any, start: date, end: date) -> ScreeningCounts:
    """The screening figures for `start`..`end` inclusive in the units where `user` triages:
    referrals received in the period, decisions made in it by kind, and the median working days
    from receipt to decision of those decisions."""
    units = _triage_units(user)
    base = Referral.objects.visible_to(user).filter(unit_id__in=units)
    since, until = _start_of(start), _start_of(end, days_after=1)
    received = base.filter(received_at__gte=since, received_at__lt=until).exclude(status=ReferralStatus.DRAFT).count()
    decided = list(
        base.filter(status=ReferralStatus.DECIDED, decided_at__gte=since, decided_at__lt=until).values_list(
            "decision", "received_at", "decided_at"
        )
    )
    by_kind = {kind: sum(1 for d, _, _ in decided if d == kind) for kind in TriageDecision.values}
    durations = [
        working_days_between(timezone.localdate(got), timezone.localdate(done))
        for _, got, done in decided
        if got is not None and done is not None
    ]
    return ScreeningCounts(
        received=received,
        accepted=by_kind[TriageDecision.ACCEPTED],
        partner_managed=by_kind[TriageDecision.PARTNER_MANAGED],
        signposted=by_kind[TriageDecision.SIGNPOSTED],
        no_further_action=by_kind[TriageDecision.NO_FURTHER_ACTION],
        median_working_days_to_decision=float(median(durations)) if durations else None,
    )


@dataclass(frozen=True)
class ReferrerView:
    """What a referrer may know of their own referral: never the unit's screening or case."""

    id: Any
    unit_id: int
    reference: str
    external_reference: str
    status: str
    status_label: str
    received_at: datetime | None
    decision: str
    decision_label: str
    decided_at: datetime | None
    advice: str


def referrals_of_referrer(*, user: Any) -> list[ReferrerView]:
    """The referrals `user` made, newest first, with status, decision and the unit's advice only.

    Drafts are included (the referrer resumes them). Built from named columns, so a page that
    shows these cannot reach the description, the screening or the case.
    """
    principal = principal_for(user)
    rows = (
        Referral.objects.visible_to(user)
        .filter(referred_by_id=principal.user_id, unit_id__in=principal.units_with(Capability.SUBMIT_REFERRALS))
        .order_by("-created_at")
        .only(*REFERRER_VIEW_COLUMNS)
    )
    return [referrer_view_of(r) for r in rows]


REFERRER_VIEW_COLUMNS = (
    "id",
    "unit_id",
    "reference",
    "external_reference",
    "status",
    "received_at",
    "decision",
    "decided_at",
    "advice",
)


def referrer_view_of(referral: Referral) -> ReferrerView:
    """What the referrer of `referral` may know of it (the advice only on a partner-managed one)."""
    return ReferrerView(
        id=referral.pk,
        unit_id=referral.unit_id,
        reference=referral.reference,
        external_reference=referral.external_reference,
        status=referral.status,
        status_label=referral.get_status_display(),
        received_at=referral.received_at,
        decision=referral.decision,
        decision_label=referral.get_decision_display() if referral.decision else "",
        decided_at=referral.decided_at,
        advice=referral.advice if referral.decision == TriageDecision.PARTNER_MANAGED else "",
    )


@dataclass(frozen=True)
class SubjectCandidates:
    candidates: list[Candidate]
    other_units: list[UnitPointer]


def candidates_for_subject(
    *, user: Any, subject: ReferralSubject, request: HttpRequest | None = None
) -> SubjectCandidates:
    """People in the referral's unit who may be `subject`, best first and explained, plus a
    pointer (never details) for each other unit that may know them; that look-up is audited.

    Only someone who may triage the referral's unit may ask: anyone else gets PermissionDenied.
    """
    from masip.people.matching import other_unit_pointers, person_candidates
    from masip.referrals.services import subject_details

    unit = subject.referral.unit
    if not principal_for(user).can(Capability.TRIAGE_REFERRALS, unit_id=unit.pk):
        raise PermissionDenied("Your role does not allow matching this unit's referrals to people.")
    if subject.unidentified:
        return SubjectCandidates(candidates=[], other_units=[])
    details = subject_details(subject)
    return SubjectCandidates(
        candidates=person_candidates(unit=unit, details=details),
        other_units=other_unit_pointers(unit=unit, details=details, actor=user, request=request),
    )

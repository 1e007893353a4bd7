"""Reads of referrals that views and the API share, each scoped to the person asking."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action, Capability, Compartment, allows, roles_with_capability
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listings_by_unit, audit_record
from masip.core.workdays import working_days_between
from masip.referrals.models import (
    OPEN_STATUSES,
    Referral,
    ReferralStatus,
    ReferralSubject,
    Screening,
    SubjectRole,
    TriageDecision,
)

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
    unassigned: bool = False,
    overdue_only: bool = False,
) -> QuerySet[Referral]:
    """Submitted referrals of the units where `user` triages, oldest deadline first.

    Without a status, only referrals still waiting for a decision. Each row carries `overdue`:
    still open and past its decision deadline (today, in Europe/London, is not yet overdue).
    Drafts never appear: they are the referrer's until submitted. `unassigned` keeps referrals
    no screener has taken; `overdue_only` keeps the overdue ones.
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
    if unassigned:
        queryset = queryset.filter(screener__isnull=True)
    if overdue_only:
        queryset = queryset.filter(status__in=OPEN_STATUSES, decision_deadline__lt=today)
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
    decision_deadline: date | None = None


_REFERRER_COLUMNS = (
    "id",
    "unit",
    "reference",
    "external_reference",
    "status",
    "received_at",
    "decision_deadline",
    "decision",
    "decided_at",
    "advice",
)


def own_referrals(*, user: Any) -> QuerySet[Referral]:
    """The referrals `user` made to a unit where they may still refer: never a colleague's, even
    for a screener who can see the colleague's referral in the queue."""
    principal = principal_for(user)
    return Referral.objects.visible_to(user).filter(
        referred_by_id=principal.user_id, unit_id__in=principal.units_with(Capability.SUBMIT_REFERRALS)
    )


def referrals_of_referrer_query(*, user: Any) -> QuerySet[Referral]:
    """The referrals `user` made, newest first, loading only what a ReferrerView shows (for a
    paginated list: turn each row into a view with `referrer_view`)."""
    return own_referrals(user=user).order_by("-created_at", "-pk").only(*_REFERRER_COLUMNS)


def referrer_view(referral: Referral) -> ReferrerView:
    """What the referrer may know of `referral`: the advice only when it was left with them."""
    r = referral
    return ReferrerView(
        id=r.pk,
        unit_id=r.unit_id,
        reference=r.reference,
        external_reference=r.external_reference,
        status=r.status,
        status_label=r.get_status_display(),
        received_at=r.received_at,
        decision=r.decision,
        decision_label=r.get_decision_display() if r.decision else "",
        decided_at=r.decided_at,
        advice=r.advice if r.decision == TriageDecision.PARTNER_MANAGED else "",
        decision_deadline=r.decision_deadline,
    )


def referrals_of_referrer(*, user: Any) -> list[ReferrerView]:
    """The referrals `user` made, newest first, with status, decision and the unit's advice only.

    Drafts are included (the referrer resumes them). Built from named columns, so a page that
    shows these cannot reach the description, the screening or the case.
    """
    return [referrer_view(r) for r in referrals_of_referrer_query(user=user)]


def referral_of_referrer(*, user: Any, referral_id: Any, request: HttpRequest | None = None) -> ReferrerView:
    """One referral `user` made, as the referrer may see it, its reading audited; any other id
    (someone else's referral, a missing or malformed id) is the same audited 404."""
    referral = get_visible_or_404(referrals_of_referrer_query(user=user), referral_id, user=user, request=request)
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=referral.unit,
        obj=referral,
        fields=[c for c in _REFERRER_COLUMNS if c not in ("id", "unit")],
        detail={"view": "referrer status"},
    )
    return referrer_view(referral)


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


# The unit's screening pages ----------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    """One referral on the screening queue with where it stands against its deadline."""

    referral: Referral
    overdue: bool
    working_days_overdue: int  # 0 when not overdue, or when only a weekend or holiday has passed
    working_days_left: int | None  # None when overdue, decided, or without a deadline

    @property
    def due_today(self) -> bool:
        return not self.overdue and self.working_days_left == 0


def queue_rows(referrals: Iterable[Referral], *, today: date | None = None) -> list[QueueRow]:
    """The queue's rows with the working days left, or overdue, for each open referral."""
    today = today or timezone.localdate()
    rows = []
    for referral in referrals:
        deadline = referral.decision_deadline
        is_open = referral.status in OPEN_STATUSES
        overdue = bool(is_open and deadline is not None and deadline < today)
        rows.append(
            QueueRow(
                referral=referral,
                overdue=overdue,
                working_days_overdue=working_days_between(deadline, today) if overdue and deadline else 0,
                working_days_left=(
                    working_days_between(today, deadline) if is_open and deadline is not None and not overdue else None
                ),
            )
        )
    return rows


def screening_queue_audit(*, user: Any, referrals: Iterable[Referral], request: HttpRequest | None = None) -> None:
    """Record which referrals one page of the queue showed: one row per unit on the page."""
    audit_listings_by_unit(
        actor=user, object_type=Referral._meta.label_lower, rows=((r.unit, r.pk) for r in referrals), request=request
    )


def triage_members(*, unit_ids: Iterable[int]) -> list[Any]:
    """The active members of the units whose roles may screen referrals, by name."""
    from masip.accounts.models import Membership, User

    roles = sorted(str(role) for role in roles_with_capability(Capability.TRIAGE_REFERRALS))
    user_ids = (
        Membership.objects.active().filter(unit_id__in=list(unit_ids), role__in=roles).values_list("user_id", flat=True)
    )
    return list(User.objects.filter(pk__in=user_ids, is_service_account=False).order_by("full_name", "email"))


def referral_for_screening(*, user: Any, referral_id: Any, request: HttpRequest | None = None) -> Referral:
    """One submitted referral of a unit where `user` triages, its reading audited; otherwise the
    same audited 404 for missing, not visible and drafts (a draft is still the referrer's)."""
    referrals = (
        Referral.objects.visible_to(user)
        .filter(unit_id__in=_triage_units(user))
        .exclude(status=ReferralStatus.DRAFT)
        .select_related("unit", "source_agency", "referred_by", "screener", "decided_by", "case")
    )
    referral = get_visible_or_404(referrals, referral_id, user=user, request=request)
    audit_record(action=AuditAction.VIEW, actor=user, request=request, unit=referral.unit, obj=referral)
    return referral


def screening_of(*, user: Any, referral: Referral) -> Screening | None:
    """The referral's screening, if one has been saved and the user may read it."""
    return Screening.objects.visible_to(user).filter(referral=referral).select_related("screened_by").first()


def victim_contact_visible(*, user: Any, referral: Referral) -> bool:
    return principal_for(user).may(referral.unit_id, Compartment.VICTIM_CONTACT, Action.VIEW)


def roles_seeing_victim_contact() -> list[str]:
    from masip.accounts.models import Role

    return [str(role.label) for role in Role if allows(role, Compartment.VICTIM_CONTACT, Action.VIEW)]


@dataclass(frozen=True)
class SubjectOnPage:
    """One person the referral names, as the screening page shows them."""

    subject: ReferralSubject
    contact_shown: bool
    # None when nothing is proposed: unidentified, already linked, or the referral is closed.
    match: SubjectCandidates | None = None

    @property
    def name_only(self) -> bool:
        """Matching had no date of birth to go on, so its proposals rest on names."""
        return self.subject.date_of_birth is None and not (self.subject.pnc_id or self.subject.nhs_number)


@dataclass(frozen=True)
class ScreeningSubjects:
    victims: list[SubjectOnPage]
    suspects: list[SubjectOnPage]
    victim_contact_visible: bool


def screening_subjects_for(*, user: Any, referral: Referral, request: HttpRequest | None = None) -> ScreeningSubjects:
    """The victims and suspects the referral names, for someone who triages its unit.

    Victims' contact details are loaded only for roles the policy lets see the victim-contact
    compartment (and each victim whose details are shown gets an audit row naming the fields).
    While the referral is open, each named person not yet linked comes with the unit's people
    who may be them (ranked and explained) and pointers to other units; the people proposed are
    audited as seen.
    """
    contact_visible = victim_contact_visible(user=user, referral=referral)
    subjects = ReferralSubject.objects.visible_to(user).filter(referral=referral).select_related("person")
    subjects = subjects.defer(*(f"person__{name}" for name in ("address", "phone", "email")))
    victims = subjects.filter(role=SubjectRole.VICTIM)
    if not contact_visible:
        victims = victims.defer("address", "phone", "email")
    is_open = referral.status in OPEN_STATUSES

    def on_page(subject: ReferralSubject, contact_shown: bool) -> SubjectOnPage:
        match = None
        if is_open and not subject.unidentified and subject.person_id is None:
            subject.referral = referral
            match = candidates_for_subject(user=user, subject=subject, request=request)
            audit_record(
                action=AuditAction.VIEW,
                actor=user,
                request=request,
                unit=referral.unit,
                object_type="people.person",
                detail={
                    "proposed_for": str(subject.pk),
                    "referral": referral.reference,
                    "candidates": [str(c.person.pk) for c in match.candidates],
                },
            )
        return SubjectOnPage(subject=subject, contact_shown=contact_shown, match=match)

    shown_victims = [on_page(s, contact_visible) for s in victims.order_by("created_at")]
    for entry in shown_victims:
        subject = entry.subject
        if entry.contact_shown and any(getattr(subject, name) for name in ("address", "phone", "email")):
            audit_record(
                action=AuditAction.VIEW,
                actor=user,
                request=request,
                unit=referral.unit,
                obj=subject,
                fields=[name for name in ("address", "phone", "email") if getattr(subject, name)],
            )
    suspects = [on_page(s, True) for s in subjects.filter(role=SubjectRole.SUSPECT).order_by("created_at")]
    return ScreeningSubjects(victims=shown_victims, suspects=suspects, victim_contact_visible=contact_visible)


def subject_for_screening(
    *, user: Any, referral: Referral, subject_id: Any, request: HttpRequest | None = None
) -> ReferralSubject:
    """One person named by `referral` (already fetched for screening), else the audited 404."""
    subjects = ReferralSubject.objects.visible_to(user).filter(referral=referral)
    subject = get_visible_or_404(subjects, subject_id, user=user, request=request)
    subject.referral = referral
    return subject


def person_to_link(*, user: Any, subject: ReferralSubject, person_id: Any, request: HttpRequest | None = None) -> Any:
    """A person of the referral's unit that a screener chose as the same as `subject`.

    Deliberately wider than Person.visible_to: a screener links people they are not yet on a
    case with, limited to the unit they triage; a person of another unit is the audited 404.
    """
    from masip.people.models import Person

    unit_id = subject.referral.unit_id
    if not principal_for(user).can(Capability.TRIAGE_REFERRALS, unit_id=unit_id):
        raise PermissionDenied("Your role does not allow matching this unit's referrals to people.")
    people = Person.unscoped.filter(unit_id=unit_id).defer("address", "phone", "email")
    return get_visible_or_404(people, person_id, user=user, request=request)


def unlinked_subjects(*, user: Any, referral: Referral) -> list[ReferralSubject]:
    """Named people of the referral not yet linked to a person record (accepting creates them)."""
    subjects = ReferralSubject.objects.visible_to(user).filter(referral=referral, person__isnull=True)
    subjects = subjects.filter(unidentified=False).order_by("-role", "created_at")  # victims first
    return list(subjects.only("id", "role", "given_name", "family_name", "unidentified"))

"""Writes for feedback: storing one attendee's response, once."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.training.models import AttendeeRole, Delivery, FeedbackResponse, LearningOutcome, OutcomeRating


class FeedbackAlreadySent(Exception):
    """The form with this one-time key was stored before (a double click, the back button)."""


def feedback_submit(
    *,
    delivery: Delivery,
    nonce: str,
    role: AttendeeRole | str,
    comments: str,
    ratings: list[tuple[LearningOutcome, int, int]],
    request: HttpRequest | None = None,
) -> FeedbackResponse:
    """Store one response to `delivery`'s feedback form with its ratings (before, after, 1 to 5)
    and audit it, all or nothing.

    Guarantees that a form (its `nonce`) is stored at most once, even when two copies arrive at
    the same moment: the second raises FeedbackAlreadySent and stores nothing. The audit event
    has no actor (the respondent is anonymous) and names the delivery, never the comments.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint, so the failed insert leaves the rest usable
                response = FeedbackResponse.objects.create(
                    delivery=delivery, form_nonce=nonce, role=role, comments=comments
                )
        except IntegrityError as exc:
            raise FeedbackAlreadySent from exc
        OutcomeRating.objects.bulk_create(
            OutcomeRating(response=response, outcome=outcome, topic_id=outcome.topic_id, before=before, after=after)
            for outcome, before, after in ratings
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=None,
            request=request,
            unit=delivery.unit,
            obj=response,
            fields=["role", "comments", "ratings"],
            detail={"delivery": delivery.reference, "ratings": len(ratings)},
        )
    return response

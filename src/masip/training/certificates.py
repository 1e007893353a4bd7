"""Certificates of attendance as PDF: one A4 page per named attendee of a delivery that was held.
Made on request and never stored; making them is recorded in the audit log (counts only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.pdf import render_pdf
from masip.training.models import Attendee, Delivery, DeliveryStatus
from masip.training.selectors_deliveries import certificate_facts


class NotHeld(Exception):
    """Certificates are for deliveries marked held only."""

    def __init__(self, delivery: Delivery) -> None:
        super().__init__(
            f"Certificates of attendance are made once the delivery is marked held; {delivery.reference} is "
            f"{delivery.get_status_display().lower()}. Record its attendance, then mark it held."
        )


def duration_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def certificates_pdf(
    *, delivery: Delivery, attendees: list[Attendee], actor: Any = None, request: HttpRequest | None = None
) -> bytes:
    """One page per attendee of `delivery`, in the order given. Raises NotHeld unless the
    delivery was held, ValueError for no attendees, PdfUnavailable without WeasyPrint."""
    if delivery.status != DeliveryStatus.HELD:
        raise NotHeld(delivery)
    if not attendees:
        raise ValueError("No named attendees: there is nobody to make a certificate for.")
    facts = certificate_facts(delivery)
    pdf = render_pdf(
        "training/deliveries/certificates_pdf.html",
        {"facts": facts, "attendees": attendees, "duration": duration_words(facts.minutes)},
    )
    audit_record(
        action=AuditAction.EXPORT,
        actor=actor,
        request=request,
        unit=delivery.unit,
        obj=delivery,
        detail={"reference": delivery.reference, "certificates": len(attendees)},
    )
    return pdf

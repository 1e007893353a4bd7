"""Writes of training enquiries: one sent from the public page (no login, limited per address),
and the trainers' handling of it (status, who has it, notes, the organisation it is from).

Each write is one transaction with its audit row inside: field names only, never what the
enquirer wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record, client_address
from masip.core.mail import email_after_commit
from masip.core.models import locked_at_version
from masip.core.references import last_number
from masip.training.models import Enquiry, EnquiryStatus, Organisation
from masip.training.selectors import settings_of, trainers_of

ORGANISATION_NAME_MAX_LENGTH = 200
TRAINER_NOTES_MAX_LENGTH = 4_000


class EnquiryFlood(Exception):
    """One address sent as many enquiries in the last hour as the unit allows; nothing was kept."""

    def __init__(self, contact_email: str) -> None:
        also = f", or email {contact_email}" if contact_email else ""
        super().__init__(
            "We have had several enquiries from your connection in the last hour. "
            f"Please wait an hour and try again{also}."
        )


@dataclass(frozen=True)
class EnquiryDraft:
    """What an organisation entered on the public enquiry form, already checked by the form."""

    organisation_name: str
    organisation_kind: str
    region: str
    contact_name: str
    email: str
    audience: dict[str, int]
    phone: str = ""
    preferred_format: str = ""
    preferred_dates: str = ""
    message: str = ""


def source_digest_for(request: HttpRequest) -> str:
    """A keyed hash of the sender's address: enough to count their enquiries, never the address."""
    return salted_hmac("masip.training.enquiry", client_address(request) or "unknown").hexdigest()


def next_reference(unit: Unit, kind: str, model: Any) -> str:
    """The next `<UNIT>-<kind>-<year>-<nnnn>`; the caller holds the unit row's lock."""
    prefix = f"{unit.code.upper()}-{kind}-{timezone.localdate().year}-"
    return f"{prefix}{last_number(model.objects.filter(unit=unit), prefix) + 1:04d}"


def enquiry_submit(*, unit: Unit, draft: EnquiryDraft, request: HttpRequest) -> Enquiry:
    """Keep an enquiry from the public page with the next reference of the unit.

    Guarantees: no more than the unit's `enquiries_per_hour` from one address in any hour (the
    count and the insert happen under the unit's lock, so a burst cannot slip past it);
    raises EnquiryFlood and keeps nothing otherwise. The audit row names the reference only; the
    unit's contact address, if it has one, is told the reference once the enquiry is saved.
    """
    digest = source_digest_for(request)
    settings = settings_of(unit)
    limit = settings.enquiries_per_hour
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        since = timezone.now() - timedelta(hours=1)
        if Enquiry.objects.filter(source_digest=digest, created_at__gte=since).count() >= limit:
            raise EnquiryFlood(settings.contact_email)
        enquiry = Enquiry.objects.create(
            unit=locked,
            reference=next_reference(locked, "TRN", Enquiry),
            organisation_name=draft.organisation_name,
            organisation_kind=draft.organisation_kind,
            region=draft.region,
            contact_name=draft.contact_name,
            email=draft.email,
            phone=draft.phone,
            audience={key: value for key, value in draft.audience.items() if value},
            preferred_format=draft.preferred_format,
            preferred_dates=draft.preferred_dates,
            message=draft.message,
            source_digest=digest,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=None,
            request=request,
            unit=locked,
            obj=enquiry,
            detail={"reference": enquiry.reference},
        )
        if settings.contact_email:
            # The reference only: what was sent is read in masip, after signing in.
            email_after_commit(
                [
                    (
                        f"New training enquiry {enquiry.reference}",
                        f"A new training enquiry, {enquiry.reference}, was sent from {locked.name}'s public "
                        "training page.\n\nSign in to masip and open Training, then Enquiries, to read it.",
                        [settings.contact_email],
                    )
                ]
            )
    return enquiry


def organisation_match_or_create(*, unit: Unit, name: str, kind: str = "", region: str = "") -> Organisation:
    """The unit's organisation called `name` (case and surrounding spaces ignored), made with
    `kind` and `region` if the unit has none. The caller's transaction holds it."""
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError({"organisation_name": "Enter the organisation's name."})
    if len(clean) > ORGANISATION_NAME_MAX_LENGTH:
        raise ValidationError(
            {"organisation_name": f"The organisation's name can be at most {ORGANISATION_NAME_MAX_LENGTH} characters."}
        )
    found = Organisation.objects.filter(unit=unit, name__iexact=clean).first()
    if found is not None:
        return found
    # Lower(name) is unique per unit: iexact above agrees with it for the names people type.
    return Organisation.objects.create(unit=unit, name=clean, kind=kind or "other", region=region)


def enquiry_update(
    *,
    actor: Any,
    enquiry: Enquiry,
    expected_version: int,
    status: str,
    assigned_to: Any,
    trainer_notes: str,
    request: HttpRequest | None = None,
) -> Enquiry:
    """Change an enquiry's status, who has it and the trainers' notes.

    Guarantees: refused with StaleEditError (nothing written) when someone saved it since
    `expected_version`; `assigned_to` is one of the unit's trainers; audited with the changed
    field names only.
    """
    if status not in EnquiryStatus.values:
        raise ValidationError({"status": "Choose a status from the list."})
    if assigned_to is not None and not trainers_of(enquiry.unit).filter(pk=assigned_to.pk).exists():
        raise ValidationError({"assigned_to": "Choose one of the unit's trainers, or nobody."})
    notes = trainer_notes.strip()
    if len(notes) > TRAINER_NOTES_MAX_LENGTH:
        raise ValidationError({"trainer_notes": f"Notes can be at most {TRAINER_NOTES_MAX_LENGTH} characters."})
    with transaction.atomic():
        current = locked_at_version(Enquiry.objects, enquiry.pk, expected_version=expected_version, label="enquiry")
        new = {"status": status, "assigned_to_id": assigned_to.pk if assigned_to else None, "trainer_notes": notes}
        changed = [name for name, value in new.items() if getattr(current, name) != value]
        for name, value in new.items():
            setattr(current, name, value)
        current.version += 1
        current.save(update_fields=[*new, "version", "updated_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=[name.removesuffix("_id") for name in changed],
            detail={"reference": current.reference},
        )
    return current


def enquiry_link_organisation(
    *, actor: Any, enquiry: Enquiry, expected_version: int, request: HttpRequest | None = None
) -> Enquiry:
    """Link the enquiry to the unit's organisation of the same name (case ignored), made from the
    enquiry's name, kind and region if there is none. Refused when stale; audited."""
    with transaction.atomic():
        current = locked_at_version(Enquiry.objects, enquiry.pk, expected_version=expected_version, label="enquiry")
        organisation = organisation_match_or_create(
            unit=current.unit,
            name=current.organisation_name,
            kind=current.organisation_kind,
            region=current.region,
        )
        current.organisation = organisation
        current.version += 1
        current.save(update_fields=["organisation", "version", "updated_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["organisation"],
            detail={"reference": current.reference, "organisation_id": organisation.pk},
        )
    return current

"""Loading instrument definition files as immutable versions, and withdrawing versions.

A loaded version never changes: assessments point at the version they were made with, so a
changed file is loaded under a new version number and past assessments keep the old one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.risk.models import Instrument, InstrumentVersion
from masip.risk.schema import DefinitionError, Problem, definition_from_text


@dataclass(frozen=True)
class LoadResult:
    version: InstrumentVersion
    created: bool  # False: this version was already loaded with the same content (nothing changed)

    @property
    def summary(self) -> str:
        v = self.version
        where = v.instrument.unit.name if v.instrument.unit else "every unit (shipped with masip)"
        if not self.created:
            return f"{v.instrument.name} version {v.version} is already loaded for {where}; nothing was changed."
        return f"Loaded {v.instrument.name} version {v.version} for {where}."


def may_manage(user: Any, instrument_unit_id: int | None) -> bool:
    """Whether `user` may load or withdraw versions of a unit's instruments (`user` None: the
    server's operator, running manage.py). Shipped instruments (unit None) are every unit's, so
    no one unit's manager changes them: the operator does."""
    if user is None:
        return True  # the operator, on the server's command line
    if instrument_unit_id is None:
        return False
    return principal_for(user).can(Capability.MANAGE_INSTRUMENTS, instrument_unit_id)


def _refuse(path: str, message: str) -> DefinitionError:
    return DefinitionError([Problem(path, message)])


def instrument_load_result(
    *, actor: Any, unit: Unit | None, text: bytes, filename: str, request: HttpRequest | None = None
) -> LoadResult:
    """Check the definition file and store it as a new version of the unit's instrument (of
    masip's shipped set when `unit` is None). Guarantees: nothing is stored unless the whole
    file is valid (DefinitionError lists every problem); a version already loaded is never
    changed (the same content again changes nothing; different content is refused); the
    instrument, the version and the audit event are written in one transaction."""
    if not may_manage(actor, unit.pk if unit else None):
        raise PermissionDenied("Your role does not allow loading instruments for this unit.")
    normalised, parsed = definition_from_text(text, filename)
    sha256 = hashlib.sha256(text).hexdigest()
    with transaction.atomic():
        if unit is not None and Instrument.objects.filter(unit__isnull=True, key=parsed.key).exists():
            raise _refuse(
                "id",
                f"“{parsed.key}” is the id of an instrument masip ships to every unit; give the unit's instrument "
                "an id of its own.",
            )
        instrument = Instrument.objects.select_for_update().filter(unit=unit, key=parsed.key).first()
        if instrument is None:
            instrument = Instrument.objects.create(unit=unit, key=parsed.key, name=parsed.name)
        existing = instrument.versions.filter(version=parsed.version).first()
        if existing is not None:
            if existing.definition == normalised:
                return LoadResult(existing, created=False)
            raise _refuse(
                "version",
                f"version {parsed.version} of {parsed.key} is already loaded with different content; give the "
                "changed file a new version number (a loaded version never changes, so assessments made with it "
                "keep their meaning)",
            )
        if instrument.name != parsed.name:
            # The instrument is listed under the name its latest version gives it.
            Instrument.objects.filter(pk=instrument.pk).update(name=parsed.name, updated_at=timezone.now())
            instrument.name = parsed.name
        try:
            with transaction.atomic():
                version = InstrumentVersion.objects.create(
                    instrument=instrument,
                    version=parsed.version,
                    definition=normalised,
                    source_sha256=sha256,
                    licence=parsed.licence,
                    illustrative=parsed.illustrative,
                    loaded_by=actor if actor is not None and actor.is_authenticated else None,
                )
        except IntegrityError:
            # Someone loaded the same version at the same moment: say so rather than fail.
            raise _refuse(
                "version", f"version {parsed.version} of {parsed.key} was loaded by someone else just now"
            ) from None
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            obj=version,
            fields=["definition", "licence", "illustrative"],
            detail={
                "event": "instrument_loaded",
                "instrument": parsed.key,
                "version": parsed.version,
                "sha256": sha256,
                "shipped": unit is None,
            },
        )
    return LoadResult(version, created=True)


def instrument_load(
    *, actor: Any, unit: Unit | None, text: bytes, filename: str, request: HttpRequest | None = None
) -> InstrumentVersion:
    """`instrument_load_result`, returning the version only (the new one, or the one already
    loaded with this content)."""
    return instrument_load_result(actor=actor, unit=unit, text=text, filename=filename, request=request).version


class WithdrawRefused(Exception):
    pass


def instrument_withdraw(
    *, actor: Any, version: InstrumentVersion, request: HttpRequest | None = None
) -> InstrumentVersion:
    """Stop offering `version` for new assessments. Assessments already made with it keep it.
    Withdrawing twice changes nothing. Audited in the same transaction."""
    if not may_manage(actor, version.instrument.unit_id):
        if version.instrument.unit_id is None:
            raise WithdrawRefused(
                "Instruments shipped with masip are offered to every unit, so one unit cannot withdraw them. "
                "Ask your system administrator."
            )
        raise PermissionDenied("Your role does not allow withdrawing this unit's instruments.")
    with transaction.atomic():
        locked = InstrumentVersion.objects.select_for_update().select_related("instrument").get(pk=version.pk)
        if locked.withdrawn_at is not None:
            return locked
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["withdrawn_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=locked.instrument.unit,
            obj=locked,
            fields=["withdrawn_at"],
            detail={"event": "instrument_withdrawn", "instrument": locked.instrument.key, "version": locked.version},
        )
    return locked

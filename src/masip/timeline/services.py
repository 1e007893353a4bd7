"""Writes to a case's timeline: one entry, a batch typed on one page, an edit. Each is one
transaction with its audit row inside, and the red-flag engine re-run over the case before the
transaction commits (once per write, however many entries it adds).

Every entry is held to the same rules wherever it comes from (a form, the bulk page, an
imported incident log): `EntryRules` checks a draft against the case and says, field by field,
what is wrong and what to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseParticipant, ParallelProcess, ParticipantRole
from masip.core.models import locked_at_version, save_versioned
from masip.evidence.models import EvidenceItem
from masip.timeline.models import BehaviourType, EntrySource, ReportedBy, TimelineEntry
from masip.timeline.redflags import redflags_evaluate_case

# The compartments an entry may be kept in (victim contact details are not a place for behaviour).
ENTRY_COMPARTMENTS: tuple[Compartment, ...] = (
    Compartment.TEAM,
    Compartment.POLICE,
    Compartment.HEALTH,
    Compartment.ADVOCACY,
)
MAX_INCIDENTS = 10_000
LOCATION_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 10_000
BATCH_MAX_ROWS = 100
# A time "now" typed on a device whose clock runs a little fast is not in the future.
CLOCK_SKEW = timedelta(minutes=5)
BREACH_CODES = frozenset({"breach_order", "breach_bail"})
ENTRY_FIELDS = (
    "behaviours",
    "compartment",
    "description",
    "evidence",
    "incidents",
    "location",
    "occurred_at",
    "occurred_on",
    "occurred_until",
    "order_breached",
    "reported_by",
    "reported_on",
)


@dataclass(frozen=True)
class EntryDraft:
    """What a person says happened, before it is checked against the case."""

    occurred_on: date | None
    behaviour_codes: Sequence[str]
    reported_by: str
    occurred_until: date | None = None
    occurred_time: time | None = None
    incidents: int | None = 1
    reported_on: date | None = None
    location: str = ""
    description: str = ""
    evidence_ids: Sequence[Any] = ()
    order_id: Any = None


@dataclass
class CheckedEntry:
    """A draft that passed every rule, with the rows it names."""

    values: dict[str, Any]
    behaviours: list[BehaviourType]
    evidence: list[EvidenceItem] = field(default_factory=list)


def _date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


class EntryRules:
    """The rules an entry must meet on one case, for one author, loaded once (a batch of a
    thousand rows reads the taxonomy, the victims' dates of birth, the exhibits and the orders
    once)."""

    def __init__(self, *, case: Case, actor: Any, keep_codes: Iterable[str] = ()) -> None:
        self.case = case
        self.today = timezone.localdate()
        self.now = timezone.now()
        keep = set(keep_codes)
        # Codes no longer offered are refused, except those an entry being edited already names.
        self.behaviours = {b.code: b for b in BehaviourType.objects.all() if b.active or b.code in keep}
        births = [
            born
            for born in CaseParticipant.unscoped.filter(
                case=case, role=ParticipantRole.VICTIM, ended_at__isnull=True, person__date_of_birth__isnull=False
            ).values_list("person__date_of_birth", flat=True)
            if born is not None
        ]
        # With several victims, an entry is impossible only before the first of them was born.
        self.earliest_birth: date | None = min(births, default=None)
        self.actor = actor
        self._evidence: dict[str, EvidenceItem] | None = None
        self._orders: dict[str, ParallelProcess] | None = None

    @property
    def evidence(self) -> dict[str, EvidenceItem]:
        if self._evidence is None:
            items = EvidenceItem.objects.visible_to(self.actor, Action.VIEW).filter(case=self.case)
            self._evidence = {str(item.pk): item for item in items}
        return self._evidence

    @property
    def orders(self) -> dict[str, ParallelProcess]:
        if self._orders is None:
            self._orders = {str(p.pk): p for p in ParallelProcess.unscoped.filter(case=self.case)}
        return self._orders

    def check(self, draft: EntryDraft) -> CheckedEntry:
        """The draft's values ready to store, or ValidationError naming each field that is wrong."""
        errors: dict[str, list[str]] = {}

        def refuse(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        behaviours = self._behaviours(draft.behaviour_codes, refuse)
        on, until = draft.occurred_on, draft.occurred_until
        if on is None:
            refuse("occurred_on", "Enter the date it happened, or the first day of the range.")
        else:
            if on > self.today:
                refuse("occurred_on", f"The date it happened ({_date(on)}) is in the future. Check the date.")
            if self.earliest_birth is not None and on < self.earliest_birth:
                refuse(
                    "occurred_on",
                    f"The date it happened ({_date(on)}) is before the victim's date of birth. "
                    "Check the year, or the date of birth on the case.",
                )
        if until is not None and on is not None:
            if until < on:
                refuse(
                    "occurred_until",
                    f"The range ends ({_date(until)}) before it starts ({_date(on)}). "
                    "Enter the first day first and the last day second.",
                )
            elif until > self.today:
                refuse("occurred_until", f"The last day of the range ({_date(until)}) is in the future.")
            elif until == on:
                until = None  # a range of one day is that day
        occurred_at: datetime | None = None
        if draft.occurred_time is not None and on is not None:
            if until is not None:
                refuse(
                    "occurred_time",
                    "An exact time and a range of days contradict each other. Give the time for an entry on one "
                    "day, or a range without a time.",
                )
            else:
                occurred_at = timezone.make_aware(datetime.combine(on, draft.occurred_time))
                if occurred_at > self.now + CLOCK_SKEW and on <= self.today:
                    refuse("occurred_time", "The time it happened is later than now. Check the time.")
        incidents = draft.incidents
        if incidents is None:
            refuse("incidents", "Enter how many times it happened (1 if once).")
        elif incidents < 1:
            refuse("incidents", "How many times must be at least 1.")
        elif incidents > MAX_INCIDENTS:
            refuse(
                "incidents",
                f"How many times can be at most {MAX_INCIDENTS:,}. Split a longer period into several entries.",
            )
        if draft.reported_by not in ReportedBy.values:
            refuse("reported_by", "Choose who reported it.")
        reported_on = draft.reported_on
        if reported_on is not None:
            if reported_on > self.today:
                refuse("reported_on", f"The date it was reported ({_date(reported_on)}) is in the future.")
            elif on is not None and reported_on < on:
                refuse(
                    "reported_on",
                    f"It was reported ({_date(reported_on)}) before it happened ({_date(on)}). "
                    "Check both dates: a range is reported on or after its first day.",
                )
        location = draft.location.strip()
        if len(location) > LOCATION_MAX_LENGTH:
            refuse("location", f"The location can be at most {LOCATION_MAX_LENGTH} characters.")
        description = draft.description.strip()
        if len(description) > DESCRIPTION_MAX_LENGTH:
            refuse(
                "description",
                f"The description can be at most {DESCRIPTION_MAX_LENGTH:,} characters. Put the rest in a case note.",
            )
        evidence = self._evidence_items(draft.evidence_ids, refuse)
        order = None
        if draft.order_id not in (None, ""):
            order = self.orders.get(str(draft.order_id))
            if order is None:
                refuse("order_breached", "Choose the order breached from this case's orders and processes.")
        if errors:
            raise ValidationError(errors)
        return CheckedEntry(
            values={
                "occurred_on": on,
                "occurred_until": until,
                "occurred_at": occurred_at,
                "incidents": incidents,
                "reported_by": draft.reported_by,
                "reported_on": reported_on,
                "location": location,
                "description": description,
                "order_breached": order,
            },
            behaviours=behaviours,
            evidence=evidence,
        )

    def _behaviours(self, codes: Sequence[str], refuse: Any) -> list[BehaviourType]:
        wanted = list(dict.fromkeys(code.strip() for code in codes if code and code.strip()))
        if not wanted:
            refuse("behaviours", "Choose at least one behaviour.")
            return []
        unknown = [code for code in wanted if code not in self.behaviours]
        if unknown:
            names = ", ".join(f"“{code}”" for code in unknown)
            refuse(
                "behaviours",
                f"masip does not offer the behaviour{'s' if len(unknown) > 1 else ''} {names}. "
                f"Use one of: {', '.join(self.active_codes())}.",
            )
        return [self.behaviours[code] for code in wanted if code in self.behaviours]

    def active_codes(self) -> list[str]:
        return [b.code for b in sorted(self.behaviours.values(), key=lambda b: b.position) if b.active]

    def _evidence_items(self, ids: Sequence[Any], refuse: Any) -> list[EvidenceItem]:
        found = []
        for pk in dict.fromkeys(str(i) for i in ids if i):
            item = self.evidence.get(pk)
            if item is None:
                refuse("evidence", "Choose exhibits from this case's evidence that you can see.")
                return []
            found.append(item)
        return found


def timeline_compartment_writable(*, actor: Any, case: Case, compartment: str) -> Compartment:
    """The compartment, if the actor's roles in the case's unit let them add entries there."""
    try:
        chosen = Compartment(compartment)
    except ValueError:
        raise ValidationError({"compartment": "Choose who may read this entry."}) from None
    if chosen not in ENTRY_COMPARTMENTS:
        raise ValidationError({"compartment": "Choose who may read this entry from the compartments offered."})
    if not principal_for(actor).may(case.unit_id, chosen, Action.CREATE):
        raise PermissionDenied(
            f"Your role does not allow adding timeline entries to the “{chosen.label}” compartment. "
            "Choose one of the compartments offered on the page."
        )
    return chosen


def timeline_compartments_offered(*, user: Any, case: Case) -> list[Compartment]:
    allowed = principal_for(user).compartments(case.unit_id, Action.CREATE)
    return [c for c in ENTRY_COMPARTMENTS if c.value in allowed]


def _new_entry(*, case: Case, actor: Any, compartment: str, checked: CheckedEntry, source: str) -> TimelineEntry:
    return TimelineEntry(
        id=uuid.uuid4(), case=case, compartment=compartment, source=source, created_by=actor, **checked.values
    )


def _store(entries: list[TimelineEntry], checked: list[CheckedEntry]) -> None:
    """Insert the entries and their links to behaviours and exhibits, a few queries for any number."""
    TimelineEntry.unscoped.bulk_create(entries)
    through_b = TimelineEntry.behaviours.through
    through_e = TimelineEntry.evidence.through
    through_b.objects.bulk_create(
        [
            through_b(timelineentry_id=entry.pk, behaviourtype_id=b.pk)
            for entry, check in zip(entries, checked, strict=True)
            for b in check.behaviours
        ]
    )
    links = [
        through_e(timelineentry_id=entry.pk, evidenceitem_id=item.pk)
        for entry, check in zip(entries, checked, strict=True)
        for item in check.evidence
    ]
    if links:
        through_e.objects.bulk_create(links)


def _audit_fields(checked: CheckedEntry) -> list[str]:
    filled = {"behaviours", "compartment", "incidents", "occurred_on", "reported_by", "source"}
    for name in ("occurred_until", "occurred_at", "reported_on", "location", "description", "order_breached"):
        if checked.values[name]:
            filled.add(name)
    if checked.evidence:
        filled.add("evidence")
    return sorted(filled)


def timeline_entry_create(
    *,
    actor: Any,
    case: Case,
    compartment: str,
    draft: EntryDraft,
    source: str = EntrySource.FORM,
    order: Any = None,
    request: HttpRequest | None = None,
) -> TimelineEntry:
    """Add one entry to `case`'s timeline in `compartment` (`order`: the case's order it
    records a breach of, which the caller has checked).

    Guarantees: the actor's roles allow `create` in that compartment (else PermissionDenied);
    the draft meets every rule of EntryRules (else ValidationError by field); the entry, its
    audit row (`create`, field names only) and the red-flag re-evaluation of the case commit
    together, or nothing does. The caller has already checked that the actor may see the case.
    """
    chosen = timeline_compartment_writable(actor=actor, case=case, compartment=compartment)
    checked = EntryRules(case=case, actor=actor).check(draft)
    with transaction.atomic():
        entry = _new_entry(case=case, actor=actor, compartment=chosen, checked=checked, source=source)
        entry.order = order
        _store([entry], [checked])
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=entry,
            case_id=case.pk,
            fields=sorted([*_audit_fields(checked), *(["order"] if order is not None else [])]),
        )
        redflags_evaluate_case(case=case, actor=actor, request=request)
    return entry


class BatchInvalid(ValidationError):
    """Some rows of a batch are wrong; nothing was stored. `rows` maps each wrong row's index
    (from 0, in the order given) to its messages by field."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(f"{len(rows)} row{'s' if len(rows) != 1 else ''} must be corrected. Nothing was saved.")
        self.rows = rows


def timeline_entries_check(*, actor: Any, case: Case, drafts: Sequence[EntryDraft]) -> list[CheckedEntry]:
    """Every draft checked against the case, or BatchInvalid naming each wrong one. Writes nothing."""
    rules = EntryRules(case=case, actor=actor)
    checked: list[CheckedEntry] = []
    wrong: dict[int, dict[str, list[str]]] = {}
    for index, draft in enumerate(drafts):
        try:
            checked.append(rules.check(draft))
        except ValidationError as error:
            wrong[index] = error.message_dict
    if wrong:
        raise BatchInvalid(wrong)
    return checked


def timeline_entries_create(
    *,
    actor: Any,
    case: Case,
    compartment: str,
    drafts: Sequence[EntryDraft],
    source: str,
    max_rows: int | None = BATCH_MAX_ROWS,
    request: HttpRequest | None = None,
    audit_obj: Any = None,
) -> list[TimelineEntry]:
    """Add a batch of entries (typed on the bulk page, or read from an incident log) all at once.

    Guarantees: every draft is checked first; if any is wrong, BatchInvalid names each wrong
    row and nothing is stored. Otherwise all entries, one audit row for the batch (`create`,
    how many and, for a typed batch, which) and one red-flag re-evaluation of the case commit
    together in one transaction.
    """
    chosen = timeline_compartment_writable(actor=actor, case=case, compartment=compartment)
    if not drafts:
        raise ValidationError("Fill in at least one row.")
    if max_rows is not None and len(drafts) > max_rows:
        raise ValidationError(f"Enter at most {max_rows} rows at once. Save these, then add the rest.")
    checked = timeline_entries_check(actor=actor, case=case, drafts=drafts)
    with transaction.atomic():
        entries = [_new_entry(case=case, actor=actor, compartment=chosen, checked=c, source=source) for c in checked]
        _store(entries, checked)
        detail: dict[str, Any] = {"source": source, "count": len(entries)}
        if len(entries) <= BATCH_MAX_ROWS:
            detail["entries"] = [str(e.pk) for e in entries]
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=audit_obj,
            object_type="" if audit_obj is not None else TimelineEntry._meta.label_lower,
            case_id=case.pk,
            fields=sorted({name for c in checked for name in _audit_fields(c)}),
            detail=detail,
        )
        redflags_evaluate_case(case=case, actor=actor, request=request)
    return entries


# Editing ---------------------------------------------------------------------------------------


def timeline_entry_may_edit(*, actor: Any, entry: TimelineEntry) -> bool:
    """Its author while they may still write in its compartment, or a role the policy lets change it."""
    principal = principal_for(actor)
    unit_id = entry.case.unit_id
    if entry.created_by_id == getattr(actor, "pk", None) and principal.may(unit_id, entry.compartment, Action.CREATE):
        return True
    return principal.may(unit_id, entry.compartment, Action.CHANGE)


def entry_snapshot(entry: TimelineEntry) -> dict[str, Any]:
    """The entry's values a person compares (behaviours and exhibits as sorted ids)."""
    return {
        "occurred_on": entry.occurred_on,
        "occurred_until": entry.occurred_until,
        "occurred_at": entry.occurred_at,
        "incidents": entry.incidents,
        "reported_by": entry.reported_by,
        "reported_on": entry.reported_on,
        "location": entry.location,
        "description": entry.description,
        "order_breached": entry.order_breached_id,
        "behaviours": sorted(b.pk for b in entry.behaviours.all()),
        "evidence": sorted(str(e.pk) for e in entry.evidence.all()),
    }


def timeline_entry_update(
    *,
    actor: Any,
    entry: TimelineEntry,
    expected_version: int,
    draft: EntryDraft,
    request: HttpRequest | None = None,
) -> TimelineEntry:
    """Change an entry if nobody saved it since the editor opened it.

    Guarantees: the actor may edit it (timeline_entry_may_edit, else PermissionDenied); its
    compartment never changes here; the draft meets every rule (ValidationError by field).
    When the stored version is no longer `expected_version`, StaleEditError carries the
    entry as it stands and nothing is written. Otherwise the change (versioned), its audit row
    (`change`, the names of the fields that changed) and the red-flag re-evaluation commit
    together. Saving the same values again writes nothing.
    """
    if not timeline_entry_may_edit(actor=actor, entry=entry):
        raise PermissionDenied(
            "Only the entry's author, or a role allowed to change entries in its compartment, can edit it."
        )
    case = entry.case
    current_codes = [b.code for b in entry.behaviours.all()]
    checked = EntryRules(case=case, actor=actor, keep_codes=current_codes).check(draft)
    with transaction.atomic():
        # The row lock makes two editors of one entry queue here; the second sees the first's version.
        current = locked_at_version(
            TimelineEntry.unscoped, entry.pk, expected_version=expected_version, label="timeline entry"
        )
        before = entry_snapshot(current)
        after = {
            **{name: value for name, value in checked.values.items() if name != "order_breached"},
            "order_breached": checked.values["order_breached"].pk if checked.values["order_breached"] else None,
            "behaviours": sorted(b.pk for b in checked.behaviours),
            "evidence": sorted(str(e.pk) for e in checked.evidence),
        }
        changed = sorted(name for name in after if before[name] != after[name])
        if not changed:
            return current
        for name, value in checked.values.items():
            setattr(current, name, value)
        current.updated_by = actor
        save_versioned(current, expected_version=expected_version, fields=[*checked.values, "updated_by"])
        if "behaviours" in changed:
            current.behaviours.set(checked.behaviours)
        if "evidence" in changed:
            current.evidence.set(checked.evidence)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=current,
            case_id=case.pk,
            fields=changed,
            detail={"version": current.version},
        )
        redflags_evaluate_case(case=case, actor=actor, request=request)
    return current


def breach_without_order(entry: TimelineEntry) -> bool:
    """The entry records a breach but names no order: the page suggests choosing one."""
    return entry.order_breached_id is None and any(b.code in BREACH_CODES for b in entry.behaviours.all())

"""The red-flag engine's entry points. The rules (a declarative file, no expressions evaluated)
run over a case's timeline, assessments, risk events, orders and participants; each alert says
why it was raised. The engine never changes a risk level: it prompts human judgement.

How an evaluation runs:

1. The case's facts are read in a fixed, small number of queries (`_load`), whatever the size of
   the timeline: entries as plain values with their behaviour codes, orders, participants with
   their person records, the person's other cases, risk events, completed assessments of the
   instruments the rules name, the referral's relationship, and the alerts already stored.
2. Each rule kind is a Python function over those facts (sorted arrays, bisect, prefix sums).
3. Compartments: the rules run first over the team compartment's facts; then, for each
   restricted compartment (police, health, advocacy), over the team's facts plus that
   compartment's. A finding of a restricted pass that uses none of that compartment's facts was
   already found by the team pass and is dropped; one that does is stored in that compartment,
   so whoever can read an alert can read everything it rests on.
4. A finding is identified by its rule and fingerprint (a hash of the facts: the entry ids, the
   window, the event). Found for the first time, it is stored, audited, and the case's
   re-assessment task is made or brought forward; found again, its `last_seen_at` moves on. An
   acknowledged alert stays acknowledged: only a new fact makes a new fingerprint.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Compartment
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseParticipant, CaseStatus, ParallelProcess, ParticipantRole
from masip.people.models import PersonFlag
from masip.referrals.models import Referral
from masip.risk.models import Assessment, AssessmentStatus, RiskEvent, RiskEventKind
from masip.timeline.models import AlertStatus, RedFlagAlert, TimelineEntry
from masip.timeline.rules import Kind, Rule, Rules, rules_for
from masip.timeline.taxonomy import taxonomy

RESTRICTED = (Compartment.POLICE, Compartment.HEALTH, Compartment.ADVOCACY)
# An entry over a range of days spreads its incidents over at most this many days.
MAX_RANGE_DAYS = 366


def day_text(day: date) -> str:
    """3 May 2026."""
    return f"{day.day} {day:%B %Y}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _joined(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- the facts of a case ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    id: Any
    day: date
    until: date
    incidents: int
    compartment: str
    codes: frozenset[str]
    proximity: int
    order_id: Any


@dataclass(frozen=True)
class Participant:
    id: Any
    role: str
    added_on: date
    person_id: Any
    flags: frozenset[str]


@dataclass(frozen=True)
class Event:
    id: Any
    kind: str
    day: date
    compartment: str


@dataclass(frozen=True)
class Answered:
    id: Any
    instrument_key: str
    instrument_name: str
    day: date
    answers: dict[str, Any]
    item_texts: dict[str, str]
    compartment: str


@dataclass
class Facts:
    """What the rules read, for one compartment pass."""

    today: date
    entries: list[Entry]
    orders: dict[Any, str]
    participants: list[Participant]
    other_cases: dict[Any, frozenset[Any]]
    events: list[Event]
    assessments: list[Answered]
    relationships: frozenset[str]
    context_text: str = ""

    def only(self, compartments: frozenset[str]) -> Facts:
        return Facts(
            today=self.today,
            entries=[e for e in self.entries if e.compartment in compartments],
            orders=self.orders,
            participants=self.participants,
            other_cases=self.other_cases,
            events=[e for e in self.events if e.compartment in compartments],
            assessments=[a for a in self.assessments if a.compartment in compartments],
            relationships=self.relationships,
            context_text=self.context_text,
        )


@cache
def _proximity() -> dict[str, int]:
    return {b.code: b.proximity for b in taxonomy().behaviours}


def _load(case: Case, rules: Rules, today: date) -> Facts:
    """The case's facts: a fixed number of queries, whatever the size of the timeline."""
    proximity = _proximity()
    codes_by_entry: dict[Any, set[str]] = defaultdict(set)
    through = TimelineEntry.behaviours.through
    for entry_id, code in through.objects.filter(timelineentry__case_id=case.pk).values_list(
        "timelineentry_id", "behaviourtype__code"
    ):
        codes_by_entry[entry_id].add(code)
    entries = []
    for row in (
        TimelineEntry.unscoped.filter(case_id=case.pk)
        .order_by("occurred_on", "occurred_at", "created_at")
        .values_list("id", "occurred_on", "occurred_until", "incidents", "compartment", "order_breached_id", "order_id")
    ):
        pk, day, until, incidents, compartment, process_id, order_id = row
        codes = frozenset(codes_by_entry.get(pk, ()))
        entries.append(
            Entry(
                pk,
                day,
                until or day,
                incidents,
                compartment,
                codes,
                max((proximity.get(c, 0) for c in codes), default=0),
                order_id or process_id,
            )
        )
    orders: dict[Any, str] = {}
    if any(e.order_id for e in entries):
        for process in ParallelProcess.unscoped.filter(case_id=case.pk):
            name = process.get_kind_display()
            orders[process.pk] = f"{name} ({process.summary}), from {day_text(process.started_on)}"
        # The orders register (interventions): an entry's `order` names the order it breached.
        register: Any = TimelineEntry.order.field.related_model
        for order in register.unscoped.filter(case_id=case.pk):
            orders[order.pk] = f"{order.get_kind_display()}, from {day_text(order.starts_on)}"
    participants = [
        Participant(pk, role, timezone.localdate(created), person_id, frozenset(flags or ()))
        for pk, role, created, person_id, flags in CaseParticipant.unscoped.filter(
            case_id=case.pk, ended_at__isnull=True
        ).values_list("id", "role", "created_at", "person_id", "person__flags")
    ]
    principals = (ParticipantRole.PERPETRATOR, ParticipantRole.SUSPECT)
    suspects = {p.person_id for p in participants if p.role in principals}
    other_cases: dict[Any, set[Any]] = defaultdict(set)
    if suspects and any(r.kind == Kind.PERSON_HISTORY and r.parameters.get("other_cases") for r in rules.rules):
        for person_id, case_id in (
            CaseParticipant.unscoped.filter(person_id__in=suspects, role__in=principals, case__unit_id=case.unit_id)
            .exclude(case_id=case.pk)
            .values_list("person_id", "case_id")
        ):
            other_cases[person_id].add(case_id)
    events = [
        Event(*row)
        for row in RiskEvent.unscoped.filter(case_id=case.pk).values_list("id", "kind", "occurred_on", "compartment")
    ]
    instruments = {r.parameters["instrument"] for r in rules.rules if r.kind == Kind.ASSESSMENT_ANSWER}
    assessments = []
    if instruments:
        for assessment in (
            Assessment.unscoped.filter(
                case_id=case.pk,
                status=AssessmentStatus.COMPLETED,
                instrument_version__instrument__key__in=instruments,
            )
            .select_related("instrument_version__instrument")
            .order_by("assessed_on", "completed_at")
        ):
            version = assessment.instrument_version
            texts = {item.id: item.text for section in version.parsed.sections for item in section.items}
            assessments.append(
                Answered(
                    assessment.pk,
                    version.instrument.key,
                    version.instrument.name,
                    assessment.assessed_on,
                    assessment.answers,
                    texts,
                    assessment.compartment,
                )
            )
    relationships = frozenset(
        r for r in Referral.unscoped.filter(case_id=case.pk).values_list("relationship", flat=True) if r
    )
    facts = Facts(
        today,
        entries,
        orders,
        participants,
        {k: frozenset(v) for k, v in other_cases.items()},
        events,
        assessments,
        relationships,
    )
    held = [c.text for c in rules.context if c.kind == "relationship" and c.relationships & relationships]
    facts.context_text = "".join(f"; {text}" for text in held)
    return facts


# --- findings ---------------------------------------------------------------------------------


@dataclass
class Finding:
    rule: Rule
    facts: str  # what identifies the finding: hashed into the fingerprint
    slots: dict[str, Any]
    occurred_on: date
    entry_ids: list[Any] = field(default_factory=list)
    # The compartments of the facts it rests on (entries, events, assessments).
    compartments: set[str] = field(default_factory=set)

    def explanation(self, context: str) -> str:
        return self.rule.explanation.format_map({**self.slots, "context": context})


def _label(code: str) -> str:
    behaviour = taxonomy().get(code)
    return behaviour.label if behaviour else code


def _behaviour_present(rule: Rule, facts: Facts) -> Iterator[Finding]:
    wanted = frozenset(rule.parameters["behaviours"])
    for entry in facts.entries:
        matched = sorted(entry.codes & wanted, key=lambda c: rule.parameters["behaviours"].index(c))
        if not matched:
            continue
        order = facts.orders.get(entry.order_id) if entry.order_id else None
        labels = [_label(code) for code in matched]
        behaviour = labels[0] + "".join(f" and {_lower_first(label)}" for label in labels[1:])
        yield Finding(
            rule,
            f"entry:{entry.id}",
            {
                "behaviour": behaviour,
                "date": day_text(entry.day),
                "order": f" (the order breached: {order})" if order else "",
            },
            entry.day,
            [entry.id],
            {entry.compartment},
        )


def _daily(entries: list[Entry]) -> tuple[int, list[float]]:
    """(first day's ordinal, cumulative incidents by day): prefix sums over every day from the
    first entry to the last, a range's incidents spread evenly over its days."""
    first = entries[0].day.toordinal()
    last = max(e.until.toordinal() for e in entries)
    counts = [0.0] * (last - first + 2)
    for entry in entries:
        start = entry.day.toordinal()
        days = min(entry.until.toordinal() - start + 1, MAX_RANGE_DAYS)
        share = entry.incidents / days
        for offset in range(days):
            counts[start - first + offset] += share
    total = 0.0
    cumulative = [0.0]
    for count in counts:
        total += count
        cumulative.append(total)
    return first, cumulative


def _frequency_escalation(rule: Rule, facts: Facts) -> Iterator[Finding]:
    """The rate in a rolling window against the average rate of the windows before it: an
    escalation when the window has at least `min_count` incidents and `factor` times the
    baseline. Consecutive escalated windows are one episode, identified by its first window."""
    params = rule.parameters
    wanted = frozenset(params.get("behaviours", ()))
    entries = [e for e in facts.entries if not wanted or e.codes & wanted]
    if not entries:
        return
    window, windows, factor, minimum = (
        params["window_days"],
        params["baseline_windows"],
        float(params["factor"]),
        params["min_count"],
    )
    first, cumulative = _daily(entries)
    size = len(cumulative) - 1

    def upto(ordinal: int) -> float:
        """Incidents on days before `ordinal`."""
        return cumulative[max(0, min(ordinal - first, size))]

    ends = sorted({e.day.toordinal() for e in entries} | {e.until.toordinal() for e in entries})
    # Each episode: [first window's start, last window's end, the peak (recent, baseline, start, end, observed)].
    episodes: list[list[Any]] = []
    for end in ends:
        start = end - window + 1
        recent = upto(end + 1) - upto(start)
        baseline_from = max(start - window * windows, first)
        observed = start - baseline_from
        if observed < window or recent < minimum:
            continue
        baseline = (upto(start) - upto(baseline_from)) * window / observed
        if recent < factor * baseline:
            continue
        peak = (recent, baseline, start, end, observed)
        if episodes and start <= episodes[-1][1]:
            episode = episodes[-1]  # the same episode goes on
            episode[1] = end
            if recent > episode[2][0]:
                episode[2] = peak
        else:
            episodes.append([start, end, peak])
    for episode_start, episode_end, (recent, baseline, start, end, observed) in episodes:
        from_day, to_day = date.fromordinal(start), date.fromordinal(end)
        span_from, span_to = date.fromordinal(episode_start), date.fromordinal(episode_end)
        used = [e for e in entries if e.day <= span_to and e.until >= span_from]
        yield Finding(
            rule,
            f"window:{span_from.isoformat()}:{window}",
            {
                "count": round(recent),
                "window_days": window,
                "baseline": f"{baseline:.1f}".removesuffix(".0"),
                "baseline_days": observed,
                "factor": f"{recent / baseline:.1f}".removesuffix(".0") if baseline else "new",
                "from_date": day_text(from_day),
                "to_date": day_text(to_day),
            },
            span_to,
            [e.id for e in used],
            {e.compartment for e in used},
        )


def _proximity_escalation(rule: Rule, facts: Facts) -> Iterator[Finding]:
    """A first move up the proximity ladder: an entry at `to_min` or closer with none as close in
    the `within_days` before it, but remote (or watching) contact at `from_max` or below."""
    params = rule.parameters
    low_max, high_min, within = params["from_max"], params["to_min"], params["within_days"]
    lows = [e for e in facts.entries if 1 <= e.proximity <= low_max]
    highs = [e for e in facts.entries if e.proximity >= high_min]
    low_days = [e.day.toordinal() for e in lows]
    high_days = [e.day.toordinal() for e in highs]
    for index, entry in enumerate(highs):
        day = high_days[index]
        if index and high_days[index - 1] >= day - within:
            continue  # already close: not a move up
        left = bisect.bisect_left(low_days, day - within)
        right = bisect.bisect_left(low_days, day)
        if left >= right:
            continue
        low = lows[left]
        ladder = _proximity()
        top = max(entry.codes, key=lambda c: (ladder.get(c, 0), c))
        bottom = min((c for c in low.codes if ladder.get(c, 0) >= 1), key=lambda c: (ladder.get(c, 0), c))
        yield Finding(
            rule,
            f"entry:{entry.id}",
            {
                "from_behaviour": _lower_first(_label(bottom)),
                "to_behaviour": _lower_first(_label(top)),
                "from_date": day_text(low.day),
                "to_date": day_text(entry.day),
                "days": (entry.day - low.day).days,
                "within_days": within,
            },
            entry.day,
            [low.id, entry.id],
            {low.compartment, entry.compartment},
        )


def _risk_event(rule: Rule, facts: Facts) -> Iterator[Finding]:
    params = rule.parameters
    months = params["within_months"]
    since = _months_before(facts.today, months)
    kinds = set(params.get("event_kinds", ()))
    for event in facts.events:
        if event.kind in kinds and since <= event.day <= facts.today:
            yield Finding(
                rule,
                f"event:{event.id}",
                {"event": RiskEventKind(event.kind).label, "date": day_text(event.day), "months": months},
                event.day,
                [],
                {event.compartment},
            )
    roles = set(params.get("participant_roles", ()))
    for participant in facts.participants:
        if participant.role in roles and since <= participant.added_on:
            yield Finding(
                rule,
                f"participant:{participant.id}",
                {
                    "event": f"{ParticipantRole(participant.role).label} named on the case",
                    "date": day_text(participant.added_on),
                    "months": months,
                },
                participant.added_on,
                [],
                {Compartment.TEAM},
            )


def _role_word(role: str) -> str:
    return "suspect" if role == ParticipantRole.SUSPECT else "perpetrator"


def _person_history(rule: Rule, facts: Facts) -> Iterator[Finding]:
    params = rule.parameters
    roles = set(params["roles"])
    for participant in facts.participants:
        if participant.role not in roles:
            continue
        if params.get("flags"):
            flags = [f for f in params["flags"] if f in participant.flags]
            if flags:
                yield Finding(
                    rule,
                    f"person:{participant.person_id}:flags:{','.join(sorted(flags))}",
                    {
                        "role": _role_word(participant.role),
                        "flags": _joined([_lower_first(PersonFlag(f).label) for f in flags]),
                    },
                    participant.added_on,
                    [],
                    {Compartment.TEAM},
                )
        elif params.get("other_cases"):
            others = facts.other_cases.get(participant.person_id)
            if others:
                yield Finding(
                    rule,
                    f"person:{participant.person_id}:cases:{','.join(sorted(map(str, others)))}",
                    {"role": _role_word(participant.role), "cases": len(others)},
                    participant.added_on,
                    [],
                    {Compartment.TEAM},
                )


def _assessment_answer(rule: Rule, facts: Facts) -> Iterator[Finding]:
    params = rule.parameters
    wanted = params.get("answer", "yes")
    latest = None
    for assessment in facts.assessments:  # in order: the last is the latest
        if assessment.instrument_key == params["instrument"]:
            latest = assessment
    if latest is None:
        return
    matched = [item for item in params["items"] if str(latest.answers.get(item, "")).lower() == wanted]
    if not matched:
        return
    yield Finding(
        rule,
        f"assessment:{latest.id}:{','.join(matched)}",
        {
            "instrument": latest.instrument_name,
            "date": day_text(latest.day),
            "items": "; ".join(latest.item_texts.get(item, item) for item in matched),
        },
        latest.day,
        [],
        {latest.compartment},
    )


KINDS: dict[str, Callable[[Rule, Facts], Iterable[Finding]]] = {
    Kind.BEHAVIOUR_PRESENT: _behaviour_present,
    Kind.FREQUENCY_ESCALATION: _frequency_escalation,
    Kind.PROXIMITY_ESCALATION: _proximity_escalation,
    Kind.RISK_EVENT: _risk_event,
    Kind.PERSON_HISTORY: _person_history,
    Kind.ASSESSMENT_ANSWER: _assessment_answer,
}


def findings_for(rules: Rules, facts: Facts) -> list[tuple[str, Finding]]:
    """(compartment, finding) for every rule over every compartment pass, as described above."""
    found: list[tuple[str, Finding]] = []
    team = facts.only(frozenset({Compartment.TEAM}))
    seen: set[tuple[str, str]] = set()
    for rule in rules.rules:
        for finding in KINDS[rule.kind](rule, team):
            seen.add((rule.key, finding.facts))
            found.append((Compartment.TEAM, finding))
    for compartment in RESTRICTED:
        if not any(
            item.compartment == compartment
            for group in (facts.entries, facts.events, facts.assessments)
            for item in group
        ):
            continue
        view = facts.only(frozenset({Compartment.TEAM, compartment}))
        for rule in rules.rules:
            for finding in KINDS[rule.kind](rule, view):
                if compartment in finding.compartments and (rule.key, finding.facts) not in seen:
                    found.append((compartment, finding))
    return found


def fingerprint(compartment: str, finding: Finding) -> str:
    return hashlib.sha256(f"{compartment}|{finding.facts}".encode()).hexdigest()


# --- evaluation -------------------------------------------------------------------------------


def _ask_for_reassessment(case: Case, new: list[RedFlagAlert], actor: Any, request: HttpRequest | None) -> None:
    """Make or bring forward the case's re-assessment task, as a risk event does. The task is
    read by the whole team: an alert kept in a narrower compartment is not named there."""
    from masip.risk.event_services import reassessment_request

    team = [alert for alert in new if alert.compartment == Compartment.TEAM]
    latest = max(alert.occurred_on for alert in new)
    if len(team) == 1:
        title = f"Re-assess risk: red flag “{team[0].title}” ({day_text(team[0].occurred_on)})"
    elif team:
        title = f"Re-assess risk: {len(team)} new red flags (latest {day_text(max(a.occurred_on for a in team))})"
    else:
        where = Compartment(new[0].compartment).label.lower()
        title = f"Re-assess risk after a red flag recorded in {where} ({day_text(latest)})"
    reassessment_request(
        case=case,
        occurred_on=latest,
        title=title,
        description="Made because the red-flag rules raised an alert on the case; see the case's red flags.",
        actor=actor,
        request=request,
    )


def _evaluate(case: Case, rules: Rules, actor: Any, request: HttpRequest | None) -> list[RedFlagAlert]:
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        # Serialises two evaluations of one case (a timeline write and the nightly run).
        Case.unscoped.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
        facts = _load(case, rules, today)
        existing = {
            (key, print_): pk
            for key, print_, pk in RedFlagAlert.unscoped.filter(case_id=case.pk).values_list(
                "rule_key", "fingerprint", "id"
            )
        }
        again: list[Any] = []
        new: list[RedFlagAlert] = []
        links: list[tuple[Any, Any]] = []
        for compartment, finding in findings_for(rules, facts):
            print_ = fingerprint(compartment, finding)
            known = existing.get((finding.rule.key, print_))
            if known is not None:
                again.append(known)
                continue
            alert = RedFlagAlert(
                case=case,
                compartment=compartment,
                rule_key=finding.rule.key,
                rule_version=rules.version,
                fingerprint=print_,
                title=finding.rule.title,
                severity=finding.rule.severity,
                explanation=finding.explanation(facts.context_text),
                occurred_on=finding.occurred_on,
                last_seen_at=now,
                for_panel=finding.rule.for_panel,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            existing[(finding.rule.key, print_)] = alert.pk
            new.append(alert)
            links += [(alert.pk, entry_id) for entry_id in dict.fromkeys(finding.entry_ids)]
        if again:
            RedFlagAlert.unscoped.filter(pk__in=again).update(last_seen_at=now)
        if new:
            RedFlagAlert.unscoped.bulk_create(new)
            through = RedFlagAlert.entries.through
            through.objects.bulk_create(
                [through(redflagalert_id=alert_id, timelineentry_id=entry_id) for alert_id, entry_id in links]
            )
            for alert in new:
                audit_record(
                    action=AuditAction.CREATE,
                    actor=actor,
                    request=request,
                    unit=case.unit,
                    obj=alert,
                    case_id=case.pk,
                    fields=["rule_key", "title", "explanation", "occurred_on", "entries", "compartment", "for_panel"],
                    detail={"rule": alert.rule_key, "rule_version": alert.rule_version},
                )
            _ask_for_reassessment(case, new, actor, request)
    return new


def redflags_evaluate_case(*, case: Case, actor: Any = None, request: HttpRequest | None = None) -> list[RedFlagAlert]:
    """Re-run every rule in force for the case's unit over the case; store alerts found for the
    first time (and what follows from them), refresh those found again. Returns the new alerts.
    Called after every timeline write, after assessments and risk events, and nightly.

    Guarantees: one alert per (rule, fingerprint), however often it runs; an acknowledged alert
    is never reopened or changed but for `last_seen_at`; each new alert is audited (`create`) and
    makes or brings forward the case's re-assessment task, in one transaction; each alert is
    stored in the compartment of the narrowest fact it rests on; the case's risk level is never
    read or written."""
    return _evaluate(case, rules_for(unit_id=case.unit_id), actor, request)


def redflags_evaluate_unit(*, unit: Any, actor: Any = None) -> tuple[int, int]:
    """Evaluate every case of the unit that is not closed (the nightly run): (cases, new alerts)."""
    rules = rules_for(unit_id=unit.pk)
    cases = created = 0
    for case in Case.unscoped.filter(unit=unit).exclude(status=CaseStatus.CLOSED).select_related("unit").order_by("pk"):
        created += len(_evaluate(case, rules, actor, None))
        cases += 1
    return cases, created


def cases_for_next_panel(*, unit: Any) -> list[Case]:
    """The unit's cases with an open alert that asks for the panel (for the panel's agenda)."""
    asking = RedFlagAlert.unscoped.filter(case__unit=unit, status=AlertStatus.OPEN, for_panel=True)
    return list(
        Case.unscoped.filter(pk__in=asking.values("case_id")).exclude(status=CaseStatus.CLOSED).order_by("reference")
    )

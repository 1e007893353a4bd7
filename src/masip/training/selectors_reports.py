"""Reads for the training reports: one delivery's feedback, and a unit's training over a period.

Every figure is aggregated in the database or from a fixed number of queries, whatever the
number of deliveries, responses or topics. Confidence changes are taken per respondent: for a
topic, a response counts once, with the mean of its (after - before) over the topic's outcomes it
rated, and the interval is Student's t around the mean of those values (see stats.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Avg, Count, F, FloatField, QuerySet, Sum
from django.utils import timezone

from masip.accounts.models import Unit
from masip.reports.period import Period
from masip.training.models import (
    AttendanceCount,
    AttendeeRole,
    Delivery,
    DeliveryStatus,
    FeedbackResponse,
    LearningOutcome,
    OrganisationKind,
    OutcomeRating,
    Topic,
)
from masip.training.stats import MeanInterval, mean_with_interval


@dataclass(frozen=True)
class OutcomeRow:
    outcome: LearningOutcome
    topic: Topic
    mean_before: float
    mean_after: float
    change: MeanInterval


@dataclass(frozen=True)
class TopicRow:
    topic: Topic
    change: MeanInterval


@dataclass(frozen=True)
class Comment:
    role: str
    text: str
    submitted_at: Any


@dataclass(frozen=True)
class DeliveryReport:
    delivery: Delivery
    responses: int
    attended: int
    outcomes: list[OutcomeRow]
    topics: list[TopicRow]
    comments: list[Comment]

    @property
    def response_rate(self) -> float | None:
        """Responses as a share of those who attended; None when no attendance is recorded."""
        return self.responses / self.attended if self.attended else None


def _change(expression_rows: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
    return expression_rows.annotate(change=Avg(F("after") - F("before"), output_field=FloatField()))


def topic_changes(ratings: QuerySet[OutcomeRating, OutcomeRating]) -> list[TopicRow]:
    """Per topic, the mean change in confidence and its interval, one value per response (the
    mean of its changes over the topic's outcomes), topics in catalogue order. Two queries."""
    per_response = _change(ratings.values("topic_id", "response_id")).values_list("topic_id", "change")
    values: dict[int, list[float]] = defaultdict(list)
    for topic_id, change in per_response:
        values[topic_id].append(float(change))
    topics = Topic.objects.filter(pk__in=values).order_by("sequence", "title", "pk")
    rows = []
    for topic in topics:
        interval = mean_with_interval(values[topic.pk])
        if interval is not None:
            rows.append(TopicRow(topic, interval))
    return rows


def delivery_report(delivery: Delivery) -> DeliveryReport:
    """What the attendees of `delivery` said: how many responded out of how many attended, the
    change in confidence per learning outcome and per topic, and their comments as written.
    Six queries whatever the number of responses."""
    responses = FeedbackResponse.objects.filter(delivery=delivery)
    attended = AttendanceCount.objects.filter(delivery=delivery).aggregate(total=Sum("count"))["total"] or 0
    ratings = OutcomeRating.objects.filter(response__delivery=delivery)

    changes: dict[int, list[float]] = defaultdict(list)
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for outcome_id, before, after in ratings.values_list("outcome_id", "before", "after"):
        changes[outcome_id].append(float(after - before))
        sums[outcome_id][0] += before
        sums[outcome_id][1] += after
    outcome_rows = []
    outcomes = LearningOutcome.objects.filter(pk__in=changes).select_related("topic")
    for outcome in outcomes.order_by("topic__sequence", "topic__title", "topic_id", "position", "pk"):
        n = len(changes[outcome.pk])
        interval = mean_with_interval(changes[outcome.pk])
        assert interval is not None  # noqa: S101 -- every outcome listed has a rating
        outcome_rows.append(
            OutcomeRow(outcome, outcome.topic, sums[outcome.pk][0] / n, sums[outcome.pk][1] / n, interval)
        )
    comments = [
        Comment(role=AttendeeRole(role).label if role else "", text=text, submitted_at=at)
        for role, text, at in responses.exclude(comments="")
        .order_by("submitted_at", "pk")
        .values_list("role", "comments", "submitted_at")
    ]
    return DeliveryReport(
        delivery=delivery,
        responses=responses.count(),
        attended=attended,
        outcomes=outcome_rows,
        topics=topic_changes(ratings),
        comments=comments,
    )


@dataclass
class PeopleTable:
    """People trained, organisation by role, with the totals of each row and column."""

    roles: list[tuple[str, str]] = field(default_factory=lambda: list(AttendeeRole.choices))
    rows: list[dict[str, Any]] = field(default_factory=list)  # {"organisation", "kind", "counts", "total"}
    role_totals: list[int] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class PeriodReport:
    unit: Unit
    period: Period
    deliveries_held: int
    people: PeopleTable
    by_kind: list[tuple[str, int]]
    topics: list[TopicRow]
    responses: int

    @property
    def is_empty(self) -> bool:
        return self.deliveries_held == 0


def held_in(unit: Unit, period: Period, *, today: date | None = None) -> QuerySet[Delivery, Delivery]:
    """The unit's deliveries held in the period: dated within it, not in the future, not cancelled."""
    today = today or timezone.localdate()
    return Delivery.objects.filter(unit=unit, date__gte=period.start, date__lte=min(period.end, today)).exclude(
        status=DeliveryStatus.CANCELLED
    )


def period_report(*, unit: Unit, period: Period) -> PeriodReport:
    """The unit's training over `period`: deliveries held, people trained by organisation and
    role and by kind of organisation, and the mean change in confidence per topic. A fixed
    number of queries (six) whatever the size of the period."""
    held = held_in(unit, period)
    attendance = AttendanceCount.objects.filter(delivery__in=held)

    people = PeopleTable()
    role_index = {value: i for i, (value, _label) in enumerate(people.roles)}
    by_organisation: dict[int, dict[str, Any]] = {}
    cells = attendance.values("organisation_id", "organisation__name", "organisation__kind", "role").annotate(
        people=Sum("count")
    )
    for cell in cells.order_by("organisation__name", "organisation_id"):
        row = by_organisation.setdefault(
            cell["organisation_id"],
            {
                "organisation": cell["organisation__name"],
                "kind": OrganisationKind(cell["organisation__kind"]).label,
                "counts": [0] * len(people.roles),
                "total": 0,
            },
        )
        row["counts"][role_index[cell["role"]]] += cell["people"]
        row["total"] += cell["people"]
    people.rows = list(by_organisation.values())
    people.role_totals = [sum(row["counts"][i] for row in people.rows) for i in range(len(people.roles))]
    people.total = sum(people.role_totals)

    kinds = attendance.values("organisation__kind").annotate(people=Sum("count")).order_by("-people")
    by_kind = [(OrganisationKind(k["organisation__kind"]).label, k["people"]) for k in kinds]

    responses = FeedbackResponse.objects.filter(delivery__in=held).aggregate(n=Count("pk"))["n"]
    return PeriodReport(
        unit=unit,
        period=period,
        deliveries_held=held.count(),
        people=people,
        by_kind=by_kind,
        topics=topic_changes(OutcomeRating.objects.filter(response__delivery__in=held)),
        responses=responses,
    )


def period_report_rows(report: PeriodReport) -> list[list[Any]]:
    """The period report as CSV rows: one block per table, a blank row between blocks."""
    people = report.people
    rows: list[list[Any]] = [
        ["Training report", f"{report.unit.name}, {report.period.label()}"],
        ["Deliveries held", report.deliveries_held],
        ["People trained", people.total],
        ["Feedback responses", report.responses],
        [],
        ["People trained by organisation and role"],
        ["Organisation", "Kind", *(label for _value, label in people.roles), "Total"],
    ]
    rows += [[row["organisation"], row["kind"], *row["counts"], row["total"]] for row in people.rows]
    rows += [["Total", "", *people.role_totals, people.total], [], ["People trained by kind of organisation"]]
    rows += [["Kind of organisation", "People trained"], *([label, n] for label, n in report.by_kind), []]
    rows += [
        ["Mean change in confidence per topic (1 to 5 scale, after minus before, one value per response)"],
        ["Topic", "Responses (n)", "Mean change", "95% interval low", "95% interval high"],
    ]
    for topic in report.topics:
        low = "" if topic.change.low is None else round(topic.change.low, 2)
        high = "" if topic.change.high is None else round(topic.change.high, 2)
        rows.append([topic.topic.title, topic.change.n, round(topic.change.mean, 2), low, high])
    return rows

"""The period a report covers: whole days, both ends included, in UK time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @classmethod
    def of(cls, start: date | None, end: date | None) -> Period:
        """A period from a form's two dates, or ValidationError saying what to enter instead."""
        if start is None or end is None:
            raise ValidationError("Enter the first and the last day of the period.", code="incomplete")
        if end < start:
            raise ValidationError(
                f"The period ends ({end:%d/%m/%Y}) before it starts ({start:%d/%m/%Y}): "
                "enter the first day, then the last.",
                code="reversed",
            )
        return cls(start, end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def starts_at(self) -> datetime:
        """The first instant of the period (aware)."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def ends_before(self) -> datetime:
        """The first instant after the period (aware): filter with `< ends_before`."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def label(self) -> str:
        return f"{self.start.day} {self.start:%B %Y} to {self.end.day} {self.end:%B %Y}"

"""The training reports' period: the dashboards' form (two dates, both included; a reversed
period refused with what to enter), defaulting to the last twelve months."""

from __future__ import annotations

from masip.reports.forms import PeriodForm, default_period

__all__ = ["PeriodForm", "default_period"]

"""Form fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django import forms


class _RequiredWhen:
    """A field the form's clean() requires only in some cases (under one option of a conditional
    reveal, or for one choice of another field): it accepts an empty value itself, so the form
    decides, and it is not labelled "(optional)", because in the case that matters it is not."""

    def validate(self, value: Any) -> None:
        if value in self.empty_values:  # type: ignore[attr-defined]
            return
        super().validate(value)  # type: ignore[misc]


class RequiredWhenCharField(_RequiredWhen, forms.CharField):
    pass


class RequiredWhenChoiceField(_RequiredWhen, forms.ChoiceField):
    pass

"""Form fields shared by the apps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.Form, error: ValidationError, field_for: Mapping[str, str] | None = None) -> None:
    """Put a service's ValidationError on `form`: each message on the field it names (through
    `field_for` where the service and the form name a field differently), on the form as a
    whole when the form has no such field or the error names none."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, problems in error.message_dict.items():
        field = (field_for or {}).get(name, name)
        form.add_error(field if field in form.fields else None, problems)


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


class NativeDateInput(forms.DateInput):
    """The browser's date picker. Its value must be ISO (2026-12-01) whatever the language: the
    en-GB input format (01/12/2026) makes the browser show an empty field, so a form sent back
    with an error would lose the date the person entered."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")

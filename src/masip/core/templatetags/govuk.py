"""GOV.UK Design System markup for Django form fields, used by includes/field.html.

The widget a form declares is kept: its type, `autocomplete`, `inputmode`, its own classes and
any other attribute it sets. These helpers only add the GOV.UK classes and tie the hint and
error message to the control with `aria-describedby`, using the ids Django itself uses for them
(`<id>_helptext`, `<id>_error`), so a field rendered as plain `{{ field }}` still lines up.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField, BoundWidget
from django.forms.widgets import Input
from django.utils.safestring import SafeString

register = template.Library()

# GOV.UK class of each kind of control, and its error modifier.
_CONTROL_CLASSES = {
    "input": ("govuk-input", "govuk-input--error"),
    "password": ("govuk-input govuk-password-input__input govuk-js-password-input-input", "govuk-input--error"),
    "textarea": ("govuk-textarea", "govuk-textarea--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "file": ("govuk-file-upload", "govuk-file-upload--error"),
}


@register.filter
def govuk_kind(field: BoundField) -> str:
    """Which GOV.UK pattern renders `field`.

    Decided by the widget's class rather than `field.widget_type` (its class name), so a
    project widget such as `class UnitSelect(forms.Select)` still renders as a select.
    """
    widget = field.field.widget
    if widget.is_hidden:
        return "hidden"
    kinds: tuple[tuple[type[forms.Widget], str], ...] = (
        (forms.CheckboxSelectMultiple, "checkboxes"),  # a subclass of RadioSelect: test it first
        (forms.RadioSelect, "radios"),
        (forms.CheckboxInput, "checkbox"),
        (forms.Select, "select"),
        (forms.Textarea, "textarea"),
        (forms.PasswordInput, "password"),
        (forms.FileInput, "file"),
        (forms.MultiWidget, "other"),
        (Input, "input"),
    )
    for widget_class, kind in kinds:
        if isinstance(widget, widget_class):
            return kind
    return "other"


def _join(*parts: Any) -> str:
    return " ".join(str(part) for part in parts if part)


@register.filter
def hint_id(field: BoundField) -> str:
    return f"{field.auto_id}_helptext"


@register.filter
def error_id(field: BoundField) -> str:
    return f"{field.auto_id}_error"


@register.filter
def described_by(field: BoundField) -> str:
    """The ids of the field's hint and error message, after any the form itself set."""
    return _join(
        field.field.widget.attrs.get("aria-describedby"),
        hint_id(field) if field.help_text and field.auto_id else "",
        error_id(field) if field.errors and field.auto_id else "",
    )


@register.filter
def error_anchor(field: BoundField) -> str:
    """The id the error summary links to: the control, or the first option of a group."""
    if field.id_for_label:
        return str(field.id_for_label)
    options = field.subwidgets
    if options and options[0].id_for_label:
        return str(options[0].id_for_label)
    return str(field.auto_id or field.html_name)


@register.simple_tag
def govuk_control(field: BoundField) -> SafeString:
    """The field's own widget, with GOV.UK classes and its hint and error described."""
    widget = field.field.widget
    kind = govuk_kind(field)
    attrs: dict[str, Any] = {}
    if kind in _CONTROL_CLASSES:
        base, error = _CONTROL_CLASSES[kind]
        attrs["class"] = _join(base, error if field.errors else "", widget.attrs.get("class"))
    if kind == "password":
        # Passwords are not words: no spell-checking (which may send them to a cloud service)
        # and no capitalising of the first letter on phones.
        attrs["spellcheck"] = widget.attrs.get("spellcheck", "false")
        attrs["autocapitalize"] = widget.attrs.get("autocapitalize", "none")
    if kind != "hidden" and (ids := described_by(field)):
        attrs["aria-describedby"] = ids
    return field.as_widget(attrs=attrs)


@register.simple_tag
def govuk_option(option: BoundWidget, css_class: str, hint: str = "") -> SafeString:
    """One radio or checkbox of a group, with its widget's attributes and the GOV.UK class."""
    attrs = dict(option.data["attrs"])
    attrs["class"] = _join(css_class, attrs.get("class"))
    if hint:
        attrs["aria-describedby"] = _join(attrs.get("aria-describedby"), hint)
    return BoundWidget(option.parent_widget, {**option.data, "attrs": attrs}, option.renderer).tag()


@register.simple_tag
def govuk_checkbox(field: BoundField) -> SafeString:
    """A single checkbox (a BooleanField), as the one item of a GOV.UK checkboxes group."""
    widget = field.field.widget
    attrs: dict[str, Any] = {"class": _join("govuk-checkboxes__input", widget.attrs.get("class"))}
    if ids := described_by(field):
        attrs["aria-describedby"] = ids
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def units_and_roles(context: template.Context) -> list[dict[str, Any]]:
    """The signed-in user's units, each with the roles they actively hold in it, by unit name."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    from masip.accounts.models import Membership

    units: dict[int, dict[str, Any]] = {}
    memberships = Membership.objects.active().filter(user=user).select_related("unit").order_by("unit__name", "role")
    for membership in memberships:
        entry = units.setdefault(membership.unit_id, {"unit": membership.unit, "roles": []})
        entry["roles"].append(membership.get_role_display())
    return list(units.values())

"""Forms for signing in and for administering members. They parse input; services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from masip.accounts.models import Agency, Invitation, Membership, Role, Unit, User
from masip.accounts.services import SECOND_FACTOR_RESET_REASON_MIN_LENGTH, grant_refusal

# One message for every reason a password sign-in fails, so that nobody can learn from it
# whether an account exists, is suspended or is a system account.
SIGN_IN_REFUSED = (
    "Enter a correct email address and password. After 5 wrong attempts the account is locked for 15 minutes."
)
WRONG_CODE = "The code is wrong or has already been used. Wait for your app to show a new code and enter that."
CODE_FORMAT = "Enter the 6-digit code shown in your authenticator app, for example 123456."


def _text_input(width: str = "", **attrs: str) -> dict[str, str]:
    css = "govuk-input" + (f" govuk-input--width-{width}" if width else "")
    return {"class": css, **attrs}


class LoginForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={"required": "Enter your email address", "invalid": "Enter your email address"},
        widget=forms.EmailInput(attrs=_text_input(autocomplete="username", spellcheck="false")),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs=_text_input(autocomplete="current-password")),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        email, password = cleaned.get("email"), cleaned.get("password")
        if self.errors or not email or not password:
            return cleaned
        username = email.strip().lower()
        # ModelBackend refuses suspended (inactive) accounts itself; axes refuses locked ones.
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            raise ValidationError(SIGN_IN_REFUSED)
        refusal = _web_sign_in_refusal(user)
        if refusal:
            # A correct password for an account that may not use the web: refuse as if it were
            # wrong, and count it towards the lockout like any other failure.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": username, "masip_reason": refusal},
                request=self.request,
            )
            raise ValidationError(SIGN_IN_REFUSED)
        self.user = user
        return cleaned


def _web_sign_in_refusal(user: Any) -> str:
    if user.is_service_account:
        return "service account cannot sign in on the web"
    if not Membership.objects.active().filter(user=user).exists():
        return "no active membership"
    return ""


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code shown in the app on your phone. It changes every 30 seconds.",
        max_length=12,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(
            attrs=_text_input(
                "5", autocomplete="one-time-code", inputmode="numeric", spellcheck="false", autofocus="autofocus"
            )
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise ValidationError(CODE_FORMAT)
        return code


def _role_choices(user: Any, unit_ids: set[int]) -> list[tuple[str, str]]:
    """The roles `user` may give in at least one of these units (the service checks the unit chosen)."""
    return [
        (value, label)
        for value, label in Role.choices
        if any(grant_refusal(user, unit_id, value) is None for unit_id in unit_ids)
    ]


class InvitationForm(forms.Form):
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter the person's full name"},
        widget=forms.TextInput(attrs=_text_input("20", autocomplete="off", spellcheck="false")),
    )
    email = forms.EmailField(
        label="Email address",
        help_text="The invitation link is sent here. Use their work email address.",
        max_length=254,
        error_messages={
            "required": "Enter the person's email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
        widget=forms.EmailInput(attrs=_text_input("20", autocomplete="off", spellcheck="false")),
    )
    agency = forms.ModelChoiceField(
        label="Agency they work for",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Choose the agency the person works for"},
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    unit = forms.ModelChoiceField(
        label="Unit",
        queryset=Unit.objects.none(),
        empty_label=None,
        error_messages={"required": "Choose the unit", "invalid_choice": "Choose one of your units"},
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    role = forms.ChoiceField(
        label="Role",
        error_messages={"required": "Choose a role", "invalid_choice": "Choose one of the roles listed"},
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )

    def __init__(self, *args: Any, actor: Any, unit_ids: set[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.all()  # type: ignore[attr-defined]
        self.fields["unit"].queryset = Unit.objects.filter(pk__in=unit_ids)  # type: ignore[attr-defined]
        self.fields["role"].choices = _role_choices(actor, unit_ids)  # type: ignore[attr-defined]


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(
        label="New role",
        error_messages={"required": "Choose a role", "invalid_choice": "Choose one of the roles listed"},
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )

    def __init__(self, *args: Any, actor: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            choice for choice in _role_choices(actor, {membership.unit_id}) if choice[0] != membership.role
        ]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter your full name"},
        widget=forms.TextInput(attrs=_text_input("20", autocomplete="name", spellcheck="false")),
    )
    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        help_text="At least 12 characters. A few unrelated words are easy to remember and hard to guess.",
        error_messages={"required": "Create a password"},
        widget=forms.PasswordInput(attrs=_text_input("20", autocomplete="new-password")),
    )
    password2 = forms.CharField(
        label="Confirm password",
        strip=False,
        error_messages={"required": "Enter the password again"},
        widget=forms.PasswordInput(attrs=_text_input("20", autocomplete="new-password")),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        self.invitation = invitation
        kwargs.setdefault("initial", {"full_name": invitation.full_name})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The passwords do not match. Enter the same password twice.")
        elif first:
            candidate = User(email=self.invitation.email, full_name=cleaned.get("full_name") or "")
            try:
                validate_password(first, user=candidate)
            except ValidationError as problems:
                self.add_error("password1", problems)
        return cleaned


class SecondFactorResetForm(forms.Form):
    reason = forms.CharField(
        label="Why are you resetting their second factor?",
        help_text=(
            "Say what happened and how you confirmed it was them who asked, for example "
            "“Phone lost, identity confirmed by phone call to the officer's line manager.” "
            "This is kept in the audit log."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=SECOND_FACTOR_RESET_REASON_MIN_LENGTH,
        max_length=2000,
        error_messages={
            "required": "Enter why you are resetting their second factor.",
            "min_length": (
                f"Explain in at least {SECOND_FACTOR_RESET_REASON_MIN_LENGTH} characters why you are resetting "
                "it and how you confirmed who asked."
            ),
            "max_length": "Keep the reason to 2000 characters or fewer.",
        },
    )

"""Who works in masip: agencies, units (the tenant), users and their per-unit roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from masip.core.models import TimeStampedModel


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police force"
    NHS = "nhs", "NHS trust"
    ADVOCACY = "advocacy", "Advocacy charity"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    PROBATION = "probation", "Probation service"
    OTHER = "other", "Other agency"


class Role(models.TextChoices):
    """A person's role in one unit. What each role may do is the policy table in `access`."""

    UNIT_MANAGER = "unit_manager", "Unit manager"
    POLICE_INVESTIGATOR = "police_investigator", "Police investigator"
    CLINICIAN = "clinician", "Clinician"
    OUTREACH_WORKER = "outreach_worker", "Outreach worker"
    STALKING_ADVOCATE = "stalking_advocate", "Stalking advocate (ISAC)"
    SUPPORT_OFFICER = "support_officer", "Support officer"
    PARTNER_REFERRER = "partner_referrer", "Partner referrer"
    ANALYST = "analyst", "Analyst"
    TRAINER = "trainer", "Trainer"
    SYSTEM_ADMINISTRATOR = "system_administrator", "System administrator"


class Agency(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(TimeStampedModel):
    """A stalking intervention unit: the tenant. Every case belongs to exactly one unit."""

    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(max_length=12, unique=True, help_text="Short prefix for case references, e.g. CHS.")
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="led_units")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        raise NotImplementedError(
            "masip has no superuser: create a system administrator with `manage.py create_administrator`."
        )


class User(AbstractBaseUser):
    """A person who signs in. Email is the username. Roles live on memberships, per unit."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff", null=True, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True, help_text="Cleared when the account is suspended.")
    is_service_account = models.BooleanField(
        default=False, help_text="A system that calls the API with a token; it cannot sign in to the web."
    )
    # Bumped to end every session of this user at once ("log out everywhere", suspension).
    session_epoch = models.PositiveIntegerField(default=0)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def get_session_auth_hash(self) -> str:
        # Django checks this on every request: changing the password or the epoch ends sessions.
        return salted_hmac(
            "masip.accounts.User.session", f"{self.password}:{self.session_epoch}", algorithm="sha256"
        ).hexdigest()


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(status=MembershipStatus.ACTIVE, user__is_active=True).filter(
            models.Q(until__isnull=True) | models.Q(until__gt=timezone.now())
        )


class Membership(TimeStampedModel):
    """One role a user holds in one unit. A user may hold several; their rights are the union."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    status = models.CharField(max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True, help_text="Access ends at this time, if set.")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role")]
        ordering = ["unit__name", "role"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}, {self.unit}"

    @property
    def is_active(self) -> bool:
        return (
            self.status == MembershipStatus.ACTIVE
            and self.user.is_active
            and (self.until is None or self.until > timezone.now())
        )


INVITATION_LIFETIME = timedelta(days=7)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(TimeStampedModel):
    """An offer of a role in a unit, accepted through a one-time link. Only the hash is kept."""

    email = models.EmailField()
    full_name = models.CharField(max_length=200)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=32, choices=Role.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @classmethod
    def find_open(cls, token: str) -> Invitation | None:
        return (
            cls.objects.filter(
                token_hash=_hash_token(token),
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .select_related("unit", "agency")
            .first()
        )

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

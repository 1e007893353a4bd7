"""People known to a unit: victims, perpetrators, suspects and others. Names stay searchable;
contact details are encrypted and sit in the protected victim-contact group."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from masip.access.managers import CaseScopedQuerySet, VisibleOnly, case_visibility
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel


class Person(CaseDataModel):
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="people")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    # Protected victim-contact group: visible only to roles the policy allows.
    address = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()

    @staticmethod
    def visibility_q(user: Any) -> Q:
        """A person is visible through any visible case they take part in."""
        from masip.cases.models import CaseParticipant

        return Q(pk__in=CaseParticipant.unscoped.filter(case_visibility(user, "case")).values("person_id"))

    CONTACT_FIELDS = ("address", "phone", "email")

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["unit", "family_name", "given_name"], name="person_unit_name")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part) or "Name not known"

"""What the API shows. Every serializer names its fields: nothing appears by accident."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from masip.access.policy import CAPABILITY_POLICY, Compartment
from masip.accounts.models import Membership, Role, Unit
from masip.cases.models import Case, CaseNote
from masip.cases.services import NOTE_MAX_LENGTH


class UnitSerializer(serializers.ModelSerializer[Unit]):
    class Meta:
        model = Unit
        fields = ["id", "name", "code"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    unit = UnitSerializer(read_only=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    capabilities = serializers.SerializerMethodField(help_text="What this role may do in this unit.")

    class Meta:
        model = Membership
        fields = ["unit", "role", "role_label", "until", "capabilities"]
        read_only_fields = fields

    def get_capabilities(self, membership: Membership) -> list[str]:
        return sorted(str(c) for c in CAPABILITY_POLICY[Role(membership.role)])


class MeSerializer(serializers.Serializer[Any]):
    """The caller: who they are, their roles by unit, and what those roles allow."""

    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    is_service_account = serializers.BooleanField(read_only=True)
    memberships = MembershipSerializer(many=True, read_only=True, help_text="The caller's active roles by unit.")
    capabilities = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Everything the caller may do, across all units."
    )


class CaseSummarySerializer(serializers.ModelSerializer[Case]):
    unit = UnitSerializer(read_only=True)

    class Meta:
        model = Case
        fields = ["id", "reference", "status", "risk_level", "unit", "opened_at", "closed_at"]
        read_only_fields = fields


class CaseDetailSerializer(CaseSummarySerializer):
    class Meta(CaseSummarySerializer.Meta):
        fields = [*CaseSummarySerializer.Meta.fields, "summary"]
        read_only_fields = fields


class CaseNoteSerializer(serializers.ModelSerializer[CaseNote]):
    author = serializers.SerializerMethodField(help_text="The name of the person or system that wrote the note.")

    class Meta:
        model = CaseNote
        fields = ["id", "compartment", "body", "author", "created_at"]
        read_only_fields = fields

    def get_author(self, note: CaseNote) -> str:
        return str(note.created_by) if note.created_by is not None else ""


class CaseNoteCreateSerializer(serializers.Serializer[Any]):
    compartment = serializers.ChoiceField(
        choices=Compartment.choices,
        help_text="Who may read the note. Your roles must allow creating notes in this compartment (else 403).",
    )
    body = serializers.CharField(max_length=NOTE_MAX_LENGTH, trim_whitespace=True)

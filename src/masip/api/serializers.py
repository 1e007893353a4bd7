"""What the API shows. Every serializer names its fields: nothing appears by accident."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from masip.access.policy import CAPABILITY_POLICY, Compartment
from masip.accounts.models import Membership, Role, Unit
from masip.cases.models import Case, CaseNote
from masip.cases.services import NOTE_MAX_LENGTH
from masip.people.models import Gender
from masip.referrals.models import Behaviour, ReferralStatus, Relationship, TriageDecision, Urgency

# More people than any one referral names: a bigger list is a sender's mistake.
MAX_SUBJECTS = 50


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


# Referrals ---------------------------------------------------------------------------------


class Text(serializers.CharField):
    """Text that must arrive as a JSON string: a number or list where text belongs is refused,
    not turned into text. Blank is allowed; whether a field is needed is the service's rule."""

    default_error_messages = {"invalid": "Must be text (a JSON string)."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


def _choice(choices: Any, *, what: str, required_message: str = "", **kwargs: Any) -> serializers.ChoiceField:
    """A choice among `choices` whose refusal lists the values allowed."""
    values = ", ".join(str(v) for v, _ in choices)
    messages: dict[str, Any] = {"invalid_choice": f"“{{input}}” is not {what}. Use one of: {values}."}
    if required_message:
        messages["required"] = messages["null"] = required_message
    return serializers.ChoiceField(choices=choices, error_messages=messages, **kwargs)


class StrictFields:
    """Refuses fields the serializer does not name: a misspelt field must not vanish silently."""

    fields: Any
    initial_data: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: ["Unknown field. Check its spelling against the API description."] for key in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


class ReferralSubjectInSerializer(StrictFields, serializers.Serializer[Any]):
    """One person the referral names. Every field may be left out; the referral as a whole must
    name each victim, and each suspect or record the suspect as not identified."""

    given_name = Text()
    family_name = Text()
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    approximate_age = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="When the date of birth is not known."
    )
    gender = _choice(Gender.choices, what="a gender masip records", required=False, allow_blank=True, default="")
    pnc_id = Text(label="Police national computer id")
    nhs_number = Text(help_text="10 digits with a valid check digit; spaces allowed.")
    address = Text()
    phone = Text()
    email = Text()
    unidentified = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Suspects only: true when the stalker has not been identified (the other fields may then be blank).",
    )


class ReferralCreateSerializer(StrictFields, serializers.Serializer[Any]):
    """A whole referral from another system."""

    external_reference = Text(
        required=True,
        default=serializers.empty,
        help_text=(
            "Your own reference for this referral, unique within your agency (at most 64 characters). "
            "Sending the same referral again under it returns the one already received."
        ),
        error_messages={"required": "Give your own reference for the referral: it lets masip recognise a resend."},
    )
    unit = Text(
        help_text=(
            "The code of the unit the referral is for. Needed only when your account may refer to more than one unit."
        )
    )
    urgency = _choice(
        Urgency.choices,
        what="an urgency",
        required_message="Say how urgent the referral is: routine, urgent or immediate.",
    )
    relationship = _choice(
        Relationship.choices, what="a relationship masip records", required=False, allow_blank=True, default=""
    )
    behaviours = serializers.ListField(
        child=_choice(Behaviour.choices, what="a behaviour masip records"),
        required=False,
        default=list,
        max_length=len(Behaviour.values),
        help_text="The stalking behaviours so far, in any order.",
    )
    crime_reference = Text()
    existing_orders = Text(help_text="Orders already in place (protection orders, bail conditions), as free text.")
    consent_to_referral = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Whether the victim consents to the referral: the answer must be recorded.",
    )
    consent_to_referral_on = serializers.DateField(required=False, allow_null=True, default=None)
    consent_to_sharing = serializers.BooleanField(required=False, allow_null=True, default=None)
    consent_to_sharing_on = serializers.DateField(required=False, allow_null=True, default=None)
    summary = Text(help_text="What has happened, in the referrer's words.")
    received_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the referral was made, if not now; never in the future. Without an offset, UK time.",
    )
    # max_length passes through to the ListSerializer (DRF 3.14+; the stubs do not know it yet).
    victims = ReferralSubjectInSerializer(
        many=True,
        required=False,
        default=list,
        max_length=MAX_SUBJECTS,  # type: ignore[call-arg]
    )
    suspects = ReferralSubjectInSerializer(
        many=True,
        required=False,
        default=list,
        max_length=MAX_SUBJECTS,  # type: ignore[call-arg]
    )


class ReferralStatusSerializer(serializers.Serializer[Any]):
    """What the sender may know of a referral: its status and the unit's decision, never the
    unit's screening, reasons or case."""

    id = serializers.UUIDField(read_only=True)
    reference = serializers.CharField(read_only=True, help_text="The unit's reference for the referral.")
    external_reference = serializers.CharField(read_only=True, help_text="Your own reference, as sent.")
    status = serializers.ChoiceField(choices=ReferralStatus.choices, read_only=True)
    status_label = serializers.CharField(read_only=True)
    received_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decision_deadline = serializers.DateField(
        read_only=True, allow_null=True, help_text="The last working day for the unit's triage decision."
    )
    decision = serializers.ChoiceField(choices=[("", "No decision yet"), *TriageDecision.choices], read_only=True)
    decision_label = serializers.CharField(read_only=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    advice = serializers.CharField(
        read_only=True,
        help_text="The unit's advice when the referral stays with your agency (partner-managed); else blank.",
    )

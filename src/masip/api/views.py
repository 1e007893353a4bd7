"""The REST API. Thin: reads come from selectors (scoped and audited), writes go through services.

Each view names its permission classes (the default denies) and, like every web view, declares
its permission on the view function (`masip_permission`) so that the URL-walking test sees it.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, ClassVar

from django.http import HttpRequest
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from masip.access.decorators import ViewPermission, require_case_action
from masip.access.policy import Action, Capability, Compartment
from masip.api.parsers import BoundedJSONParser
from masip.api.permissions import SignedIn, capability_permission
from masip.api.selectors import me_for, referral_unit_for, referrer_list_audit
from masip.api.serializers import (
    CaseDetailSerializer,
    CaseNoteCreateSerializer,
    CaseNoteSerializer,
    CaseSummarySerializer,
    MeSerializer,
    ReferralCreateSerializer,
    ReferralStatusSerializer,
)
from masip.cases.models import Case, CaseStatus
from masip.cases.selectors import case_get_without_break_glass, case_list_audit, case_list_for, case_notes_for
from masip.cases.services import case_note_add
from masip.referrals.models import Channel, SubjectRole
from masip.referrals.selectors import referral_of_referrer, referrals_of_referrer_query, referrer_view
from masip.referrals.services import ReferralDraft, SubjectEntry, referral_receive


class DeclaredPermission:
    """Puts the class's `masip_permission` on the view function that the URLconf holds."""

    masip_permission: ClassVar[ViewPermission]

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)  # type: ignore[misc]
        view.masip_permission = cls.masip_permission
        return view


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such case, or not one you may see (the same answer).")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Your role does not allow this.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No credentials, or an expired or revoked token.")
CASE_ID = OpenApiParameter("case_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The case's id.")


def _django_request(request: Request) -> HttpRequest:
    return request._request


def _visible_case(request: Request, case_id: str) -> Case:
    case = case_get_without_break_glass(user=request.user, case_id=case_id, request=_django_request(request))
    require_case_action(request.user, case.unit_id, Compartment.TEAM, Action.VIEW)
    return case


class SchemaView(DeclaredPermission, SpectacularAPIView):
    """The OpenAPI 3 document of this API (YAML by default, `?format=json` for JSON)."""

    masip_permission = ViewPermission("public")
    permission_classes = [AllowAny]
    # Public: a half-signed-in session must not turn the published document into a 403.
    authentication_classes = []


class MeView(DeclaredPermission, APIView):
    masip_permission = ViewPermission("signed_in")
    permission_classes = [SignedIn]

    @extend_schema(
        summary="Who am I",
        description="The caller, their active memberships (unit and role) and what those roles allow.",
        responses={200: MeSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(me_for(user=request.user)).data)


class CaseListView(DeclaredPermission, APIView):
    masip_permission = ViewPermission("capability", capability=Capability.WORK_CASES)
    permission_classes = [capability_permission(Capability.WORK_CASES)]
    pagination_class = Pagination

    @extend_schema(
        summary="List cases",
        description=(
            "The cases the caller may see (their case teams; every case of a unit they manage), newest "
            "first. Each page read is recorded in the audit log."
        ),
        parameters=[
            OpenApiParameter("status", str, enum=CaseStatus.values, description="Only cases with this status."),
        ],
        responses={
            200: CaseSummarySerializer(many=True),
            400: OpenApiResponse(description="The status filter is not one of the statuses listed."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in CaseStatus.values:
            raise serializers.ValidationError(
                {"status": [f"Unknown status. Use one of: {', '.join(CaseStatus.values)}."]}
            )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(case_list_for(user=request.user, status=wanted), request, view=self)
        cases = list(page or [])
        case_list_audit(user=request.user, cases=cases, request=_django_request(request))
        return paginator.get_paginated_response(CaseSummarySerializer(cases, many=True).data)


class CaseDetailView(DeclaredPermission, APIView):
    masip_permission = ViewPermission("case", compartment=Compartment.TEAM, action=Action.VIEW)
    permission_classes = [SignedIn]  # the case itself is checked by case_get_for and the policy

    @extend_schema(
        summary="One case",
        description=(
            "A case the caller may see; the read is audited. A case that does not exist and one the "
            "caller may not see get the same 404. Break-glass is not available through the API."
        ),
        parameters=[CASE_ID],
        responses={200: CaseDetailSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, case_id: str) -> Response:
        return Response(CaseDetailSerializer(_visible_case(request, case_id)).data)


class CaseNoteListView(DeclaredPermission, APIView):
    masip_permission = ViewPermission("case", compartment=Compartment.TEAM, action=Action.VIEW)
    permission_classes = [SignedIn]  # the case and each compartment are checked against the policy
    pagination_class = Pagination

    @extend_schema(
        summary="Notes on a case",
        description="The case's notes in the compartments the caller's roles may read, newest first.",
        parameters=[CASE_ID],
        responses={200: CaseNoteSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request: Request, case_id: str) -> Response:
        case = _visible_case(request, case_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(case_notes_for(user=request.user, case=case), request, view=self)
        return paginator.get_paginated_response(CaseNoteSerializer(page or [], many=True).data)

    @extend_schema(
        summary="Add a note to a case",
        description=(
            "Adds a note in the chosen compartment. The caller's roles must allow creating notes in that "
            "compartment; otherwise 403 and nothing is written."
        ),
        parameters=[CASE_ID],
        request=CaseNoteCreateSerializer,
        responses={
            201: CaseNoteSerializer,
            400: OpenApiResponse(description="The note or compartment is missing or invalid."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, case_id: str) -> Response:
        case = _visible_case(request, case_id)
        incoming = CaseNoteCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        note = case_note_add(
            actor=request.user,
            case=case,
            compartment=incoming.validated_data["compartment"],
            body=incoming.validated_data["body"],
            request=_django_request(request),
        )
        return Response(CaseNoteSerializer(note).data, status=status.HTTP_201_CREATED)


# Referrals ---------------------------------------------------------------------------------

REFERRAL_ID = OpenApiParameter(
    "referral_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The referral's id (`id` in the answer)."
)
REFERRAL_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such referral, or not one you sent (the same answer)."
)
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=(
        "The referral was refused and nothing was written. The body maps each field to what is wrong with it, "
        'e.g. `{"victims": ["Add at least one victim: the person being stalked."]}`. A field of one person is '
        'reported under its list and position, e.g. `{"suspects": {"0": {"date_of_birth": ["Date has wrong '
        'format. ..."]}}}`; rules about the people named as a whole come under `subjects`, `victims`, '
        "`suspects`, `date_of_birth` or `nhs_number`, naming the person. A body that is not JSON gets "
        '`{"detail": "JSON parse error ..."}`.'
    ),
)
CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description=(
        "Your agency already sent a different referral under this `external_reference`. Nothing was changed: "
        "send a correction to the unit, or use a new reference if this is a different referral."
    ),
)
REFERRAL_EXAMPLE = OpenApiExample(
    "A referral from a police gateway",
    request_only=True,
    value={
        "external_reference": "NPT-STK-2026-00412",
        "urgency": "urgent",
        "relationship": "ex_intimate",
        "behaviours": ["unwanted_communication", "turning_up", "threats"],
        "crime_reference": "CR/0412/26",
        "existing_orders": "Bail conditions: not to contact the victim.",
        "consent_to_referral": True,
        "consent_to_referral_on": "2026-03-02",
        "consent_to_sharing": True,
        "consent_to_sharing_on": "2026-03-02",
        "summary": "Messages every night since the separation; waits outside her work.",
        "victims": [{"given_name": "Alice", "family_name": "Hart", "date_of_birth": "1990-04-12"}],
        "suspects": [{"given_name": "Robert", "family_name": "Mason", "date_of_birth": "1985-02-03", "gender": "male"}],
    },
)


def _subject(role: str, values: dict[str, Any]) -> SubjectEntry:
    return SubjectEntry(role=role, **values)


def _draft(data: dict[str, Any]) -> ReferralDraft:
    return ReferralDraft(
        urgency=data["urgency"],
        relationship=data["relationship"],
        behaviours=tuple(data["behaviours"]),
        crime_reference=data["crime_reference"],
        existing_orders=data["existing_orders"],
        consent_to_referral=data["consent_to_referral"],
        consent_to_referral_on=data["consent_to_referral_on"],
        consent_to_sharing=data["consent_to_sharing"],
        consent_to_sharing_on=data["consent_to_sharing_on"],
        summary=data["summary"],
        external_reference=data["external_reference"],
        subjects=(
            *(_subject(SubjectRole.VICTIM, v) for v in data["victims"]),
            *(_subject(SubjectRole.SUSPECT, s) for s in data["suspects"]),
        ),
    )


class ReferralListView(DeclaredPermission, APIView):
    masip_permission = ViewPermission("capability", capability=Capability.SUBMIT_REFERRALS)
    permission_classes = [capability_permission(Capability.SUBMIT_REFERRALS)]
    parser_classes = [BoundedJSONParser]
    pagination_class = Pagination

    @extend_schema(
        summary="Your referrals",
        description=(
            "The referrals the caller sent, newest first, with their status and the unit's decision: never the "
            "unit's screening, its reasons or the case. Each page read is recorded in the audit log."
        ),
        responses={200: ReferralStatusSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = list(
            paginator.paginate_queryset(referrals_of_referrer_query(user=request.user), request, view=self) or []
        )
        referrer_list_audit(user=request.user, referrals=page, request=_django_request(request))
        views = [referrer_view(r) for r in page]
        return paginator.get_paginated_response(ReferralStatusSerializer(views, many=True).data)

    @extend_schema(
        summary="Send a referral",
        description=(
            "Sends a whole referral: the victims, the suspects (or a suspect recorded as not identified) and what "
            "has happened. It is checked exactly as the web referral form checks it, and is either received whole "
            "or not written at all.\n\n"
            "**Idempotent on `external_reference`.** Sending the same referral again under the same reference "
            "returns the referral already received (200) and writes nothing, so a sender may retry after a "
            "timeout. Different content under a reference your agency already used is refused (409) and changes "
            "nothing.\n\n"
            "**The unit.** An account that may refer to one unit sends there; an account that may refer to several "
            "names the unit by its code in `unit`."
        ),
        request=ReferralCreateSerializer,
        examples=[REFERRAL_EXAMPLE],
        responses={
            201: OpenApiResponse(
                ReferralStatusSerializer,
                description="Received. `Location` is the referral's address in this API, for following its status.",
            ),
            200: OpenApiResponse(
                ReferralStatusSerializer,
                description="Already received under this reference with the same content: nothing was written.",
            ),
            400: FIELD_ERRORS,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            409: CONFLICT,
            415: OpenApiResponse(ErrorSerializer, description="The body is not `application/json`."),
        },
    )
    def post(self, request: Request) -> Response:
        incoming = ReferralCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        unit = referral_unit_for(user=request.user, code=data["unit"])
        received_at = data["received_at"]
        referral, created = referral_receive(
            actor=request.user,
            unit=unit,
            draft=_draft(data),
            channel=Channel.API,
            # In UTC, so that the same moment written with another offset is the same referral.
            received_at=received_at.astimezone(UTC) if received_at is not None else None,
            request=_django_request(request),
        )
        body = ReferralStatusSerializer(referrer_view(referral)).data
        if not created:
            return Response(body, status=status.HTTP_200_OK)
        location = request.build_absolute_uri(reverse("api:referral-detail", kwargs={"referral_id": referral.pk}))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class ReferralDetailView(DeclaredPermission, APIView):
    masip_permission = ViewPermission("capability", capability=Capability.SUBMIT_REFERRALS)
    permission_classes = [capability_permission(Capability.SUBMIT_REFERRALS)]

    @extend_schema(
        summary="One of your referrals",
        description=(
            "The status of a referral the caller sent, the unit's decision and, when the referral stays with the "
            "sender's agency (partner-managed), the unit's advice. The read is audited. Someone else's referral "
            "and one that does not exist get the same 404."
        ),
        parameters=[REFERRAL_ID],
        responses={200: ReferralStatusSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: REFERRAL_NOT_FOUND},
    )
    def get(self, request: Request, referral_id: str) -> Response:
        view = referral_of_referrer(user=request.user, referral_id=referral_id, request=_django_request(request))
        return Response(ReferralStatusSerializer(view).data)

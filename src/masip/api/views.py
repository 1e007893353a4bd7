"""The REST API. Thin: reads come from selectors (scoped and audited), writes go through services.

Each view names its permission classes (the default denies) and, like every web view, declares
its permission on the view function (`masip_permission`) so that the URL-walking test sees it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from masip.access.decorators import ViewPermission, require_case_action
from masip.access.policy import Action, Capability, Compartment
from masip.api.permissions import SignedIn, capability_permission
from masip.api.selectors import me_for
from masip.api.serializers import (
    CaseDetailSerializer,
    CaseNoteCreateSerializer,
    CaseNoteSerializer,
    CaseSummarySerializer,
    MeSerializer,
)
from masip.cases.models import Case, CaseStatus
from masip.cases.selectors import case_get_without_break_glass, case_list_audit, case_list_for, case_notes_for
from masip.cases.services import case_note_add


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

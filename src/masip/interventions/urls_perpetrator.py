"""Pages of the interventions app: perpetrator (mounted under /cases/<case_id>/)."""

from django.urls import path

from masip.interventions import views_perpetrator as views

urlpatterns = [
    path("perpetrator/", views.intervention_list, name="perpetrator_list"),
    path("perpetrator/add/", views.intervention_add, name="perpetrator_add"),
    path("perpetrator/<uuid:intervention_id>/", views.intervention_detail, name="perpetrator_detail"),
    path("perpetrator/<uuid:intervention_id>/edit/", views.intervention_edit, name="perpetrator_edit"),
    path("perpetrator/programmes/<uuid:programme_id>/", views.programme, name="perpetrator_programme"),
    path("perpetrator/programmes/<uuid:programme_id>/plan/", views.programme_plan, name="perpetrator_programme_plan"),
    path(
        "perpetrator/programmes/<uuid:programme_id>/sessions/<uuid:session_id>/",
        views.session_attendance,
        name="perpetrator_session",
    ),
    path("perpetrator/suitability/", views.suitability, name="perpetrator_suitability"),
    path("perpetrator/suitability/decide/", views.suitability_decide, name="perpetrator_suitability_decide"),
]

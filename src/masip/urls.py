"""masip's URLs. Every view behind them declares its permission (see masip.access.decorators)."""

from django.urls import include, path

from masip.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("masip.accounts.urls")),
    path("referrals/<str:referral_id>/assessments/", include("masip.risk.urls_referral")),
    path("referrals/", include("masip.referrals.urls")),
    path("people/", include("masip.people.urls")),
    path("cases/<str:case_id>/evidence/", include("masip.evidence.urls")),
    path("cases/<str:case_id>/risk/", include("masip.risk.urls")),
    path("cases/<str:case_id>/timeline/", include("masip.timeline.urls")),
    path("cases/<str:case_id>/panel/", include("masip.panel.urls_case")),
    path("cases/", include("masip.cases.urls")),
    # After the case file's own pages: these add sections under the same /cases/<case_id>/.
    path("cases/<str:case_id>/", include("masip.interventions.urls")),
    path("risk/instruments/", include("masip.risk.urls_instruments")),
    path("alerts/", include("masip.timeline.urls_unit")),
    path("interventions/", include("masip.interventions.urls_unit")),
    path("panel/", include("masip.panel.urls")),
    path("reports/", include("masip.reports.urls")),
    path("training/", include("masip.training.urls")),
    path("work/", include("masip.work.urls")),
    path("audit/", include("masip.audit.urls")),
    path("api/", include("masip.api.urls")),
]

handler400 = "masip.core.views.bad_request"
handler403 = "masip.core.views.permission_denied"
handler404 = "masip.core.views.page_not_found"
handler500 = "masip.core.views.server_error"

from django.urls import path

from masip.risk import history_views
from masip.work import views

app_name = "work"
# Case and task ids stay strings: a malformed id then reaches the same audited 404 as a missing one.
urlpatterns = [
    path("", views.my_work, name="mine"),
    path("caseloads/", views.caseloads, name="caseloads"),
    path("rules/", views.work_rules, name="rules"),
    # The unit's risk settings (current-risk rule, re-assessment after events) sit beside its task rules.
    path("risk-settings/", history_views.risk_settings, name="risk_settings"),
    path("cases/<str:case_id>/tasks/new/", views.task_add, name="task_add"),
    path("cases/<str:case_id>/tasks/<str:task_id>/", views.task_detail, name="task_detail"),
    path("cases/<str:case_id>/tasks/<str:task_id>/edit/", views.task_edit, name="task_edit"),
    path("cases/<str:case_id>/tasks/<str:task_id>/complete/", views.task_complete, name="task_complete"),
    path("cases/<str:case_id>/tasks/<str:task_id>/cancel/", views.task_cancel, name="task_cancel"),
]

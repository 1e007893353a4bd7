"""URLs of the panel's items part: `urlpatterns` under /panel/, `case_urlpatterns` under
/cases/<case_id>/panel/ (composed into the two namespaces by masip.panel.urls)."""

from django.urls import URLPattern, path

from masip.panel import views_items as views

# Ids stay strings: a malformed id then reaches the same audited 404 as a missing one.
urlpatterns: list[URLPattern] = [
    path("actions/", views.actions, name="actions"),
    path("decision-options/", views.decision_options, name="decision_options"),
    path("decision-options/<str:option_id>/", views.decision_option_edit, name="decision_option_edit"),
    path("decision-options/<str:option_id>/move/", views.decision_option_move, name="decision_option_move"),
]
case_urlpatterns: list[URLPattern] = [
    path("items/<str:item_id>/notes/add/", views.note_add, name="note_add"),
    path("items/<str:item_id>/decisions/add/", views.decision_add, name="decision_add"),
    path("items/<str:item_id>/actions/add/", views.action_add, name="action_add"),
    path("items/<str:item_id>/outcome/", views.item_outcome, name="item_outcome"),
]

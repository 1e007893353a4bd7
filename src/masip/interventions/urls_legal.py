"""Pages of the interventions app: legal actions, orders and the investigation checklist
(mounted under /cases/<case_id>/)."""

from django.urls import URLPattern, path

from masip.interventions import views_legal as views

urlpatterns: list[URLPattern] = [
    path("legal/", views.legal_record, name="legal_record"),
    path("legal/event/", views.legal_event_add, name="legal_event_add"),
    path("legal/offences/", views.legal_offences_edit, name="legal_offences_edit"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/add/", views.order_add, name="order_add"),
    path("orders/<str:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<str:order_id>/edit/", views.order_edit, name="order_edit"),
    path("orders/<str:order_id>/breach/", views.order_breach_add, name="order_breach_add"),
    path("checklist/", views.checklist, name="checklist_page"),
    path("checklist/tick/", views.checklist_tick, name="checklist_tick"),
]

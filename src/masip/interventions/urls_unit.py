"""Unit-wide views of the interventions: overdue Victims' Code updates, orders expiring."""

from django.urls import URLPattern, path

from masip.interventions import views_legal, views_vcop

app_name = "interventions_unit"
urlpatterns: list[URLPattern] = [
    path("victims-code/overdue/", views_vcop.vcop_overdue, name="vcop_overdue"),
    path("orders/ending/", views_legal.orders_expiring, name="orders_expiring"),
]

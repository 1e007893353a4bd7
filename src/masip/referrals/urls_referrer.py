"""URL patterns of the referrals app's referrer pages; masip.referrals.urls joins them under one namespace.

The question pages of a draft live under `draft/<draft_id>/`, a referrer's own referrals under
`mine/`. People on a draft are numbered from 1 in the order entered (`number`).
"""

from django.urls import URLPattern, path

from masip.referrals import referrer_views as views

urlpatterns: list[URLPattern] = [
    path("new/", views.start, name="start"),
    path("mine/", views.mine, name="mine"),
    path("mine/<str:referral_id>/", views.mine_detail, name="mine_detail"),
    path("mine/<str:referral_id>/sent/", views.submitted, name="submitted"),
    path("mine/<str:referral_id>/withdraw/", views.withdraw, name="mine_withdraw"),
    path("draft/<str:draft_id>/about/", views.about, name="draft_about"),
    path("draft/<str:draft_id>/victims/", views.victims, name="draft_victims"),
    path("draft/<str:draft_id>/victims/add/", views.victim_add, name="draft_victim_add"),
    path("draft/<str:draft_id>/victims/<int:number>/", views.victim_change, name="draft_victim_change"),
    path("draft/<str:draft_id>/victims/<int:number>/remove/", views.victim_remove, name="draft_victim_remove"),
    path("draft/<str:draft_id>/suspects/", views.suspects, name="draft_suspects"),
    path("draft/<str:draft_id>/suspects/add/", views.suspect_add, name="draft_suspect_add"),
    path("draft/<str:draft_id>/suspects/<int:number>/", views.suspect_change, name="draft_suspect_change"),
    path("draft/<str:draft_id>/suspects/<int:number>/remove/", views.suspect_remove, name="draft_suspect_remove"),
    path("draft/<str:draft_id>/relationship/", views.relationship, name="draft_relationship"),
    path("draft/<str:draft_id>/behaviours/", views.behaviours, name="draft_behaviours"),
    path("draft/<str:draft_id>/orders/", views.orders, name="draft_orders"),
    path("draft/<str:draft_id>/consent/", views.consent, name="draft_consent"),
    path("draft/<str:draft_id>/what-happened/", views.summary, name="draft_summary"),
    path("draft/<str:draft_id>/check/", views.check_answers, name="draft_check"),
]

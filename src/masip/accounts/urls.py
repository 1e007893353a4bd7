from django.urls import path

from masip.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.login, name="login"),
    path("sign-in/code/", views.second_factor, name="second_factor"),
    path("sign-in/set-up-app/", views.enrol, name="enrol"),
    path("sign-out/", views.logout, name="logout"),
    path("sign-out-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("profile/", views.profile, name="profile"),
    path("switch-unit/", views.switch_unit, name="switch_unit"),
    path("members/", views.members, name="members"),
    path("members/invite/", views.invite, name="invite"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("memberships/<int:membership_id>/role/", views.membership_change_role, name="membership_change_role"),
    path("memberships/<int:membership_id>/suspend/", views.membership_suspend, name="membership_suspend"),
    path("memberships/<int:membership_id>/reinstate/", views.membership_reinstate, name="membership_reinstate"),
    path("users/<int:user_id>/suspend/", views.user_suspend, name="user_suspend"),
    path("users/<int:user_id>/unlock/", views.unlock, name="unlock"),
    path("users/<int:user_id>/reinstate/", views.user_reinstate, name="user_reinstate"),
    path("users/<int:user_id>/second-factor/reset/", views.reset_second_factor, name="reset_second_factor"),
]

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "masip.referrals"
    label = "referrals"
    verbose_name = "Referrals"

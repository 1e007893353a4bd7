"""The referrals app's pages under one namespace: the referrer's question pages and status,
the unit's screening queue and triage, and file imports.

Referral ids stay strings: a malformed id then reaches the same audited 404 as a missing one.
"""

from masip.referrals import urls_deadlines, urls_import, urls_referrer, urls_screening

app_name = "referrals"
urlpatterns = [
    *urls_referrer.urlpatterns,
    *urls_screening.urlpatterns,
    *urls_import.urlpatterns,
    *urls_deadlines.urlpatterns,
]

"""Background tasks of the referrals app, run by the django-tasks worker (`manage.py db_worker`).

Tasks take the job's id, never its content: the queue table holds no personal data.
"""

from __future__ import annotations

from django_tasks import task

from masip.referrals import import_services


@task()
def check_referral_import(job_id: str) -> None:
    """The dry run of an uploaded referral file."""
    import_services.import_job_check(job_id=job_id)


@task()
def run_referral_import(job_id: str) -> None:
    """The confirmed import of a referral file."""
    import_services.import_job_run(job_id=job_id)

"""Background tasks of imports (django-tasks, database backend; run by `stockledger worker`)."""

from django_tasks import task

from stockledger.core.workers import Lost, takeover

from .services import check_run, import_run, import_take_over


@task()
def check_import(import_id: int) -> str:
    """Check a large uploaded file (the preview) in the background."""
    return check_run(import_id=import_id)


@task()
def apply_import(import_id: int) -> str:
    """Apply a confirmed import (see services.import_run)."""
    return import_run(import_id=import_id)


@takeover(check_import)
def _lost_check(lost: Lost) -> str:
    return import_take_over(import_id=lost.args[0], lost=lost, checking=True)


@takeover(apply_import)
def _lost_apply(lost: Lost) -> str:
    return import_take_over(import_id=lost.args[0], lost=lost, checking=False)

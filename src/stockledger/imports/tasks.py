"""Background tasks of imports (django-tasks, database backend; run by `stockledger worker`)."""

from django_tasks import task

from .services import check_run, import_run


@task()
def check_import(import_id: int) -> str:
    """Check a large uploaded file (the preview) in the background."""
    return check_run(import_id=import_id)


@task()
def apply_import(import_id: int) -> str:
    """Apply a confirmed import (see services.import_run)."""
    return import_run(import_id=import_id)

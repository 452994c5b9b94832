"""Background tasks of exports (django-tasks; the database backend runs them in
`stockledger worker` / the worker beside `stockledger serve`)."""

from django_tasks import task

from .runner import export_run


@task()
def run_export(export_id: int, attempt: int) -> str:
    """Run attempt `attempt` of export `export_id` (see runner.export_run)."""
    return export_run(export_id=export_id, attempt=attempt)

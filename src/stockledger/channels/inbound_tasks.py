"""The worker's job for webhooks channels send us (see inbound.py)."""

from django_tasks import task

from .inbound import inbound_process


@task()
def process_inbound_webhook(inbound_id: int) -> str:
    """Parse and apply one stored inbound webhook."""
    return inbound_process(inbound_id=inbound_id)

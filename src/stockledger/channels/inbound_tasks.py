"""The worker's job for webhooks channels send us (see inbound.py)."""

from django_tasks import task

from stockledger.core.workers import Lost, takeover

from .inbound import inbound_process, inbound_take_over


@task()
def process_inbound_webhook(inbound_id: int) -> str:
    """Parse and apply one stored inbound webhook."""
    return inbound_process(inbound_id=inbound_id)


@takeover(process_inbound_webhook)
def _lost_inbound(lost: Lost) -> str:
    return inbound_take_over(inbound_id=lost.args[0], lost=lost)

"""Export jobs: a file of Inventory Log rows built in the background for a company's user.

An export moves queued -> running -> complete | failed, and a complete one becomes expired
when the retention cleanup removes its file. `attempts` counts the runs started; a run whose
worker stops (no heartbeat) is either queued again as a new attempt or failed with a reason.
"""

from django.conf import settings
from django.db import models

from stockledger.core.models import CompanyScoped


class ExportKind(models.TextChoices):
    PRODUCT = "product", "One product's log"
    KIT_WITH_COMPONENTS = "kit_with_components", "A kit with its components"
    PRODUCTS = "products", "Many products"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Export(CompanyScoped):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=24, choices=ExportKind.choices)
    format = models.CharField(max_length=8, choices=ExportFormat.choices, default="csv")
    # The product (or kit) of a one-product export, for pages that list exports by SKU.
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Normalized filters (see services.export_create): times as ISO 8601 strings.
    parameters = models.JSONField(default=dict)
    status = models.CharField(
        max_length=12, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows = models.BigIntegerField(default=0)  # written so far; the total once complete
    file_size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The name in export storage once published; the name offered to the browser.
    file_name = models.CharField(max_length=200, blank=True, default="")
    download_name = models.CharField(max_length=200, blank=True, default="")
    # The django-tasks result id of the current attempt's task.
    task_id = models.CharField(max_length=64, blank=True, default="")
    # PostgreSQL: the primary's WAL position when the export was asked for; an export read
    # from a replica waits until the replica has replayed past it (core/db_routing.py).
    source_lsn = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["company", "-id"], name="exports_company_newest"),
            models.Index(fields=["status", "heartbeat_at"], name="exports_status_heartbeat"),
            models.Index(fields=["status", "finished_at"], name="exports_status_finished"),
        ]

    def __str__(self) -> str:
        return f"export #{self.pk} {self.kind} {self.status}"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[ExportFormat(self.format)]

    @property
    def is_finished(self) -> bool:
        return self.status in {ExportStatus.COMPLETE, ExportStatus.FAILED, ExportStatus.EXPIRED}

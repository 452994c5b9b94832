"""Spreadsheet imports: a file uploaded, checked row by row (the preview), then applied.

An import moves validating -> ready (every row good) | invalid (bad rows listed), then, once
the user confirms a ready import, queued -> running -> complete | failed. Nothing of the
company's data changes before it is confirmed; applying is all or nothing.

While an import is checked its good rows are staged in `ImportRow` and its bad ones in
`ImportRowError` (with the cells as read, for the rejected-rows file), so neither checking nor
applying holds the file in memory.
"""

from django.conf import settings
from django.db import models

from stockledger.core.models import CompanyScoped


class ImportKind(models.TextChoices):
    PRODUCTS = "products", "Products"
    COUNTS = "counts", "On-hand counts"
    PURCHASE_ORDERS = "purchase_orders", "Purchase order lines"


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", "Checking"
    READY = "ready", "Ready to apply"
    INVALID = "invalid", "Has bad rows"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Applying"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


class RowAction(models.TextChoices):
    CREATE = "create", "create"
    EXISTS = "exists", "already exists (left as is)"
    SET = "set", "set on hand"
    ADJUST = "adjust", "adjust on hand"
    PO_LINE = "po_line", "purchase order line"


class Import(CompanyScoped):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    format = models.CharField(max_length=8, choices=ImportFormat.choices)
    original_name = models.CharField(max_length=255)
    file_name = models.CharField(max_length=100)  # in the imports folder
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.VALIDATING
    )
    header = models.JSONField(default=list)  # the file's first row, as read
    rows_read = models.BigIntegerField(default=0)
    rows_bad = models.BigIntegerField(default=0)
    actions = models.JSONField(default=dict)  # {RowAction: count} of the good rows
    rows_applied = models.BigIntegerField(default=0)
    # A file-level refusal (unreadable, missing column), or why applying failed.
    error = models.TextField(blank=True, default="")
    # Applying a file imported before needs a second yes; this records the earlier import.
    repeat_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["company", "-id"], name="imports_company_newest"),
            models.Index(fields=["company", "sha256", "kind"], name="imports_same_file"),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.kind} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in {ImportStatus.VALIDATING, ImportStatus.QUEUED, ImportStatus.RUNNING}

    @property
    def good_rows(self) -> int:
        return sum(self.actions.values()) if self.actions else 0


class ImportRow(models.Model):
    """One good row, as the checks resolved it (ids, numbers); read back in order to apply."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="+")
    row_number = models.IntegerField()
    action = models.CharField(max_length=12, choices=RowAction.choices)
    sku = models.CharField(max_length=100)
    product_id = models.BigIntegerField(null=True, blank=True)
    warehouse_id = models.BigIntegerField(null=True, blank=True)
    quantity = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=24, blank=True, default="")
    note = models.TextField(blank=True, default="")
    name = models.CharField(max_length=300, blank=True, default="")
    product_kind = models.CharField(max_length=20, blank=True, default="")
    components = models.TextField(blank=True, default="")  # "SKU:qty;SKU:qty"
    document = models.CharField(max_length=100, blank=True, default="")  # PO number
    supplier = models.CharField(max_length=200, blank=True, default="")
    cells = models.JSONField(default=list)  # the row as read (for a refusal found later)

    class Meta:
        indexes = [
            models.Index(fields=["job", "row_number"], name="imports_row_order"),
            models.Index(fields=["job", "sku"], name="imports_row_sku"),
            models.Index(fields=["job", "document"], name="imports_row_document"),
        ]


class ImportRowError(models.Model):
    """A bad row: where (row number as the spreadsheet shows it, column) and why."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="+")
    row_number = models.IntegerField()
    column = models.CharField(max_length=100, blank=True, default="")
    message = models.TextField()
    cells = models.JSONField(default=list)  # the row as read, for the rejected-rows file

    class Meta:
        indexes = [models.Index(fields=["job", "row_number"], name="imports_error_order")]

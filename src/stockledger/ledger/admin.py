from django.contrib import admin
from django.http import HttpRequest

from .models import LogEntry


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin[LogEntry]):
    """Read-only: the log is append-only, rows are written only by the ledger service."""

    list_display = (
        "id",
        "created_at",
        "company",
        "sku",
        "event_type",
        "quantity",
        "physical_on_hand",
        "available_on_hand",
        "warehouse_name",
    )
    list_filter = ("event_type",)
    search_fields = ("sku", "event_id")
    list_select_related = ("company",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return False

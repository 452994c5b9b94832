"""The columns of a log row as exported: the seed's 20, in its order, then our extensions."""

SEED_COLUMNS: tuple[str, ...] = (
    "created_at",
    "imported_at",
    "event_type",
    "quantity",
    "available_on_hand",
    "physical_on_hand",
    "cart_type",
    "cart_id",
    "cart_name",
    "event_id",
    "warehouse_name",
    "warehouse_locations",
    "user_name",
    "sending_warehouse_name",
    "receiving_warehouse_name",
    "transfer_notes",
    "line_notes",
    "expected_quantity",
    "received_quantity",
    "restocked_quantity",
)

# Extensions. `sequence` is the row id: within a product and warehouse it increases in the
# order changes were applied, so it breaks created_at ties and drives replay.
EXTENSION_COLUMNS: tuple[str, ...] = (
    "sku",
    "sequence",
    "warehouse_id",
    "committed",
    "warehouse_physical_on_hand",
    "warehouse_committed",
    "warehouse_available_on_hand",
    "physical_change",
    "committed_change",
    "order_step",
    "went_negative",
    "note",
    "channel_last_written",
    "channel_differs",
    "explanation",
    "delivery_status",
    "kit_sku",
    "document_type",
    "document_id",
    "recorded_at",
)

COLUMNS: tuple[str, ...] = SEED_COLUMNS + EXTENSION_COLUMNS

# The model field behind each column (they match but for the sequence).
FIELD_FOR_COLUMN: dict[str, str] = {c: c for c in COLUMNS} | {"sequence": "id"}
FIELDS: tuple[str, ...] = tuple(FIELD_FOR_COLUMN[c] for c in COLUMNS)

TIMESTAMP_COLUMNS = frozenset({"created_at", "imported_at", "recorded_at"})
BOOLEAN_COLUMNS = frozenset({"went_negative", "channel_differs"})
INTEGER_COLUMNS = frozenset(
    {
        "quantity",
        "available_on_hand",
        "physical_on_hand",
        "cart_id",
        "expected_quantity",
        "received_quantity",
        "restocked_quantity",
        "sequence",
        "warehouse_id",
        "committed",
        "warehouse_physical_on_hand",
        "warehouse_committed",
        "warehouse_available_on_hand",
        "physical_change",
        "committed_change",
        "channel_last_written",
        "document_id",
    }
)
TEXT_COLUMNS = frozenset(COLUMNS) - TIMESTAMP_COLUMNS - BOOLEAN_COLUMNS - INTEGER_COLUMNS

# How timestamps are written in a CSV. Both are fixed width, so sorting the text sorts by time:
# - iso: ISO 8601 with the export zone's offset, always 6 fractional digits
#   (2026-12-01T06:26:03.000000-05:00);
# - spreadsheet: local time in the export's zone as YYYY-MM-DD HH:MM:SS.fff, which Excel and
#   LibreOffice read as a date-time (milliseconds: what they keep; `sequence` orders exactly),
#   with the zone named in an extra last column, `time_zone`.
TIMESTAMP_FORMATS = ("iso", "spreadsheet")
ZONE_COLUMN = "time_zone"


def columns_for(timestamp_format: str = "iso") -> tuple[str, ...]:
    """The CSV's columns for a timestamp format (spreadsheet dates add the zone column)."""
    return COLUMNS + (ZONE_COLUMN,) if timestamp_format == "spreadsheet" else COLUMNS

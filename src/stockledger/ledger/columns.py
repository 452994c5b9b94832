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
    "reason",
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

"""The limits on what people, carts and files may send, each named once.

Services, API schemas, page forms and imports all import these, so a limit changes in one
place and every door refuses the same input.
"""

QUANTITY_MAX = 1_000_000_000
"""A stock quantity or a change to it (either sign), a document line, an import cell."""

ORDER_QUANTITY_MAX = 1_000_000
"""Units on one sales-order line or one manufacturing order."""

COMPONENT_QUANTITY_MAX = 1_000_000
"""Units of one component in a kit or one line of a bill of materials."""

NUMBER_MAX = 100
"""A document or order number: the log's event_id column holds it."""

NOTES_MAX = 2000
"""Free-text notes on a document, a line or an imported row."""

LINES_MAX = 1000
"""Lines on one document or order."""

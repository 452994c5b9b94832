"""Fresh PostgreSQL statistics around large imports.

PostgreSQL plans from each table's statistics, and keeps some plans long:
- The read-back of staged rows (apply.staged: this job's rows after the last id, 1,000 at a
  time). With statistics taken while the staging table was empty (the imports before
  deleted theirs), it sorts all of the job's rows for every batch: 20 ms a batch at 100,000
  rows. So a large import analyzes the staging table once it is staged.
- A foreign-key check (the log row's product, a kit's component). A session plans it afresh
  for its first five runs, then keeps one generic plan until the referenced table's
  statistics change. Made while the catalogue fitted on one page, that plan is a sequential
  scan, and it stays one while thousands of products arrive (a products import, a channel's
  catalogue) until autovacuum analyzes the table; inside one transaction, not even then. At
  commit every row of a large import then scans the whole catalogue: 100,000 counts took 90
  to 170 s instead of 17 s (bench/README.md, "count_import after a fresh build"). So a large
  import analyzes what its rows look up before it applies them, and a products import the
  catalogue it grew, in its own transaction, before its commit runs those checks.

ANALYZE samples at most 30,000 rows of a table, so it costs a large import little.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model

from stockledger.catalog.models import Product
from stockledger.warehouses.models import Stock

from .models import ImportKind

ANALYZE_AFTER_ROWS = 10_000
# What each kind of import looks up (analyzed before it applies) and what it grows
# (analyzed in its transaction, before the commit checks the rows it added).
LOOKED_UP: dict[str, tuple[type[Model], ...]] = {
    ImportKind.COUNTS: (Product, Stock),
    ImportKind.PURCHASE_ORDERS: (Product,),
}
GROWN: dict[str, tuple[type[Model], ...]] = {ImportKind.PRODUCTS: (Product,)}


def refresh_if_large(rows: int, *models: type[Model]) -> None:
    """PostgreSQL, `rows` >= ANALYZE_AFTER_ROWS: ANALYZE these tables. This session replans
    what it had cached of them at once, every other session once this commits. Elsewhere
    nothing: SQLite plans each statement from its indexes."""
    if rows < ANALYZE_AFTER_ROWS or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

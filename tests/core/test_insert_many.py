"""core.bulk_sql.insert_many: rows read back exactly as given, whichever path wrote them.

On PostgreSQL, `pg_types` sends each column as one binary array (`unnest`); without it the
rows go as multi-row VALUES. On SQLite both are `executemany`.
"""

import json

import pytest
from django.db import connection

from stockledger.core.bulk_sql import insert_many, pg_array_types
from stockledger.imports.models import Import, ImportRowError

pytestmark = pytest.mark.django_db

COLUMNS = ("job_id", "row_number", "column", "message", "cells")
# What an array literal would have to quote: braces, commas, quotes, backslashes, NULL as a
# word, empty text, and more than the Latin alphabet.
AWKWARD = ["{a,b}", 'say "hi"', "back\\slash", "NULL", "", "Grüße, 東京", " padded ", "a\nb"]


def _job(company) -> Import:
    return Import.objects.create(
        company=company, kind="counts", format="csv", original_name="f.csv", file_name="f", size=1
    )


@pytest.mark.parametrize("arrays", [True, False], ids=["pg_types", "values"])
def test_rows_read_back_as_they_were_given(company, arrays):
    job = _job(company)
    rows = [
        (job.id, i if i % 2 else 2**30 + i, AWKWARD[i], f"message {i}", json.dumps([AWKWARD[i]]))
        for i in range(len(AWKWARD))
    ] * 3  # more rows than a one-row path, fewer than a batch; small and large numbers mixed
    with connection.cursor() as cursor:
        insert_many(
            cursor,
            table=connection.ops.quote_name(ImportRowError._meta.db_table),
            columns=[connection.ops.quote_name(c) for c in COLUMNS],
            rows=rows,
            pg_types=pg_array_types(ImportRowError, COLUMNS) if arrays else None,
        )
    stored = ImportRowError.objects.filter(job=job).order_by("id")
    assert [(e.job_id, e.row_number, e.column, e.message, e.cells) for e in stored] == [
        (j, n, c, m, json.loads(cells)) for j, n, c, m, cells in rows
    ]


def test_pg_array_types_names_each_field_by_name_or_column():
    types = pg_array_types(ImportRowError, ("job_id", "job", "row_number", "message", "cells"))
    if connection.vendor == "postgresql":
        assert types == ["bigint", "bigint", "integer", "text", "jsonb"]
    else:
        assert len(types) == 5 and types[0] == types[1]

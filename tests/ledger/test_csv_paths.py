"""The CSV writer's two paths (database-formatted and Python) write the same bytes."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from stockledger.ledger.columns import COLUMNS, TIMESTAMP_FORMATS, columns_for
from stockledger.ledger.csv_writer import (
    LogRows,
    guard_text,
    iter_log_rows,
    merge_log_rows,
    row_converter,
    write_log_csv,
)
from stockledger.ledger.models import LogEntry
from stockledger.ledger.selectors import log_entries
from stockledger.ledger.services import LogLine, ledger_record, stock_adjust, write_transaction

TRICKY_TEXT = [
    "",
    "plain",
    "comma, inside",
    'a "quoted" word',
    "line one\nline two",
    "carriage\rreturn",
    "windows\r\nbreak",
    '=HYPERLINK("http://x")',
    "+1 found",
    "-2 damaged",
    "@someone",
    "\tleading tab",
    "\rleading CR",
    "  spaces kept  ",
    "Zählung, Süd ✓ 📦",
    "'already quoted",
    '"',
    ",",
]


@write_transaction
def _record(*, company, product, warehouse, event_type, created_at, change=0, **fields):
    return ledger_record(
        company=company,
        event_type=event_type,
        created_at=created_at,
        imported_at=fields.pop("imported_at", None),
        lines=[
            LogLine(
                product=product,
                warehouse=warehouse,
                physical_change=change,
                quantity=change or fields.pop("quantity", None),
                fields=fields,
            )
        ],
    )


@pytest.fixture
def tricky(company, warehouse_factory, product_factory):
    """Two products whose rows hold every awkward value, interleaved in time, with ties."""
    odd = warehouse_factory('Overflow, "Reno"')
    main = warehouse_factory("Main")
    first, second = product_factory("=CSV-A"), product_factory("CSV-B")
    t0 = datetime(2026, 3, 28, 23, 59, 59, tzinfo=UTC)  # DST changes in Europe that night
    for i, text in enumerate(TRICKY_TEXT):
        product = first if i % 3 else second
        at = t0 + timedelta(minutes=37 * (i // 2), microseconds=(i % 4) * 250_000)
        _record(
            company=company,
            product=product,
            warehouse=odd if i % 2 else main,
            event_type="on_hand",
            created_at=at,
            change=5 - i % 3,
            note=text,
            line_notes=text[::-1],
            warehouse_locations=text,
        )
        _record(
            company=company,
            product=product,
            warehouse=None,
            event_type="import",
            created_at=at,  # a tie with the row above: sequence decides
            imported_at=at + timedelta(seconds=1),
            quantity=-i,
            cart_name=text,
            event_id=text[:100],
            channel_differs=(None, True, False)[i % 3],
            channel_last_written=i if i % 2 else None,
            explanation=text,
        )
    stock_adjust(company=company, product=first, warehouse=main, change=-1)  # recorded now
    return first, second


def _write(rows, **kwargs):
    out = io.StringIO()
    count = write_log_csv(out, rows, **kwargs)
    return out.getvalue(), count


ZONES = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/St_Johns"), ZoneInfo("Asia/Kolkata")]


@pytest.mark.parametrize("timestamp_format", TIMESTAMP_FORMATS)
@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_the_database_writes_the_same_bytes_as_the_python_path(
    company, tricky, tz, timestamp_format
):
    qs = log_entries(company=company, product_ids=[tricky[0].id])
    database, n = _write(iter_log_rows(qs), tz=tz, bom=True, timestamp_format=timestamp_format)
    python, m = _write(list(iter_log_rows(qs)), tz=tz, bom=True, timestamp_format=timestamp_format)
    assert n == m == qs.count() > 10
    assert database == python
    rows = list(csv.reader(io.StringIO(database.removeprefix("\ufeff"))))
    columns = columns_for(timestamp_format)
    assert rows[0] == list(columns)
    assert len(rows) == n + 1 and all(len(r) == len(columns) for r in rows)
    # Fixed width: every created_at is as long as every other.
    assert len({len(r[0]) for r in rows[1:]}) == 1


def test_merged_rows_are_in_created_at_then_sequence_order_on_both_paths(company, tricky):
    querysets = [log_entries(company=company, product_ids=[p.id]) for p in tricky]
    database, n = _write(merge_log_rows(querysets))
    python, m = _write(list(merge_log_rows(querysets)))
    together, k = _write(
        list(iter_log_rows(log_entries(company=company, product_ids=[p.id for p in tricky])))
    )
    assert database == python == together
    assert n == m == k == LogEntry.objects.filter(product__in=tricky).count()
    rows = list(csv.DictReader(io.StringIO(database)))
    keys = [(r["created_at"], int(r["sequence"])) for r in rows]
    assert keys == sorted(keys, key=lambda k: (datetime.fromisoformat(k[0]), k[1]))
    assert {r["sku"] for r in rows} == {"'=CSV-A", "CSV-B"}  # a SKU is guarded like any text


def test_a_file_gets_the_same_bytes_as_a_string_buffer(company, tricky, tmp_path):
    qs = log_entries(company=company, product_ids=[tricky[0].id])
    path = tmp_path / "log.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        count = write_log_csv(fh, iter_log_rows(qs), bom=True)
    expected, n = _write(list(iter_log_rows(qs)), bom=True)
    assert count == n
    assert path.read_bytes() == expected.encode("utf-8")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfcreated_at,")
    assert b"\r\n" in path.read_bytes() and b"\nline two" in path.read_bytes()


def test_progress_is_reported_while_writing(company, tricky):
    qs = log_entries(company=company, product_ids=[p.id for p in tricky])
    seen = []
    _, count = _write(iter_log_rows(qs), on_progress=seen.append, progress_every=10)
    assert seen and seen == sorted(seen)
    assert 10 <= seen[0] and seen[-1] <= count


def test_a_zone_without_a_name_is_written_by_python_with_its_offset(company, tricky):
    tz = timezone(timedelta(hours=5, minutes=45))
    qs = log_entries(company=company, product_ids=[tricky[1].id])
    text, _ = _write(iter_log_rows(qs), tz=tz)
    first = next(csv.DictReader(io.StringIO(text)))
    assert first["created_at"].endswith("+05:45")
    assert text == _write(list(iter_log_rows(qs)), tz=tz)[0]


def test_rows_already_started_are_written_from_where_they_are(company, tricky):
    qs = log_entries(company=company, product_ids=[tricky[0].id])
    rows = iter_log_rows(qs)
    assert isinstance(rows, LogRows)
    head = next(rows)
    text, count = _write(rows)
    assert count == qs.count() - 1
    assert str(head[COLUMNS.index("sequence")]) not in [
        r["sequence"] for r in csv.DictReader(io.StringIO(text))
    ]


def test_row_converter_blanks_nulls_and_guards_text():
    convert = row_converter(ZoneInfo("Europe/Berlin"))
    row = [None] * len(COLUMNS)
    at = COLUMNS.index
    row[at("created_at")] = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    row[at("went_negative")] = True
    row[at("channel_differs")] = False
    row[at("note")] = "=1+1"
    row[at("quantity")] = -4
    row[at("event_type")] = "on_hand"
    cells = convert(tuple(row))
    assert cells[at("created_at")] == "2026-07-01T12:00:00.000000+02:00"
    assert cells[at("imported_at")] == "" and cells[at("cart_id")] == ""
    assert (cells[at("went_negative")], cells[at("channel_differs")]) == ("true", "false")
    assert cells[at("note")] == "'=1+1" == guard_text("=1+1")
    assert cells[at("quantity")] == -4 and cells[at("event_type")] == "on_hand"


@pytest.mark.postgres_only
def test_the_copy_runs_without_jit_or_parallel_workers_and_puts_the_settings_back(
    company, tricky, monkeypatch
):
    """At 41 monthly partitions JIT compiled the export's cell expressions for 50 s before
    the first row (docs/scale.md): the COPY's transaction turns it off, and only it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor_class = type(cursor.cursor)
        cursor.execute("SELECT current_setting('jit'), current_setting('TimeZone')")
        before = cursor.fetchone()
    seen = []
    original = cursor_class.copy

    def copy(self, statement, *args, **kwargs):
        self.execute(
            "SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')"
        )
        seen.append(self.fetchone())
        return original(self, statement, *args, **kwargs)

    monkeypatch.setattr(cursor_class, "copy", copy)
    qs = log_entries(company=company, product_ids=[tricky[0].id])
    text, count = _write(iter_log_rows(qs), tz=ZoneInfo("Europe/Berlin"))
    assert count == qs.count() > 0
    assert seen == [("off", "0")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('TimeZone')")
        assert cursor.fetchone() == before

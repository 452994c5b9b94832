"""Timestamps a spreadsheet understands: fixed width (text order is time order), local
spreadsheet dates on request, real date cells in XLSX with the zone in the header."""

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from stockledger.exports.services import download_name, export_create
from stockledger.exports.xlsx_writer import write_log_xlsx
from stockledger.ledger.csv_writer import iter_log_rows, write_log_csv
from stockledger.ledger.selectors import log_entries
from stockledger.ledger.services import stock_adjust
from stockledger.web.views.exports import ExportForm

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 11, 26, 3, tzinfo=UTC)
# Inside one second, on whole seconds (no fraction: the old form dropped it and sorted
# `...:03+00:00` after `...:03.05+00:00`), across seconds, and within one millisecond.
OFFSETS_US = [0, 50_000, 999_999, 1_000_000, 1_000_001, 1_000_400, 2_000_000, 12_345_678]
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def timed_log(company, warehouses, product_factory):
    main, _east = warehouses
    mug = product_factory("MUG")
    for i, offset in enumerate(OFFSETS_US):
        stock_adjust(
            company=company,
            product=mug,
            warehouse=main,
            change=i + 1,
            created_at=T0 + timedelta(microseconds=offset),
        )
    return mug


def _csv(company, product, **kwargs):
    out = io.StringIO()
    write_log_csv(
        out, iter_log_rows(log_entries(company=company, product_ids=[product.id])), **kwargs
    )
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.mark.parametrize("tz", [UTC, NEW_YORK], ids=str)
@pytest.mark.parametrize("timestamp_format", ["iso", "spreadsheet"])
def test_sorting_the_created_at_text_gives_the_recorded_order(
    company, timed_log, tz, timestamp_format
):
    rows = _csv(company, timed_log, tz=tz, timestamp_format=timestamp_format)
    recorded = [int(r["sequence"]) for r in rows]
    assert recorded == sorted(recorded) and len(rows) == len(OFFSETS_US)
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    # Text order; the sequence column settles what the milliseconds of the spreadsheet
    # form cannot tell apart.
    again = sorted(shuffled, key=lambda r: (r["created_at"], int(r["sequence"])))
    assert [int(r["sequence"]) for r in again] == recorded
    assert len({len(r["created_at"]) for r in rows}) == 1  # fixed width


def test_iso_timestamps_always_carry_six_fractional_digits_and_the_offset(company, timed_log):
    rows = _csv(company, timed_log, tz=NEW_YORK)
    assert [r["created_at"] for r in rows[:4]] == [
        "2026-12-01T06:26:03.000000-05:00",
        "2026-12-01T06:26:03.050000-05:00",
        "2026-12-01T06:26:03.999999-05:00",
        "2026-12-01T06:26:04.000000-05:00",
    ]
    assert all(datetime.fromisoformat(r["created_at"]).tzinfo for r in rows)


def test_spreadsheet_dates_are_local_times_a_spreadsheet_parses_with_the_zone_named(
    company, timed_log
):
    rows = _csv(company, timed_log, tz=NEW_YORK, timestamp_format="spreadsheet")
    assert rows[0]["created_at"] == "2026-12-01 06:26:03.000"
    assert rows[1]["created_at"] == "2026-12-01 06:26:03.050"
    assert {r["time_zone"] for r in rows} == {"America/New_York"}
    for row, offset in zip(rows, OFFSETS_US, strict=True):
        # The form Excel and LibreOffice read as a date-time: "YYYY-MM-DD HH:MM:SS.fff".
        parsed = datetime.strptime(row["created_at"], "%Y-%m-%d %H:%M:%S.%f")
        expected = (T0 + timedelta(microseconds=offset)).astimezone(NEW_YORK)
        assert abs(parsed - expected.replace(tzinfo=None)) < timedelta(milliseconds=1)
        assert row["imported_at"] == ""


def test_the_spreadsheet_form_names_the_zone_in_the_file_name(company, user, timed_log):
    when = T0.astimezone(NEW_YORK)
    assert download_name("product", "csv", timed_log, when, zone_name="America/New_York") == (
        "inventory-log-MUG-20261201-America_New_York.csv"
    )
    export = export_create(
        company=company,
        user=user,
        product_id=timed_log.id,
        timezone="America/New_York",
        timestamp_format="spreadsheet",
    )
    assert export.download_name.endswith("-America_New_York.csv")
    assert export.parameters["timestamp_format"] == "spreadsheet"


def test_an_unknown_timestamp_format_is_refused_naming_the_field(company, user, timed_log):
    from stockledger.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        export_create(company=company, user=user, product_id=timed_log.id, timestamp_format="excel")
    assert err.value.field == "timestamp_format"


def test_xlsx_keeps_real_date_cells_and_names_the_zone_in_the_header(company, timed_log, tmp_path):
    path = tmp_path / "log.xlsx"
    write_log_xlsx(
        path, iter_log_rows(log_entries(company=company, product_ids=[timed_log.id])), tz=NEW_YORK
    )
    sheet = openpyxl.load_workbook(path, read_only=True)["Log"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "created_at (America/New_York)"
    assert "recorded_at (America/New_York)" in header
    stamps = [r[0] for r in rows[1:]]
    assert all(isinstance(s, datetime) for s in stamps)
    assert stamps[0] == datetime(2026, 12, 1, 6, 26, 3)
    assert stamps == sorted(stamps)


def test_the_export_form_offers_the_zone_defaulting_to_the_companys(company, timed_log):
    company.time_zone = "America/New_York"  # the company setting, where the model has it
    timed_log.company = company
    form = ExportForm(product=timed_log)
    assert form.fields["timezone"].initial == "America/New_York"
    assert ("Europe/Berlin", "Europe/Berlin") in form.fields["timezone"].choices
    posted = ExportForm({"format": "csv"}, product=timed_log)
    assert posted.is_valid(), posted.errors
    arguments = posted.service_arguments()
    assert (arguments["timezone"], arguments["timestamp_format"]) == ("America/New_York", "iso")

"""Each kind of export, its filters and timezone, written by the job (run here directly)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from stockledger.exports import sources
from stockledger.exports.services import export_create
from stockledger.ledger.columns import COLUMNS, SEED_COLUMNS
from stockledger.ledger.models import LogEntry
from stockledger.ledger.services import stock_adjust, stock_set

from .conftest import T0, read_csv, run


def sequences(rows):
    return [int(r["sequence"]) for r in rows]


def expected_order(qs):
    return list(qs.order_by("created_at", "id").values_list("id", flat=True))


def test_a_product_export_is_the_products_log_as_csv_with_a_bom(
    company, user, warehouses, product_factory, add_rows, storage
):
    widget, other = product_factory("W-1"), product_factory("W-2")
    add_rows(widget, warehouses[0], 3)
    add_rows(other, warehouses[0], 2)
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=-1, user=user)

    export = run(export_create(company=company, user=user, product_id=widget.id))

    assert (export.status, export.kind, export.rows, export.attempts) == (
        "complete",
        "product",
        4,
        1,
    )
    text, rows = read_csv(storage, export)
    assert text.split("\r\n")[0] == ",".join(COLUMNS)
    assert text.split("\r\n")[0].startswith(",".join(SEED_COLUMNS) + ",sku,sequence")
    assert {r["sku"] for r in rows} == {"W-1"}
    assert sequences(rows) == expected_order(LogEntry.objects.filter(product=widget))
    assert rows[-1]["quantity"] == "-1" and rows[-1]["user_name"] == user.username
    assert rows[0]["created_at"] == "2026-03-01T12:00:00.000000+00:00"
    assert export.file_size == (storage.root / export.file_name).stat().st_size
    assert export.download_name == f"inventory-log-W-1-{timezone.now():%Y%m%d}.csv"


def test_numbers_are_written_unquoted_and_text_is_guarded_against_formulas(
    company, user, warehouses, product_factory, storage
):
    widget = product_factory("W-F")
    stock_set(
        company=company,
        product=widget,
        warehouse=warehouses[0],
        physical_on_hand=5,
        user=user,
        note='=HYPERLINK("http://evil","x")',
    )
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=-2, note="+1+1")
    stock_adjust(company=company, product=widget, warehouse=warehouses[0], change=1, note="-x")

    text, rows = read_csv(
        storage, run(export_create(company=company, user=user, product_id=widget.id))
    )

    assert [r["note"] for r in rows] == ['\'=HYPERLINK("http://evil","x")', "'+1+1", "'-x"]
    line = text.split("\r\n")[2]
    assert ",-2,3,3," in line  # quantity, available, physical: bare numbers, not '-2
    assert rows[1]["physical_change"] == "-2"


def test_a_product_export_keeps_only_the_rows_the_filters_ask_for(
    company, user, warehouses, product_factory, add_rows, storage
):
    widget = product_factory("W-3")
    main, east = warehouses
    add_rows(widget, main, 10, step=timedelta(days=1))  # Mar 1 .. Mar 10
    add_rows(widget, east, 10, step=timedelta(days=1))
    stock_set(company=company, product=widget, warehouse=main, physical_on_hand=0, created_at=T0)

    export = run(
        export_create(
            company=company,
            user=user,
            product_id=widget.id,
            since=T0 + timedelta(days=2),
            until=T0 + timedelta(days=5),
            warehouse_ids=[east.id],
            event_types=["on_hand"],
        )
    )
    _, rows = read_csv(storage, export)
    assert [r["created_at"][:10] for r in rows] == ["2026-03-03", "2026-03-04", "2026-03-05"]
    assert {r["warehouse_name"] for r in rows} == {"East"}
    assert export.rows == 3

    none = run(
        export_create(company=company, user=user, product_id=widget.id, event_types=["order"])
    )
    text, rows = read_csv(storage, none)
    assert rows == [] and none.rows == 0 and text == ",".join(COLUMNS) + "\r\n"


def test_timestamps_are_written_in_the_timezone_asked_for(
    company, user, warehouses, product_factory, add_rows, storage
):
    widget = product_factory("W-TZ")
    add_rows(widget, warehouses[0], 1, start=datetime(2026, 1, 15, 23, 30, tzinfo=UTC))
    add_rows(widget, warehouses[0], 1, start=datetime(2026, 7, 1, 6, 0, tzinfo=UTC))

    export = run(
        export_create(company=company, user=user, product_id=widget.id, timezone="Europe/Berlin")
    )
    _, rows = read_csv(storage, export)
    assert [r["created_at"] for r in rows] == [
        "2026-01-16T00:30:00.000000+01:00",
        "2026-07-01T08:00:00.000000+02:00",
    ]
    assert rows[0]["recorded_at"].endswith(("+01:00", "+02:00"))


def test_a_kit_export_merges_the_kit_and_its_components_by_time_then_sequence(
    company, user, warehouses, product_factory, add_rows, storage
):
    bolt, nut, stranger = product_factory("BOLT"), product_factory("NUT"), product_factory("X")
    kit = product_factory(
        "KIT", components=[{"sku": "BOLT", "quantity": 2}, {"sku": "NUT", "quantity": 1}]
    )
    main = warehouses[0]
    # Interleaved times, ties across products at T0 + 2 min, rows written out of time order.
    add_rows(nut, main, 3, start=T0 + timedelta(seconds=30), step=timedelta(minutes=2))
    add_rows(bolt, main, 4, start=T0, step=timedelta(minutes=1))
    add_rows(stranger, main, 3, start=T0)
    add_rows(nut, main, 2, start=T0 + timedelta(minutes=2), step=timedelta(0))
    add_rows(kit, None, 1, start=T0 + timedelta(minutes=2), change=0)

    export = run(
        export_create(company=company, user=user, product_id=kit.id, include_components=True)
    )
    assert export.kind == "kit_with_components"
    assert export.download_name.startswith("inventory-log-KIT-with-components-")
    _, rows = read_csv(storage, export)
    expected = expected_order(LogEntry.objects.filter(product__in=[kit, bolt, nut]))
    assert sequences(rows) == expected
    assert {r["sku"] for r in rows} == {"KIT", "BOLT", "NUT"}
    assert len(rows) == 3 + 4 + 2 + 1 == export.rows
    stamps = [r["created_at"] for r in rows]
    assert stamps == sorted(stamps)


def test_merging_many_cursors_equals_one_sorted_query(
    company, warehouses, product_factory, add_rows
):
    products = [product_factory(f"M-{i}") for i in range(5)]
    for i, product in enumerate(products):
        add_rows(
            product,
            warehouses[i % 2],
            40,
            start=T0 + timedelta(seconds=i * 7),
            step=timedelta(seconds=13),
        )
    ids = [p.id for p in products]
    with sources.LogStreams() as streams:
        merged = [
            row[COLUMNS.index("sequence")]
            for row in streams.products(company=company, product_ids=ids)
        ]
    assert merged == expected_order(LogEntry.objects.filter(product_id__in=ids))


def test_a_many_products_export_covers_all_products_or_a_sku_list_or_a_search(
    company, user, warehouses, product_factory, add_rows, storage
):
    a, b, c = (
        product_factory("A-1", "Red mug"),
        product_factory("B-1", "Blue mug"),
        product_factory("C-1", "Plate"),
    )
    for i, product in enumerate((a, b, c)):
        add_rows(product, warehouses[0], 2, start=T0 + timedelta(seconds=i))

    everything = run(export_create(company=company, user=user))
    assert everything.kind == "products"
    assert everything.download_name.startswith("inventory-log-products-")
    _, rows = read_csv(storage, everything)
    assert sequences(rows) == expected_order(LogEntry.objects.filter(company=company))
    assert [r["sku"] for r in rows] == ["A-1", "B-1", "C-1", "A-1", "B-1", "C-1"]

    _, rows = read_csv(storage, run(export_create(company=company, user=user, skus=["C-1", "A-1"])))
    assert [r["sku"] for r in rows] == ["A-1", "C-1", "A-1", "C-1"]

    _, rows = read_csv(storage, run(export_create(company=company, user=user, search="MUG")))
    assert {r["sku"] for r in rows} == {"A-1", "B-1"} and len(rows) == 4

    _, rows = read_csv(storage, run(export_create(company=company, user=user, search="nothing")))
    assert rows == []


def test_many_products_beyond_the_merge_limit_read_one_cursor_in_the_same_order(
    company, user, warehouses, product_factory, add_rows, storage, monkeypatch
):
    products = [product_factory(f"S-{i}") for i in range(4)]
    for i, product in enumerate(products):
        add_rows(
            product,
            warehouses[i % 2],
            5,
            start=T0 + timedelta(seconds=i),
            step=timedelta(seconds=3),
        )
    skus = ["S-0", "S-2", "S-3"]
    merged = read_csv(storage, run(export_create(company=company, user=user, skus=skus)))[1]
    monkeypatch.setattr(sources, "MERGE_LIMIT", 1)
    single = read_csv(storage, run(export_create(company=company, user=user, skus=skus)))[1]
    assert (
        sequences(single)
        == sequences(merged)
        == expected_order(LogEntry.objects.filter(sku__in=skus))
    )


def test_a_many_products_export_filters_by_interval_warehouse_and_event_type(
    company, user, warehouses, product_factory, add_rows, storage
):
    a, b = product_factory("I-1"), product_factory("I-2")
    main, east = warehouses
    now = timezone.now()
    add_rows(a, main, 1, start=now - timedelta(days=3))
    add_rows(a, main, 1, start=now - timedelta(hours=5))
    add_rows(b, east, 1, start=now - timedelta(minutes=30))
    add_rows(b, main, 1, start=now - timedelta(minutes=10))

    def skus_of(**kw):
        export = run(export_create(company=company, user=user, **kw))
        return [r["sku"] + "@" + r["warehouse_name"] for r in read_csv(storage, export)[1]]

    assert skus_of(interval="hour") == ["I-2@East", "I-2@Main"]
    assert skus_of(interval="day") == ["I-1@Main", "I-2@East", "I-2@Main"]
    assert len(skus_of(interval="week")) == 4
    assert skus_of(interval="day", warehouse_ids=[main.id]) == ["I-1@Main", "I-2@Main"]
    assert skus_of(event_types=["order", "po_received"]) == []
    assert skus_of(since=now - timedelta(days=4), until=now - timedelta(hours=1)) == [
        "I-1@Main",
        "I-1@Main",
    ]


def test_an_interval_ends_now_and_a_month_is_a_calendar_month_in_the_timezone():
    from zoneinfo import ZoneInfo

    from stockledger.exports.parameters import interval_bounds

    now = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    since, until = interval_bounds("month", now=now, tz=ZoneInfo("America/New_York"))
    assert until == now
    assert since.isoformat() == "2026-02-28T06:00:00-05:00"
    assert interval_bounds("week", now=now, tz=UTC)[0] == now - timedelta(days=7)
    assert interval_bounds("hour", now=now, tz=UTC)[0] == now - timedelta(hours=1)
    jan = interval_bounds("month", now=datetime(2026, 1, 15, tzinfo=UTC), tz=UTC)[0]
    assert jan == datetime(2025, 12, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"product_id": 0}, "product_id"),
        ({"kind": "product"}, "product_id"),
        ({"skus": ["NOPE"]}, "skus[0]"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"event_types": ["on_hand", "teleport"]}, "event_types[1]"),
        ({"warehouse_ids": [10**9]}, "warehouse_ids[0]"),
        ({"interval": "day", "since": T0}, "interval"),
        ({"interval": "fortnight"}, "interval"),
        ({"since": T0, "until": T0}, "until"),
        ({"since": datetime(2026, 1, 1)}, "since"),
        ({"format": "pdf"}, "format"),
        ({"kind": "teleport"}, "kind"),
        ({"include_components": True}, "product_id"),
    ],
)
def test_bad_requests_name_the_field_and_create_nothing(company, user, kwargs, field):
    from django_tasks_db.models import DBTaskResult

    from stockledger.core.errors import InvalidInput
    from stockledger.exports.models import Export

    with pytest.raises(InvalidInput) as caught:
        export_create(company=company, user=user, **kwargs)
    assert caught.value.field == field
    assert not Export.objects.exists() and not DBTaskResult.objects.exists()


def test_a_kit_export_of_a_product_that_is_not_a_kit_is_refused(company, user, product_factory):
    from stockledger.core.errors import InvalidInput

    plain = product_factory("PLAIN")
    with pytest.raises(InvalidInput, match="not a kit") as caught:
        export_create(company=company, user=user, product_id=plain.id, include_components=True)
    assert caught.value.field == "include_components"


def test_export_log_with_components_merges_the_same_way(
    company, warehouses, product_factory, add_rows, tmp_path
):
    from django.core.management import call_command

    bolt, nut = product_factory("BOLT"), product_factory("NUT")
    kit = product_factory(
        "KIT", components=[{"sku": "NUT", "quantity": 1}, {"sku": "BOLT", "quantity": 3}]
    )
    add_rows(nut, warehouses[0], 4, start=T0, step=timedelta(seconds=45))
    add_rows(bolt, warehouses[1], 4, start=T0, step=timedelta(seconds=30))
    add_rows(product_factory("ELSE"), warehouses[0], 2, start=T0)
    out = tmp_path / "kit.csv"
    call_command(
        "export_log", company=company.id, sku="KIT", include_components=True, output=str(out)
    )
    import csv

    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert sequences(rows) == expected_order(LogEntry.objects.filter(product__in=[kit, bolt, nut]))
    assert [r["sku"] for r in rows][:4] == ["NUT", "BOLT", "BOLT", "NUT"]

"""Faults inside a service's transaction leave no half-applied change.

Every stock-changing service is interrupted at three points of its transaction:
- after its document rows, before the ledger touches stock (`StockBook.reload`),
- after the stock rows are written, before the log rows (`StockBook.save`),
- after the log rows are written, before the commit (`log_insert.insert_entries`),
by three faults:
- PostgreSQL: the service's database connection is terminated from another connection
  (`pg_terminate_backend`) while the service waits at the point;
- both databases: an exception raised at the point (a crash in the middle of the service);
- both databases: a deadlock / "database is locked" error at the point on the first attempt,
  which the service retries: the change then happens exactly once.
After each: the company's rows are exactly as before (or as after one clean run, for the
retried deadlock), stock and log agree, `stockledger verify` is clean, and the same operation
then runs normally on a fresh connection.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from stockledger.ledger.stockbook import StockBook

from .invariants import assert_ledger_consistent, company_dump
from .world import PLACED, build_world

POINTS = ("before stock", "after stock", "after log rows")


class Injected(RuntimeError):
    """The crash injected in the middle of a service."""


@dataclass
class Fault:
    point: str
    kind: str  # "kill", "exception", "deadlock"
    thread: threading.Thread | None = None
    fired: int = 0

    def __post_init__(self):
        self.paused = threading.Event()
        self.resume = threading.Event()
        self.backend_pid = None

    def at(self, point: str) -> None:
        if point != self.point or self.fired:
            return
        if self.thread is not None and threading.current_thread() is not self.thread:
            return
        self.fired += 1
        if self.kind == "exception":
            raise Injected(f"crash {point}")
        if self.kind == "deadlock":
            message = (
                "deadlock detected" if connection.vendor == "postgresql" else "database is locked"
            )
            raise OperationalError(message)
        self.backend_pid = connection.connection.info.backend_pid
        self.paused.set()
        assert self.resume.wait(30), "the test never resumed the service"


@pytest.fixture
def inject(monkeypatch):
    """Install hooks at the three points; returns a setter for the active fault."""
    active: dict[str, Fault | None] = {"fault": None}

    def hit(point):
        fault = active["fault"]
        if fault is not None:
            fault.at(point)

    from stockledger.ledger import services

    reload, save = StockBook.reload, StockBook.save
    insert_entries = services.insert_entries

    def patched_reload(self, product_ids):
        hit("before stock")
        return reload(self, product_ids)

    def patched_save(self):
        result = save(self)
        hit("after stock")
        return result

    def patched_insert_entries(*args, **kwargs):
        result = insert_entries(*args, **kwargs)
        hit("after log rows")
        return result

    monkeypatch.setattr(StockBook, "reload", patched_reload)
    monkeypatch.setattr(StockBook, "save", patched_save)
    monkeypatch.setattr(services, "insert_entries", patched_insert_entries)

    # Fact rows (channel syncs and settings) change no stock: after their locks, and after
    # their rows are inserted.
    from stockledger.ledger import facts

    lock_read = facts._lock_read_products

    def patched_lock_read(*args, **kwargs):
        result = lock_read(*args, **kwargs)
        hit("before stock")
        return result

    monkeypatch.setattr(facts, "_lock_read_products", patched_lock_read)
    for name in ("_insert_select", "_insert_rows"):
        insert = getattr(facts, name)

        def patched_insert(*args, _insert=insert, **kwargs):
            result = _insert(*args, **kwargs)
            hit("after log rows")
            return result

        monkeypatch.setattr(facts, name, patched_insert)

    def use(fault: Fault | None) -> None:
        active["fault"] = fault

    return use


def operations(world):
    """name -> (prepare, run): prepare() makes what the operation needs (outside the fault)
    and returns the argument run() takes."""
    from stockledger.channels.services import channel_set_writeback_warehouses
    from stockledger.channels.sync import channel_quantities_import, channel_writeback_run
    from stockledger.ledger.services import stock_adjust, stock_set
    from stockledger.manufacturing.services import mo_finish
    from stockledger.orders.services import order_cancel, order_import, order_ship
    from stockledger.purchasing.services import purchase_order_receive
    from stockledger.returns.services import return_create, return_receive
    from stockledger.transfers.services import transfer_create

    c, u, p, w = world.company, world.user, world.products, world.warehouses
    numbers = itertools.count(1)

    def new_order(_=None):
        order, _ = order_import(
            company=c,
            channel=world.channel,
            order_number=f"F-{next(numbers)}",
            placed_at=PLACED,
            warehouse=w[0],
            lines=[{"sku": "A", "quantity": 1}, {"sku": "KIT", "quantity": 2}],
            user=u,
        )
        return order

    def nothing():
        return None

    return {
        "adjust on hand": (
            nothing,
            lambda _: stock_adjust(company=c, product=p["A"], warehouse=w[0], change=-2, user=u),
        ),
        "count on hand": (
            nothing,
            lambda _: stock_set(
                company=c, product=p["B"], warehouse=w[1], physical_on_hand=next(numbers), user=u
            ),
        ),
        "transfer": (
            nothing,
            lambda _: transfer_create(
                company=c,
                sending_warehouse=w[0],
                receiving_warehouse=w[2],
                lines=[{"sku": "A", "quantity": 3}, {"sku": "KIT", "quantity": 1}],
                user=u,
            ),
        ),
        "receive goods": (
            nothing,
            lambda _: purchase_order_receive(
                company=c,
                purchase_order=world.purchase_orders[0],
                number=f"GR-{next(numbers)}",
                lines=[{"sku": "A", "quantity": 5}, {"sku": "C", "quantity": 2}],
                user=u,
            ),
        ),
        "import order": (nothing, new_order),
        "ship order": (new_order, lambda order: order_ship(company=c, order=order, user=u)),
        "cancel order": (new_order, lambda order: order_cancel(company=c, order=order, user=u)),
        "open RMA": (
            nothing,
            lambda _: return_create(
                company=c,
                number=f"R-{next(numbers)}",
                warehouse=w[1],
                lines=[{"sku": "KIT", "expected_quantity": 2}],
                user=u,
            ),
        ),
        "receive RMA": (
            nothing,
            lambda _: return_receive(
                company=c,
                return_order=world.returns[1],
                lines=[{"sku": "KIT", "received_quantity": 2, "restocked_quantity": 1}],
                user=u,
            ),
        ),
        "finish MO": (
            nothing,
            lambda _: mo_finish(company=c, mo=world.manufacturing_orders[0], quantity=2, user=u),
        ),
        "import channel quantities": (
            nothing,
            lambda _: channel_quantities_import(
                company=c,
                channel=world.channel,
                quantities=[{"sku": "A", "quantity": 4}, {"sku": "KIT", "quantity": 1}],
            ),
        ),
        "change writeback warehouses": (
            nothing,
            lambda _: channel_set_writeback_warehouses(
                company=c,
                channel=world.channel,
                warehouse_ids=[w[next(numbers) % 3].id],
                user=u,
            ),
        ),
        "write back": (
            nothing,
            lambda _: channel_writeback_run(company=c, channel=world.channel),
        ),
    }


# Fact rows change no stock: there is no point between stock and log rows.
NO_STOCK = {"import channel quantities", "change writeback warehouses", "write back"}


def _run_in_thread(fault: Fault, run, argument):
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = run(argument)
        except BaseException as exc:  # noqa: BLE001 - asserted on by the test
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target, name="faulted-service")
    fault.thread = thread
    thread.start()
    if fault.kind == "kill":
        assert fault.paused.wait(30), "the service never reached the point"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [fault.backend_pid])
        fault.resume.set()
    thread.join(60)
    assert not thread.is_alive()
    return outcome


def _assert_run_failed(world, error, before, after):
    from stockledger.channels.models import ChannelSync, SalesChannel

    for label in (ChannelSync._meta.label, SalesChannel._meta.label):
        before.pop(label), after.pop(label)
    assert after == before, "a failed writeback run wrote log rows or last written quantities"
    run = ChannelSync.objects.filter(channel=world.channel).order_by("-id").first()
    assert run.status == "failed" and run.error, (run.status, run.error)
    world.channel.refresh_from_db()
    assert world.channel.last_writeback_status == "failed"


def _exercise(world, inject, kinds, figures):
    injected = 0
    clean_reruns = 0
    seen = Counter()
    for name, (prepare, run) in operations(world).items():
        for point in POINTS:
            if point == "after stock" and name in NO_STOCK:
                continue
            for kind in kinds:
                argument = prepare()
                before = company_dump(world.company)
                fault = Fault(point, kind)
                inject(fault)
                if kind == "kill":
                    outcome = _run_in_thread(fault, run, argument)
                    error = outcome.get("error")
                    assert isinstance(error, OperationalError | InterfaceError), (name, outcome)
                else:
                    error = None
                    try:
                        run(argument)
                    except (Injected, DatabaseError) as exc:
                        error = exc
                inject(None)
                assert fault.fired == 1, (name, point, kind)
                injected += 1
                if kind == "deadlock":
                    # Retried inside the service: done once, as if nothing had happened.
                    assert error is None, (name, point, error)
                    assert company_dump(world.company) != before
                else:
                    assert error is not None, (name, point, kind)
                    seen[f"{type(error).__name__}: {str(error).splitlines()[0][:70]}"] += 1
                    after = company_dump(world.company)
                    if name == "write back":
                        # The run was claimed in a transaction of its own before it wrote
                        # anything: it ends failed, with the reason, and blocks no rerun.
                        _assert_run_failed(world, error, before, after)
                    else:
                        assert after == before, (name, point, kind)
                    # The operation itself still works afterwards (on a fresh connection).
                    run(argument)
                    clean_reruns += 1
                assert_ledger_consistent(world.company)
    figures["faults_injected"] = figures.get("faults_injected", 0) + injected
    figures["clean_reruns"] = figures.get("clean_reruns", 0) + clean_reruns
    figures["operations"] = sorted(operations(world))
    figures["points"] = list(POINTS)
    figures["errors_callers_saw"] = dict(seen)
    figures["half_applied_changes"] = 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_killed_or_a_crash_mid_service_on_postgresql_leaves_nothing_half_applied(
    company_factory, inject, figures
):
    company, user, _ = company_factory()
    world = build_world(company, user, start=100)
    _exercise(world, inject, ("kill", "exception", "deadlock"), figures)
    figures["kinds"] = ["connection terminated", "exception", "deadlock (retried)"]


@pytest.mark.django_db(transaction=True)
def test_a_crash_mid_service_on_sqlite_leaves_nothing_half_applied(
    company_factory, inject, figures
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant")
    company, user, _ = company_factory()
    world = build_world(company, user, start=100)
    _exercise(world, inject, ("exception", "deadlock"), figures)
    figures["kinds"] = ["exception", "database is locked (retried)"]

"""No code path under src/ can update or delete a log row; no API operation or admin page
offers it (the database refuses it too: tests/ledger/test_append_only.py).

The code check reads every module's syntax tree: a call of update / delete / bulk_update /
save / update_or_create / _raw_delete on anything derived from LogEntry (its managers,
querysets, the log selectors, or a name assigned from them), raw SQL that updates, deletes,
truncates or alters `ledger_logentry` outside the trigger definitions, and rows created
anywhere but the ledger's writer (`ledger_record`).

Stock rows likewise: only the ledger (ledger_record and its stock book) creates, changes or
deletes them, through the ORM or in SQL naming their table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "stockledger"
# The ledger's writers, the one place log rows are created: ledger_record (services.py, via
# log_insert.py) and ledger_record_facts (facts.py).
WRITERS = ("ledger/services.py", "ledger/log_insert.py", "ledger/facts.py")
TRIGGERS = ("ledger/db_triggers.py",)
MUTATORS = {"update", "delete", "bulk_update", "update_or_create", "_raw_delete", "_update", "save"}
CREATORS = {"create", "bulk_create", "get_or_create"}
LOG_SQL = (
    r"update\s+\"?ledger_logentry|delete\s+from\s+\"?ledger_logentry|truncate\b[^;]*ledger_logentry"
    r"|alter\s+table\s+\"?ledger_logentry"
)
RAW_SQL = re.compile(rf"\b({LOG_SQL}|drop\s+trigger)", re.IGNORECASE)
# The auth stamp's trigger definitions drop their own triggers (a migration run backwards);
# only the DROP TRIGGER rule is lifted for them.
OWN_TRIGGER_DROPPERS = ("core/auth_triggers.py",)
RAW_LOG_SQL = re.compile(rf"\b({LOG_SQL})", re.IGNORECASE)


# The ledger modules, the one place stock rows are created and changed (the stock book's
# UPDATE, the rows ledger_record adds for a new product and warehouse).
STOCK_WRITERS = "ledger/"
STOCK_SQL = re.compile(r"\b(insert\s+into|update|delete\s+from)\s+\"?warehouses_stock\b", re.I)
STOCK_SQL_HEAD = re.compile(r"\b(insert\s+into|update|delete\s+from)\s+\"?$", re.I)


def _mentions_stock(node: ast.AST, tainted: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and (sub.id == "Stock" or sub.id in tainted):
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "Stock":
            return True
    return False


def _stock_sql(node: ast.JoinedStr) -> bool:
    """An f-string that writes to the table a formatted value names through Stock
    (f"UPDATE {qn(Stock._meta.db_table)} SET ...")."""
    for head, value in zip(node.values, node.values[1:], strict=False):
        if (
            isinstance(head, ast.Constant)
            and isinstance(head.value, str)
            and STOCK_SQL_HEAD.search(head.value)
            and isinstance(value, ast.FormattedValue)
            and _mentions_stock(value, set())
        ):
            return True
    return False


def stock_findings(source: str, relative: str) -> list[str]:
    if relative.startswith(STOCK_WRITERS):
        return []
    tree = ast.parse(source)
    tainted = _tainted_names(tree, _mentions_stock)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in MUTATORS | CREATORS and _mentions_stock(node.func.value, tainted):
                found.append(f"{relative}:{node.lineno}: .{method}() of stock rows")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if STOCK_SQL.search(node.value):
                found.append(f"{relative}:{node.lineno}: SQL that changes warehouses_stock")
        if isinstance(node, ast.JoinedStr) and _stock_sql(node):
            found.append(f"{relative}:{node.lineno}: SQL that changes warehouses_stock")
    return found


def _mentions_log(node: ast.AST, tainted: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and (sub.id == "LogEntry" or sub.id in tainted):
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "LogEntry":
            return True
        if isinstance(sub, ast.Call):
            name = (
                sub.func.attr
                if isinstance(sub.func, ast.Attribute)
                else getattr(sub.func, "id", "")
            )
            if "log_entries" in name or name in ("log_page", "iter_log_rows"):
                return True
    return False


def _tainted_names(tree: ast.AST, mentions=_mentions_log) -> set[str]:
    """Names (variables, attributes) assigned from something derived from the log (or what
    `mentions` says)."""
    tainted: set[str] = set()
    changed = True
    while changed:  # to a fixed point: qs = log_entries(...); page = qs.filter(...)
        changed = False
        for node in ast.walk(tree):
            targets, value = [], None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
                targets, value = [node.target], node.value
            elif isinstance(node, ast.For):
                targets, value = [node.target], node.iter
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                targets, value = [node.optional_vars], node.context_expr
            elif isinstance(node, ast.comprehension):
                targets, value = [node.target], node.iter
            if value is None or not mentions(value, tainted):
                continue
            for target in targets:
                for sub in ast.walk(target):
                    name = sub.id if isinstance(sub, ast.Name) else getattr(sub, "attr", None)
                    if name and name not in tainted:
                        tainted.add(name)
                        changed = True
    return tainted


def findings(source: str, relative: str) -> list[str]:
    tree = ast.parse(source)
    tainted = _tainted_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            receiver = node.func.value
            is_dict = isinstance(receiver, ast.Attribute) and receiver.attr == "__dict__"
            if method in MUTATORS and not is_dict and _mentions_log(receiver, tainted):
                found.append(f"{relative}:{node.lineno}: .{method}() on log rows")
            if (
                method in CREATORS
                and relative not in WRITERS
                and _mentions_log(receiver, set())
                and not isinstance(receiver, ast.Name)
            ):
                found.append(
                    f"{relative}:{node.lineno}: .{method}() of log rows outside the ledger"
                )
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and relative not in TRIGGERS
            and (RAW_LOG_SQL if relative in OWN_TRIGGER_DROPPERS else RAW_SQL).search(node.value)
        ):
            found.append(f"{relative}:{node.lineno}: SQL that changes ledger_logentry")
    return found


def test_no_code_under_src_updates_or_deletes_log_rows():
    scanned = 0
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if "/migrations/" in f"/{relative}":
            continue  # 0002 installs the triggers from db_triggers.py
        found += findings(path.read_text(encoding="utf-8"), relative)
        scanned += 1
    assert scanned > 50
    assert found == []


@pytest.mark.parametrize(
    "snippet",
    [
        "LogEntry.objects.filter(pk=1).update(quantity=2)",
        "LogEntry.objects.all().delete()",
        "LogEntry._base_manager.filter(pk=1)._raw_delete(using='default')",
        "qs = log_entries(company=c)\npage = qs.filter(sku='A')\npage.delete()",
        "for entry in LogEntry.objects.filter(sku='A'):\n    entry.quantity = 1\n    entry.save()",
        "row = models.LogEntry.objects.get(pk=1)\nrow.delete()",
        "LogEntry.objects.bulk_update(rows, ['quantity'])",
        "cursor.execute('UPDATE ledger_logentry SET quantity = 1')",
        'cursor.execute("delete from ledger_logentry where id = %s", [1])',
        "cursor.execute('DROP TRIGGER ledger_logentry_no_update')",
        "LogEntry.objects.create(sku='A')",
    ],
)
def test_the_check_finds_each_way_of_changing_log_rows(snippet):
    assert findings(snippet, "orders/services.py") != []


def test_the_auth_stamp_triggers_may_drop_their_own_triggers_and_nothing_more():
    dropper = OWN_TRIGGER_DROPPERS[0]
    assert findings("DROP = 'DROP TRIGGER IF EXISTS core_user_auth_stamp'", dropper) == []
    assert findings("SQL = 'UPDATE ledger_logentry SET quantity = 0'", dropper) != []
    assert findings("DROP = 'DROP TRIGGER IF EXISTS core_user_auth_stamp'", "core/x.py") != []


def test_the_check_leaves_reads_and_other_models_alone():
    clean = (
        "rows = LogEntry.objects.filter(sku='A').order_by('id')\n"
        "count = rows.count()\n"
        "Stock.objects.filter(pk=1).update(physical_on_hand=2)\n"
        "Export.objects.filter(pk=1).delete()\n"
        "entries = LogEntry.objects.bulk_create(entries)\n"
        "entry = LogEntry.__new__(LogEntry)\nentry.__dict__.update(values)\n"
    )
    assert findings(clean, WRITERS[0]) == []


def test_no_code_under_src_outside_the_ledger_writes_stock_rows():
    scanned = 0
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if "/migrations/" in f"/{relative}":
            continue
        found += stock_findings(path.read_text(encoding="utf-8"), relative)
        scanned += 1
    assert scanned > 50
    assert found == []


@pytest.mark.parametrize(
    "snippet",
    [
        "Stock.objects.filter(pk=1).update(physical_on_hand=2)",
        "Stock.objects.create(product=p, warehouse=w)",
        "Stock.objects.bulk_create(rows)",
        "Stock.objects.filter(warehouse=w).delete()",
        "row = Stock.objects.get(pk=1)\nrow.physical_on_hand = 3\nrow.save()",
        "Stock.objects.update_or_create(product=p, warehouse=w)",
        "models.Stock.objects.filter(pk=1).update(committed=0)",
        "cursor.execute('UPDATE warehouses_stock SET committed = 0')",
        'cursor.execute(f"UPDATE {qn(Stock._meta.db_table)} SET committed = 0")',
        'cursor.execute(f"INSERT INTO {Stock._meta.db_table} (id) VALUES (1)")',
    ],
)
def test_the_stock_check_finds_each_way_of_writing_stock_rows(snippet):
    assert stock_findings(snippet, "orders/services.py") != []


def test_the_stock_check_leaves_reads_and_the_ledger_alone():
    reads = (
        "rows = Stock.objects.filter(warehouse=w).select_for_update().order_by('id')\n"
        "held = rows.filter(committed=0).first()\n"
        "cursor.execute(f'SELECT id FROM {Stock._meta.db_table}')\n"
        "LogEntry.objects.filter(pk=1).exists()\n"
    )
    assert stock_findings(reads, "warehouses/services.py") == []
    assert stock_findings("Stock.objects.bulk_create(rows)", "ledger/services.py") == []


def test_no_api_operation_writes_to_a_log_path():
    from .catalogue import api_operations

    for operation in api_operations():
        if "/log" in operation.template:
            assert operation.method == "GET", str(operation)


@pytest.mark.django_db
def test_the_admin_refuses_to_change_or_delete_a_log_row_even_for_a_superuser(
    company, warehouses, product_factory
):
    from django.test import Client

    from stockledger.core.models import User
    from stockledger.ledger.models import LogEntry
    from stockledger.ledger.services import stock_adjust

    entry = stock_adjust(
        company=company, product=product_factory("AO"), warehouse=warehouses[0], change=4
    )
    admin = User.objects.create_superuser(username="root-rel", password="pw-123456")
    client = Client()
    client.force_login(admin)
    base = f"/admin/ledger/logentry/{entry.pk}"
    assert client.get(f"{base}/change/").status_code == 200  # it may be read
    assert client.post(f"{base}/change/", {"quantity": 99}).status_code == 403
    assert client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    changelist = client.post(
        "/admin/ledger/logentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302, 403)
    assert client.get("/admin/ledger/logentry/add/").status_code == 403
    stored = LogEntry.objects.get(pk=entry.pk)
    assert (stored.quantity, LogEntry.objects.count()) == (4, 1)

"""Bad input to every write endpoint: a 4xx with a clear JSON message and nothing written, or
a valid write; never a 500.

Every write operation of the OpenAPI schema gets its valid body (catalogue.valid_body) made
wrong in one place at a time: each field (nested ones too) missing, null, of the wrong type,
zero, negative, huge, an unknown id, empty, overlong (10k characters), odd unicode (NUL, RTL
marks, emoji, combining marks, a lone surrogate), formula-leading; plus bodies that are not
JSON, not an object, or nested 5,000 deep; plus bad path ids. Each answer is either
- 4xx with JSON {detail: a message, errors?: [{field, message}]} and the database exactly as
  before (every row of every table compared), or
- 2xx: the input was valid after all (formula-leading text in a note is data, stored as
  given and guarded only in CSV); log rows written before are untouched.
The GET operations get bad query parameters (4xx or 2xx, never 5xx).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

from stockledger.ledger.models import LogEntry
from tests.conftest import ApiClient

from .catalogue import api_operations, openapi_schema, populate, valid_body
from .fuzz_inputs import (
    FORMULAS,
    MISSING,
    RAW_BODIES,
    bad_values,
    fields,
    label,
    mutate,
)
from .invariants import fingerprint

BAD_IDS = ("0", "-1", str(2**63), "9" * 30, "abc", "1.5", "%00", "1e3", "０")
BAD_QUERY = ("", "-1", "0", str(2**63), "abc", "\x00", "x" * 5000, "2025-13-45", "=1", "😀")


@pytest.fixture
def acme(company_factory, settings, tmp_path):
    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    settings.STOCKLEDGER_RATE_LIMIT_ENABLED = False  # thousands of requests from one token
    return populate(*company_factory("Acme"), "ACME")


class Judge:
    """Sends requests and holds every answer to the rules above."""

    def __init__(self, client):
        self.client = client
        self.dump = fingerprint
        self.state = fingerprint()
        self.log_max = LogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.tried = 0
        self.accepted = 0
        self.refused: dict[int, int] = {}
        self.problems: list[str] = []

    def send(self, method, path, *, body=None, raw=None, what=""):
        before = self.state
        try:
            if raw is not None:
                response = self.client.request(method, path, raw=raw)
            elif body is MISSING:
                response = self.client.request(method, path)
            else:
                response = self.client.request(method, path, raw=json.dumps(body))
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, listed at the end
            self.problems.append(f"{method} {path} {what}: raised {exc!r}"[:300])
            self.state = self.dump()
            return None
        self.tried += 1
        after = self.dump()
        self.state = after
        problem = self._judge(response, before, after)
        if problem:
            self.problems.append(f"{method} {path} {what}: {problem}"[:400])
        return response

    def _judge(self, response, before, after) -> str | None:
        status = response.status_code
        if status >= 500:
            return f"{status} {response.content[:200]!r}"
        if 200 <= status < 300:
            self.accepted += 1
            old_rows = fingerprint(log_upto=self.log_max)["ledger.LogEntry"]
            self.log_max = LogEntry.objects.order_by("-id").values_list("id", flat=True).first()
            if old_rows != before["ledger.LogEntry"]:
                return "a log row changed"
            return None
        if not 400 <= status < 500:
            return f"status {status}"
        self.refused[status] = self.refused.get(status, 0) + 1
        try:
            data = response.json()
        except ValueError:
            return f"{status} is not JSON: {response.content[:100]!r}"
        detail = data.get("detail") if isinstance(data, dict) else None
        if not isinstance(detail, str) or not detail.strip() or "Traceback" in detail:
            return f"{status} without a clear detail: {data!r}"
        for error in data.get("errors") or []:
            if not (error.get("field") and error.get("message")):
                return f"{status} with an unclear field error: {data!r}"
        if after != before:
            changed = sorted(k for k in after if after[k] != before.get(k))
            return f"refused ({status}) but wrote to {changed}"
        return None


@pytest.mark.django_db
def test_every_write_endpoint_answers_bad_input_with_a_4xx_and_writes_nothing(
    acme, db_dump, request, figures
):
    thorough = request.config.getoption("--slow")
    judge = Judge(ApiClient(acme.token))
    schema = openapi_schema()
    components = schema["components"]["schemas"]
    operations = [op for op in api_operations() if op.writes]
    assert operations
    for index, operation in enumerate(operations):
        path = operation.path(acme.fresh(operation.path_params))
        if "po_id" in operation.path_params:
            judge.state = judge.dump()  # fresh() made an open PO for it
        name = str(operation)
        body_schema = (
            operation.spec.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        # Raw bodies and path ids go through the same parser and converters for every
        # operation: by default each operation gets a rotating share, with --slow all.
        share = slice(None) if thorough else slice(index % 3, None, 3)
        for raw in RAW_BODIES[share]:
            judge.send(operation.method, path, raw=raw, what=f"{name} raw {raw[:20]!r}")
        for bad in BAD_IDS[share] if operation.path_params else ():
            ids = dict.fromkeys(acme.ids, bad)
            judge.send(
                operation.method,
                operation.path(ids),
                body=valid_body(operation, acme),
                what=f"{name} path id {bad!r}",
            )
        if body_schema is None:
            continue
        for path_in_body, field_schema in fields(body_schema, components):
            field_name = str(path_in_body[-1] if isinstance(path_in_body[-1], str) else "")
            for value in [MISSING, *bad_values(field_schema, field_name, thorough=thorough)]:
                body = mutate(valid_body(operation, acme), path_in_body, value)
                if body is None:
                    continue
                judge.send(
                    operation.method,
                    path,
                    body=body,
                    what=f"{name} {label(path_in_body)}={str(value)[:30]!r}",
                )
        judge.send(
            operation.method,
            path,
            body={**valid_body(operation, acme), "unexpected_field": "x" * 100},
            what=f"{name} with an unknown field",
        )
    assert not judge.problems, "\n".join(judge.problems)
    figures.update(
        write_operations=len(operations),
        inputs_tried=judge.tried,
        accepted_as_valid=judge.accepted,
        refused_by_status={str(k): v for k, v in sorted(judge.refused.items())},
        server_errors=0,
        refused_but_written=0,
    )


@pytest.mark.django_db
def test_every_read_endpoint_answers_bad_query_parameters_with_a_4xx_never_a_500(
    acme, db_dump, figures
):
    client = ApiClient(acme.token)
    before = db_dump()
    tried = 0
    problems = []

    def ask(operation, path, params, what):
        try:
            response = client.get(path, params)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, listed at the end
            problems.append(f"{operation} {what}: raised {exc!r}"[:300])
            return
        if response.status_code >= 500:
            problems.append(f"{operation} {what}: {response.status_code}")
        elif response.status_code >= 400 and not response.json()["detail"].strip():
            problems.append(f"{operation} {what}: no detail")

    for operation in api_operations():
        if operation.writes:
            continue
        for param in operation.query_params:
            for value in BAD_QUERY:
                ask(
                    operation,
                    operation.path(acme.ids),
                    {param["name"]: value},
                    f"{param['name']}={value[:20]!r}",
                )
                tried += 1
        for bad in BAD_IDS if operation.path_params else ():
            ask(operation, operation.path(dict.fromkeys(acme.ids, bad)), None, f"path id {bad!r}")
            tried += 1
    assert not problems, "\n".join(problems)
    assert db_dump() == before
    figures.update(inputs_tried=tried, server_errors=0)


@pytest.mark.django_db
def test_formula_leading_text_is_stored_verbatim_and_guarded_only_in_the_csv(acme, tmp_path):
    client = ApiClient(acme.token)
    o = acme.objects
    for i, formula in enumerate(FORMULAS):
        response = client.post(
            "/stock/on-hand",
            {"sku": o["a"].sku, "warehouse_id": o["main"].id, "change": 1, "note": formula},
        )
        assert response.status_code in (200, 201), response.content
        response = client.post(
            "/transfers",
            {
                "sending_warehouse_id": o["main"].id,
                "receiving_warehouse_id": o["east"].id,
                "notes": formula,
                "number": f"T-F{i}",
                "lines": [{"sku": o["a"].sku, "quantity": 1, "notes": formula}],
            },
        )
        assert response.status_code in (200, 201), response.content
    from stockledger.ledger.models import LogEntry

    rows = LogEntry.objects.filter(company=acme.company, product=o["a"])
    assert sorted(
        rows.filter(event_type="on_hand")
        .exclude(note__startswith="ACME")
        .values_list("note", flat=True)
    ) == sorted(FORMULAS)
    transfer_notes = set(
        rows.filter(event_type="inventory_transfer").values_list("transfer_notes", "line_notes")
    )
    assert {(f, f) for f in FORMULAS} <= transfer_notes
    # The API gives the text back as stored.
    log = client.get(f"/products/{o['a'].id}/log", {"limit": 500}).json()["items"]
    assert set(FORMULAS) <= {item["note"] for item in log}
    # The CSV guards each such cell so a spreadsheet shows text, not a formula.
    out = tmp_path / "a.csv"
    call_command(
        "export_log", "--company", str(acme.company.id), "--sku", o["a"].sku, "-o", str(out)
    )
    cells = [
        cell for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))) for cell in row
    ]
    for formula in FORMULAS:
        assert "'" + formula in cells
        assert formula not in cells


@pytest.mark.django_db
def test_text_no_database_can_store_is_refused_naming_the_field(acme, db_dump):
    client = ApiClient(acme.token)
    o = acme.objects
    before = db_dump()
    for bad, field in (("a\x00b", "body"), ("\ud800", "lines[0].notes")):
        body = {
            "sending_warehouse_id": o["main"].id,
            "receiving_warehouse_id": o["east"].id,
            "lines": [{"sku": o["a"].sku, "quantity": 1, "notes": bad}],
        }
        response = client.request("POST", "/transfers", raw=json.dumps(body))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field
    response = client.get("/products", {"search": "a\x00b"})
    assert response.status_code == 422
    assert db_dump() == before

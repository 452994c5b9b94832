"""Two companies, every API operation and every page: nothing of one reaches the other.

The operations come from the OpenAPI schema and the pages from the URL patterns, so a new
endpoint or page is covered (or fails here until catalogue.py knows its ids and body).
Company A ("ACME") asks; company B ("OTHERCO") owns one of everything. B's ids in a path give
a 404 exactly like an id that does not exist, for reads and writes alike, and a write writes
nothing; the same request with A's own id succeeds (so the 404 is the tenancy, not a broken
request). Lists, searches and filters given B's ids or B's names show nothing of B, and
neither do A's exports and downloads.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.conftest import ApiClient

from .catalogue import OWNER_REFUSALS, api_operations, page_patterns, populate, valid_body

MARK = "OTHERCO"


@pytest.fixture
def two(company_factory, settings, tmp_path):
    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    settings.STOCKLEDGER_RATE_LIMIT_ENABLED = False
    a = populate(*company_factory("Acme"), "ACME")
    b = populate(*company_factory("Otherco"), MARK)
    return a, b


def _unknown_ids(*companies) -> dict:
    """For each path parameter, an id no company has."""
    return {k: max(c.ids[k] for c in companies) + 10_000 for k in companies[0].ids}


def _shape(response, echo: tuple[str, str] | None = None) -> tuple[int, str]:
    """Status and message with numbers blanked: B's id and an unknown id must look alike.
    `echo` (theirs, ours): a value the request itself carried, to compare them alike."""
    try:
        detail = json.dumps(response.json(), sort_keys=True)
    except ValueError:
        detail = response.content.decode(errors="replace")
    if echo:
        detail = detail.replace(echo[1], echo[0])
    return response.status_code, re.sub(r"\d+", "N", detail)


def _send(client: ApiClient, operation, path, body):
    if operation.method == "GET":
        return client.get(path)
    return client.request(operation.method, path, body)


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", errors="replace")
    return response.content.decode("utf-8", errors="replace")


@pytest.mark.django_db
def test_another_companys_id_in_any_path_is_a_404_like_an_unknown_id_and_writes_nothing(
    two, db_dump, figures
):
    a, b = two
    client = ApiClient(a.token)
    unknown = _unknown_ids(a, b)
    checked = []
    checked_requests = 0
    for operation in api_operations():
        params = operation.path_params
        if not params:
            continue
        missing = [p for p in params if p not in b.ids]
        assert not missing, f"{operation}: teach catalogue.populate the ids {missing}"
        body = valid_body(operation, a) if operation.writes else None
        mine_ids = dict(a.fresh(params))
        before = db_dump()
        # All of B's ids, and (with several) each one of B's among A's own.
        mixes = [b.ids] + ([{**mine_ids, p: b.ids[p]} for p in params] if len(params) > 1 else [])
        for ids in mixes:
            theirs = _send(client, operation, operation.path(ids), body)
            nobodys = _send(
                client,
                operation,
                operation.path({**ids, **{p: unknown[p] for p in params if ids[p] == b.ids[p]}}),
                body,
            )
            assert theirs.status_code == 404, (str(operation), theirs.status_code, _text(theirs))
            assert _shape(theirs) == _shape(nobodys), str(operation)
            assert theirs.json()["detail"]
            assert MARK not in _text(theirs)
            assert db_dump() == before, f"{operation} with another company's id wrote something"
            checked_requests += 2
        # The same request with A's own ids works: the 404 was the tenancy.
        mine = _send(client, operation, operation.path(mine_ids), body)
        if str(operation) in OWNER_REFUSALS:
            assert mine.status_code in OWNER_REFUSALS[str(operation)], _text(mine)
        else:
            assert 200 <= mine.status_code < 300, (str(operation), mine.status_code, _text(mine))
        assert MARK not in _text(mine)
        checked.append(str(operation))
    assert checked
    figures.update(
        operations_with_ids=len(checked), requests=checked_requests + len(checked), leaks=0
    )


@pytest.mark.django_db
def test_lists_searches_and_filters_show_nothing_of_another_company(two, figures):
    a, b = two
    client = ApiClient(a.token)
    requests = 0
    for operation in api_operations():
        if operation.method != "GET":
            continue
        path = operation.path(a.ids)
        variants = [{}]
        for param in operation.query_params:
            name = param["name"]
            if name in b.ids:
                variants.append({name: b.ids[name]})
            elif name == "cart_id":
                variants.append({name: b.ids["channel_id"]})
            elif name in ("sku", "search", "number", "order_number", "q"):
                for value in (MARK, b.objects["a"].sku, "%", "_"):
                    variants.append({name: value})
        for params in variants:
            response = client.get(path, params)
            requests += 1
            assert response.status_code < 500, (str(operation), params)
            assert MARK not in _text(response), (str(operation), params)
            if params and set(params) & set(b.ids) and response.status_code == 200:
                # Filtering by another company's id finds nothing (or is refused).
                data = response.json()
                if isinstance(data, dict) and "items" in data:
                    assert data["items"] == [], (str(operation), params)
    figures.update(list_requests=requests, leaks=0)


@pytest.mark.django_db
def test_exports_and_downloads_show_nothing_of_another_company(two, db_dump, figures):
    from stockledger.exports.models import Export
    from stockledger.exports.tasks import run_export

    a, b = two
    client = ApiClient(a.token)
    unknown = _unknown_ids(a, b)
    refused = []
    for theirs, nobodys in (
        ({"product_id": b.ids["product_id"]}, {"product_id": unknown["product_id"]}),
        (
            {"product_id": b.objects["kit"].id, "include_components": True},
            {"product_id": unknown["product_id"], "include_components": True},
        ),
        (
            {"kind": "products", "skus": [b.objects["a"].sku]},
            {"kind": "products", "skus": ["NOBODY-A"]},
        ),
        (
            {"product_id": a.ids["product_id"], "warehouse_ids": [b.ids["warehouse_id"]]},
            {"product_id": a.ids["product_id"], "warehouse_ids": [unknown["warehouse_id"]]},
        ),
    ):
        before = db_dump()
        response = client.post("/exports", theirs)
        assert 400 <= response.status_code < 500, (theirs, response.status_code)
        # Refused exactly as if it did not exist (the SKU asked for is echoed back, no more).
        like = client.post("/exports", nobodys)
        assert _shape(response) == _shape(like, echo=(MARK, "NOBODY"))
        assert db_dump() == before
        refused.append(theirs)
    asked = [
        client.post("/exports", body).json()["id"]
        for body in (
            {"kind": "products"},
            {"kind": "products", "search": MARK},
            {"kind": "products", "search": "a"},
            {"product_id": a.objects["kit"].id, "include_components": True},
            {"product_id": a.ids["product_id"], "format": "xlsx"},
        )
    ]
    for export_id in asked:
        run_export.call(export_id, 1)
        assert Export.objects.get(pk=export_id).status == "complete"
    assert Export.objects.get(pk=asked[1]).rows == 0  # searching for B's name finds nothing
    downloads = 0
    for export in Export.objects.filter(company=a.company):
        for suffix in ("csv", "file"):
            response = client.get(f"/exports/{export.id}/{suffix}")
            if response.status_code == 200:
                content = b"".join(response.streaming_content)
                downloads += 1
                if export.format == "csv":
                    assert MARK.encode() not in content
                    assert (a.marker.encode() in content) == (export.rows > 0)
                else:
                    _assert_xlsx_clean(content)
    listing = client.get("/exports")
    for item in listing.json()["items"]:
        if item["parameters"].get("search") == MARK:  # A's own question, echoed
            item["parameters"]["search"] = ""
        assert MARK not in json.dumps(item)
    assert {e["id"] for e in listing.json()["items"]} == set(
        Export.objects.filter(company=a.company).values_list("id", flat=True)
    )
    for suffix in ("", "/csv", "/file"):
        response = client.get(f"/exports/{b.ids['export_id']}{suffix}")
        assert response.status_code == 404
    figures.update(
        refused_export_requests=len(refused),
        exports_run=len(asked),
        downloads_checked=downloads,
        leaks=0,
    )


def _assert_xlsx_clean(content: bytes) -> None:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            assert MARK.encode() not in archive.read(name), name


# Path parts of pages that are not ids: every value a page knows.
PAGE_WORDS = {
    "channel_action": {
        "action": [
            "warehouses",
            "locations",
            "rule",
            "rule-delete",
            "writeback",
            "orders",
            "readback",
            "resume",
            "vendure",
        ]
    },
    "order_action": {"action": ["ship", "cancel"]},
    "line_row": {"kind": ["transfer", "purchase-order", "return", "order"]},
}
# Forms that name an object by id, by the action they post to: (company) -> form data.
PAGE_FORMS = {"rule-delete": lambda c: {"rule": c.objects["rule"].id}}
# Query parameters pages search or filter by: given the other company's names and ids.
# Actions whose form names no other object: what the owner posts to their own page.
PAGE_OWN_FORMS = {"person": lambda c: {"op": "role", "role": "viewer"}}
PAGE_TEXT_QUERIES = ("q", "search", "sku", "number")
PAGE_ID_QUERIES = {
    "warehouse": "warehouse_id",
    "warehouse_id": "warehouse_id",
    "channel": "channel_id",
    "channel_id": "channel_id",
    "product": "product_id",
    "product_id": "product_id",
}


def _page_urls(route: str, name: str, ids: dict) -> list[str]:
    words = PAGE_WORDS.get(name, {})
    urls = ["/" + route]
    for param in re.findall(r"<(?:\w+:)?(\w+)>", route):
        values = words.get(param) or [str(ids[param])]
        urls = [
            u.replace(re.search(r"<(?:\w+:)?" + param + ">", u).group(0), v)
            for u in urls
            for v in values
        ]
    return urls


@pytest.mark.django_db
def test_every_page_shows_nothing_of_another_company_and_their_ids_are_404(two, db_dump, figures):
    """Every page from the URL patterns: as A with A's ids it works; with B's ids it is a 404
    to GET and to POST, writing nothing; searches and filters with B's names and ids show
    nothing of B; a stranger is sent to sign in."""
    a, b = two
    client = Client()
    anonymous = Client()
    checked = requests = 0
    for route, pattern in page_patterns():
        if "(?P" in route or "^" in route:
            continue  # regex routes (static files): no company data
        ids_in_route = [
            n
            for n in re.findall(r"<(?:\w+:)?(\w+)>", route)
            if n not in PAGE_WORDS.get(pattern.name, {})
        ]
        if any(n not in b.ids for n in ids_in_route):
            raise AssertionError(f"page {route}: teach catalogue.populate the ids {ids_in_route}")
        for i, (mine_url, theirs_url) in enumerate(
            zip(
                _page_urls(route, pattern.name, a.fresh(ids_in_route)),
                _page_urls(route, pattern.name, b.ids),
                strict=True,
            )
        ):
            client.force_login(a.user)  # (the logout page signs out)
            form = PAGE_FORMS.get(mine_url.rstrip("/").rsplit("/", 1)[-1])
            mine = client.get(mine_url)
            if mine.status_code == 405:  # an action: it takes a POST
                own_form = form or PAGE_OWN_FORMS.get(pattern.name)
                mine = client.post(mine_url, own_form(a) if own_form else {})
            requests += 1
            assert mine.status_code in (200, 302, 422), (mine_url, mine.status_code)
            assert MARK not in _text(mine), mine_url
            client.force_login(a.user)
            spare = _page_urls(route, pattern.name, a.fresh(ids_in_route))[i]
            before = db_dump()
            if ids_in_route:
                for send in (client.get, client.post):
                    theirs = send(theirs_url)
                    requests += 1
                    assert theirs.status_code in (404, 405), (theirs_url, theirs.status_code)
                    assert MARK not in _text(theirs)
            if form:  # B's id in the form of A's own page
                theirs = client.post(spare, form(b))
                requests += 1
                assert theirs.status_code == 404, (spare, theirs.status_code)
            else:
                asks = [(q, v) for q in PAGE_TEXT_QUERIES for v in (MARK, b.objects["a"].sku)]
                asks += [(q, str(b.ids[k])) for q, k in PAGE_ID_QUERIES.items()]
                for query, value in asks:
                    response = client.get(mine_url, {query: value})
                    requests += 1
                    assert response.status_code < 500, (mine_url, query)
                    # The page may show the search as typed: as often as it shows a search
                    # for a name nobody has, and no more.
                    echoed = 0
                    if MARK in value:
                        like = client.get(mine_url, {query: value.replace(MARK, "NOBODY")})
                        echoed = _text(like).count("NOBODY")
                        requests += 1
                    assert _text(response).count(MARK) == echoed, (mine_url, query, value)
            if not route.startswith(("login", "logout", "healthz")):
                for send in (anonymous.get, anonymous.post):
                    stranger = send(spare)
                    requests += 1
                    assert stranger.status_code in (302, 401, 403, 404, 405), route
                    assert MARK not in _text(stranger) and a.marker not in _text(stranger)
            assert db_dump() == before, f"page {route} wrote for another company or a stranger"
        checked += 1
    assert checked
    figures.update(pages=checked, page_requests=requests, leaks=0)


@pytest.mark.django_db
def test_every_api_operation_refuses_a_request_without_a_valid_token(two, db_dump):
    a, b = two
    before = db_dump()
    for token in (None, "not-a-token", a.token[:-1] + ("x" if a.token[-1] != "x" else "y")):
        client = ApiClient(token)
        for operation in api_operations():
            if operation.spec.get("security") == []:
                continue  # public (the OpenAPI document itself, the docs)
            body = valid_body(operation, a) if operation.writes else None
            response = _send(client, operation, operation.path(a.ids), body)
            assert response.status_code == 401, (str(operation), response.status_code)
            assert response.json()["detail"]
    assert db_dump() == before


@pytest.mark.django_db
def test_an_idempotency_key_used_by_another_company_replays_nothing_of_theirs(two, db_dump):
    a, b = two
    body = {"name": "Depot by key"}
    theirs = ApiClient(b.token).post("/warehouses", body, headers={"HTTP_IDEMPOTENCY_KEY": "k-1"})
    assert theirs.status_code == 201
    mine = ApiClient(a.token).post("/warehouses", body, headers={"HTTP_IDEMPOTENCY_KEY": "k-1"})
    assert mine.status_code == 201 and mine.get("Idempotent-Replayed") is None
    assert mine.json()["id"] != theirs.json()["id"]
    from stockledger.warehouses.models import Warehouse

    assert Warehouse.objects.get(pk=mine.json()["id"]).company_id == a.company.id
    before = db_dump()
    again = ApiClient(a.token).post("/warehouses", body, headers={"HTTP_IDEMPOTENCY_KEY": "k-1"})
    assert again.content == mine.content and again["Idempotent-Replayed"] == "true"
    assert db_dump() == before

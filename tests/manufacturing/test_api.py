"""The manufacturing orders API: create, list, read, finish, errors."""

import pytest


@pytest.fixture
def setup(api, warehouses, bom):
    return {"main": warehouses[0], "east": warehouses[1]}


def mo_body(setup, **extra):
    return {
        "number": "MO-1",
        "sku": "TABLE",
        "quantity": 2,
        "warehouse_id": setup["main"].id,
    } | extra


def test_create_and_finish_an_mo_through_the_api(api, setup, bom, stock_of, verify_clean):
    table, leg, top = bom
    r = api.post("/manufacturing-orders", mo_body(setup))
    assert r.status_code == 201, r.content
    mo = r.json()
    assert (mo["number"], mo["sku"], mo["quantity"], mo["status"]) == ("MO-1", "TABLE", 2, "open")
    assert [(c["sku"], c["quantity_per_unit"]) for c in mo["components"]] == [
        ("LEG", 4),
        ("TOP", 1),
    ]
    r = api.post(f"/manufacturing-orders/{mo['id']}/finish", {"quantity": 1})
    assert r.status_code == 200, r.content
    assert (r.json()["finished_quantity"], r.json()["status"]) == (1, "partially_finished")
    r = api.post(f"/manufacturing-orders/{mo['id']}/finish", raw="")
    assert r.status_code == 200, r.content
    assert (r.json()["finished_quantity"], r.json()["remaining"]) == (2, 0)
    assert r.json()["status"] == "finished"
    assert stock_of(table, setup["main"]) == (2, 0)

    log = api.get(f"/products/{table.id}/log", {"event_type": "mo_finished"}).json()["items"]
    assert [(i["quantity"], i["event_id"], i["physical_on_hand"]) for i in log] == [
        (1, "MO-1", 2),
        (1, "MO-1", 1),
    ]
    log = api.get(f"/products/{leg.id}/log", {"event_type": "mo_finished"}).json()["items"]
    assert [(i["quantity"], i["physical_on_hand"], i["user_name"] != "") for i in log] == [
        (-4, 2, True),
        (-4, 6, True),
    ]
    verify_clean()


def test_list_and_get_mos(api, other_api, setup):
    ids = [
        api.post("/manufacturing-orders", mo_body(setup, number=f"MO-{i}", quantity=1)).json()["id"]
        for i in range(3)
    ]
    api.post(f"/manufacturing-orders/{ids[1]}/finish", raw="")
    first = api.get("/manufacturing-orders", {"limit": 2}).json()
    assert [m["id"] for m in first["items"]] == [ids[2], ids[1]]
    second = api.get("/manufacturing-orders", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [m["id"] for m in second["items"]] == [ids[0]] and second["next_cursor"] is None
    finished = api.get("/manufacturing-orders", {"status": "finished"}).json()["items"]
    assert [m["number"] for m in finished] == ["MO-1"]
    assert api.get(f"/manufacturing-orders/{ids[0]}").json()["number"] == "MO-0"
    assert other_api.get(f"/manufacturing-orders/{ids[0]}").status_code == 404
    assert other_api.post(f"/manufacturing-orders/{ids[0]}/finish", raw="").status_code == 404
    assert other_api.get("/manufacturing-orders").json()["items"] == []
    assert api.get("/manufacturing-orders", {"status": "lost"}).status_code == 422


@pytest.mark.parametrize(
    "change, field",
    [
        ({"sku": "NOPE"}, "sku"),
        ({"sku": "LEG"}, "sku"),  # no bill of materials
        ({"warehouse_id": 999999}, "warehouse_id"),
        ({"quantity": 0}, "quantity"),
        ({"number": ""}, "number"),
    ],
)
def test_bad_mos_are_422_naming_the_field_and_write_nothing(api, setup, db_dump, change, field):
    before = db_dump()
    r = api.post("/manufacturing-orders", mo_body(setup, **change))
    assert r.status_code == 422, r.content
    assert any(e["field"] == field for e in r.json()["errors"]), r.json()
    assert db_dump() == before


def test_a_duplicate_mo_number_is_refused(api, setup, db_dump):
    assert api.post("/manufacturing-orders", mo_body(setup)).status_code == 201
    before = db_dump()
    r = api.post("/manufacturing-orders", mo_body(setup, quantity=5))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "number"
    assert db_dump() == before


def test_finishing_without_enough_components_is_422_naming_it(api, setup, db_dump):
    mo = api.post("/manufacturing-orders", mo_body(setup, quantity=3)).json()
    before = db_dump()
    r = api.post(f"/manufacturing-orders/{mo['id']}/finish", raw="")
    assert r.status_code == 422, r.content
    assert "LEG needs 12, has 10" in r.json()["detail"]
    assert db_dump() == before


def test_finishing_an_mo_twice_past_its_quantity_is_409_and_writes_nothing(api, setup, db_dump):
    mo = api.post("/manufacturing-orders", mo_body(setup)).json()
    assert api.post(f"/manufacturing-orders/{mo['id']}/finish", raw="").status_code == 200
    before = db_dump()
    r = api.post(f"/manufacturing-orders/{mo['id']}/finish", raw="")
    assert r.status_code == 409 and "already finished" in r.json()["detail"]
    r = api.post(f"/manufacturing-orders/{mo['id']}/finish", {"quantity": 1})
    assert r.status_code == 409
    assert db_dump() == before


def test_finishing_more_than_remains_is_409(api, setup, db_dump):
    mo = api.post("/manufacturing-orders", mo_body(setup)).json()
    before = db_dump()
    r = api.post(f"/manufacturing-orders/{mo['id']}/finish", {"quantity": 3})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "quantity"
    assert db_dump() == before

"""Users create, list and revoke their API tokens, through the API and the settings page."""

import pytest
from django.test import Client

from stockledger.core.models import ApiToken, hash_token
from tests.conftest import ApiClient


def test_a_new_token_is_shown_once_stored_hashed_and_works(api, user):
    r = api.post("/tokens", {"name": "shopify sync"})
    assert r.status_code == 201, r.content
    created = r.json()
    raw = created["token"]
    assert raw.startswith("slk_") and created["prefix"] == raw[:12]
    assert created["name"] == "shopify sync" and created["revoked_at"] is None
    stored = ApiToken.objects.get(pk=created["id"])
    assert stored.token_hash == hash_token(raw)
    assert raw not in {f.value_from_object(stored) for f in ApiToken._meta.fields}
    assert ApiClient(raw).get("/me").json()["user"] == user.username

    listed = api.get("/tokens").json()
    assert [t["name"] for t in listed["items"]] == ["shopify sync", "default"]
    assert all("token" not in t for t in listed["items"])
    assert api.get(f"/tokens/{created['id']}").json()["prefix"] == raw[:12]


@pytest.mark.parametrize("how", ["delete", "post"])
def test_a_revoked_token_answers_401_at_once(api, how):
    raw = api.post("/tokens", {"name": "temp"}).json()["token"]
    temp = ApiClient(raw)
    assert temp.get("/me").status_code == 200
    token_id = ApiToken.objects.get(token_hash=hash_token(raw)).id
    r = (
        api.delete(f"/tokens/{token_id}")
        if how == "delete"
        else api.post(f"/tokens/{token_id}/revoke")
    )
    assert r.status_code == 200, r.content
    assert r.json()["revoked_at"] is not None
    after = temp.get("/me")
    assert after.status_code == 401
    assert after.json() == {"detail": "missing, invalid or revoked API token"}
    assert api.get("/me").status_code == 200  # the other token still works


def test_a_token_can_revoke_itself(api):
    own_id = api.get("/tokens").json()["items"][0]["id"]
    assert api.post(f"/tokens/{own_id}/revoke").status_code == 200
    assert api.get("/tokens").status_code == 401


def test_another_users_token_cannot_be_seen_or_revoked(api, other_api, db_dump):
    theirs = ApiToken.objects.get(user=other_api.user)
    before = db_dump()
    assert api.get(f"/tokens/{theirs.id}").status_code == 404
    assert api.delete(f"/tokens/{theirs.id}").status_code == 404
    assert api.post(f"/tokens/{theirs.id}/revoke").status_code == 404
    assert db_dump() == before
    assert other_api.get("/me").status_code == 200
    assert theirs.id not in [t["id"] for t in api.get("/tokens").json()["items"]]


@pytest.mark.parametrize("body", [{"name": ""}, {"name": "x" * 101}, {"name": 5}])
def test_invalid_token_names_are_422(api, body, db_dump):
    before = db_dump()
    r = api.post("/tokens", body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "name"
    assert db_dump() == before


def test_token_list_pages_by_cursor(api):
    for i in range(4):
        api.post("/tokens", {"name": f"t{i}"})
    page = api.get("/tokens", {"limit": 2}).json()
    names = [t["name"] for t in page["items"]]
    while page["next_cursor"]:
        page = api.get("/tokens", {"limit": 2, "cursor": page["next_cursor"]}).json()
        names += [t["name"] for t in page["items"]]
    assert names == ["t3", "t2", "t1", "t0", "default"]


@pytest.fixture
def browser(user):
    client = Client()
    client.force_login(user)
    return client


def test_settings_page_creates_shows_once_and_revokes_tokens(browser, user):
    page = browser.get("/settings/tokens/")
    assert page.status_code == 200
    assert b"default" in page.content

    created = browser.post("/settings/tokens/", {"name": "warehouse scanner"})
    assert created.status_code == 201
    token = ApiToken.objects.get(user=user, name="warehouse scanner")
    raw = created.context["new_token"]
    assert hash_token(raw) == token.token_hash
    assert raw.encode() in created.content
    assert created["Cache-Control"] == "no-store"
    assert raw.encode() not in browser.get("/settings/tokens/").content  # shown once
    assert ApiClient(raw).get("/me").status_code == 200

    revoked = browser.post(f"/settings/tokens/{token.id}/revoke/")
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiClient(raw).get("/me").status_code == 401


def test_settings_page_needs_a_login_and_refuses_other_users_tokens(browser, other_api):
    assert Client().get("/settings/tokens/").status_code == 302
    theirs = ApiToken.objects.get(user=other_api.user)
    r = browser.post(f"/settings/tokens/{theirs.id}/revoke/")
    assert r.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_settings_page_refuses_an_empty_name(browser, user):
    r = browser.post("/settings/tokens/", {"name": "  "})
    assert r.status_code == 422
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_deleted_token_is_gone_from_the_api_while_the_audit_keeps_its_record(api, company):
    from stockledger.core.models import AuditEntry

    raw = api.post("/tokens", {"name": "temp"}).json()["token"]
    token_id = ApiToken.objects.get(token_hash=hash_token(raw)).id
    r = api.delete(f"/tokens/{token_id}")
    assert r.status_code == 200, r.content
    assert r.json()["id"] == token_id
    assert api.get(f"/tokens/{token_id}").status_code == 404
    assert token_id not in [t["id"] for t in api.get("/tokens").json()["items"]]
    assert api.delete(f"/tokens/{token_id}").status_code == 404
    assert ApiClient(raw).get("/me").status_code == 401
    entry = AuditEntry.objects.get(company=company, action="token.delete")
    assert (entry.object_type, entry.object_id) == ("apitoken", token_id)


def test_a_revoked_token_stays_listed_as_revoked(api):
    raw = api.post("/tokens", {"name": "temp"}).json()["token"]
    token_id = ApiToken.objects.get(token_hash=hash_token(raw)).id
    assert api.post(f"/tokens/{token_id}/revoke").status_code == 200
    assert api.get(f"/tokens/{token_id}").json()["revoked_at"] is not None

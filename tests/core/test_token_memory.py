"""A token used before is remembered while the auth stamp holds, and forgotten at once when a
token, user or company changes, whoever changes it (core/auth.py, migration core 0006).

Every change below is written with plain SQL on the test's connection, as another process or
a database tool would write it: no model method, no signal, nothing of this process's cache.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stockledger.core import auth
from stockledger.core.models import ApiToken, AuthStamp, hash_token

TOKENS = ApiToken._meta.db_table
STAMP = AuthStamp._meta.db_table


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _stamp():
    return AuthStamp.objects.get(id=1).version


def _me(api):
    with CaptureQueriesContext(connection) as captured:
        r = api.get("/me")
    return r, [q["sql"] for q in captured.captured_queries]


def test_a_token_used_before_costs_one_read_of_the_stamp(api):
    first, first_queries = _me(api)
    again, queries = _me(api)
    assert first.status_code == again.status_code == 200
    assert any(TOKENS in q for q in first_queries)
    assert queries == [q for q in queries if STAMP in q] and len(queries) == 1
    assert again.json() == first.json()


def test_an_unknown_token_is_refused_every_time_and_never_remembered(api):
    api.token = "slk_not-a-token"
    for _ in range(2):
        r, queries = _me(api)
        assert r.status_code == 401
        assert any(TOKENS in q for q in queries)  # looked up again: nothing was remembered
    assert hash_token("slk_not-a-token") not in auth._resolved


def _revoke(user, company):
    _sql(f"UPDATE {TOKENS} SET revoked_at = %s WHERE user_id = %s", ["2026-01-01", user.id])


def _delete_token(user, company):
    _sql(f"DELETE FROM {TOKENS} WHERE user_id = %s", [user.id])


def _deactivate(user, company):
    _sql("UPDATE core_user SET is_active = %s WHERE id = %s", [False, user.id])


@pytest.mark.parametrize("change", [_revoke, _delete_token, _deactivate])
def test_a_change_written_elsewhere_refuses_the_very_next_request(api, user, company, change):
    assert _me(api)[0].status_code == 200
    assert _me(api)[0].status_code == 200  # now remembered
    change(user, company)
    r, _ = _me(api)
    assert r.status_code == 401
    assert r.json() == {"detail": "missing, invalid or revoked API token"}


def test_a_role_changed_elsewhere_holds_from_the_next_request(
    api, user, warehouses, product_factory
):
    product_factory("ROLE-1")
    body = {"sku": "ROLE-1", "warehouse_id": warehouses[0].id, "change": 1}
    assert api.post("/stock/on-hand", body).status_code == 201
    _sql("UPDATE core_user SET role = %s WHERE id = %s", ["viewer", user.id])
    refused = api.post("/stock/on-hand", body)
    assert refused.status_code == 403
    assert "stock.count" in refused.json()["detail"]
    assert _me(api)[0].json()["role"] == "viewer"


def test_a_user_moved_elsewhere_acts_in_their_new_company_at_once(api, user, other_api):
    assert _me(api)[0].json()["company_id"] == user.company_id
    _sql("UPDATE core_user SET company_id = %s WHERE id = %s", [other_api.company.id, user.id])
    me = _me(api)[0].json()
    assert me["company_id"] == other_api.company.id
    assert me["company_name"] == "Other Co"


def test_a_company_renamed_elsewhere_shows_its_new_name_at_once(api, company):
    assert _me(api)[0].json()["company_name"] == "Acme Goods"
    _sql("UPDATE core_company SET name = %s WHERE id = %s", ["Acme Renamed", company.id])
    assert _me(api)[0].json()["company_name"] == "Acme Renamed"


def test_the_minute_touch_of_last_used_at_leaves_the_stamp_alone(api, user):
    assert _me(api)[0].status_code == 200
    before = _stamp()
    _sql(f"UPDATE {TOKENS} SET last_used_at = %s WHERE user_id = %s", ["2020-01-01", user.id])
    assert _stamp() == before
    r, queries = _me(api)
    assert r.status_code == 200
    assert queries == [q for q in queries if STAMP in q]  # still remembered


def test_what_changes_who_a_token_is_bumps_the_stamp(user, company):
    changes = [
        f"UPDATE {TOKENS} SET revoked_at = NULL WHERE user_id = {user.id}",
        f"UPDATE core_user SET first_name = 'x' WHERE id = {user.id}",
        f"UPDATE core_company SET time_zone = 'Europe/Paris' WHERE id = {company.id}",
        f"DELETE FROM {TOKENS} WHERE user_id = {user.id}",
    ]
    for statement in changes:
        before = _stamp()
        _sql(statement)
        assert _stamp() != before, statement


def test_a_missing_stamp_row_is_put_back_and_revocation_still_holds(api, user):
    AuthStamp.objects.all().delete()
    assert _me(api)[0].status_code == 200
    assert _me(api)[0].status_code == 200
    assert AuthStamp.objects.filter(id=1).exists()
    _revoke(user, None)
    assert _me(api)[0].status_code == 401


def test_the_remembered_tokens_are_bounded(company_factory, monkeypatch):
    from tests.conftest import ApiClient

    monkeypatch.setattr(auth, "REMEMBERED_TOKENS", 2)
    auth._resolved.clear()
    clients = [ApiClient(company_factory()[2]) for _ in range(3)]
    for client in clients:
        assert client.get("/me").status_code == 200
        assert len(auth._resolved) <= 2


def test_what_a_rolled_back_transaction_resolved_is_not_remembered(company_factory):
    """The same raw token created, used and rolled back twice: the second time it belongs to
    another user. (With a stamp that counted up, the second creation repeated the first's
    version and the first, rolled-back user was served.)"""
    from django.db import transaction

    from tests.conftest import ApiClient

    raw = "slk_the-same-token-twice-0123456789abcdefghijkl"
    for name in ("First Co", "Second Co"):
        with transaction.atomic():
            company, user, _ = company_factory(name)
            ApiToken.objects.create(user=user, token_hash=hash_token(raw), prefix=raw[:12])
            me = ApiClient(raw).get("/me").json()
            assert (me["company_id"], me["company_name"]) == (company.id, name)
            transaction.set_rollback(True)


def test_a_table_rebuilt_by_a_migration_gets_its_triggers_back_after_migrate(user):
    """SQLite drops a table's triggers when a migration rebuilds it; every migrate (and flush)
    puts them back, and the stamp's row."""
    from django.core.management.sql import emit_post_migrate_signal

    if connection.vendor == "sqlite":
        _sql("DROP TRIGGER core_user_auth_stamp_update")
    AuthStamp.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    before = _stamp()
    _sql("UPDATE core_user SET first_name = %s WHERE id = %s", ["y", user.id])
    assert _stamp() != before

"""Settings changes that are not stock changes are listed per company: who, when, from, to."""

import pytest
from django.test import Client

from stockledger.core.audit import audit_record
from stockledger.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_creating_and_revoking_a_token_is_listed_with_who_did_it(api, user):
    made = api.post("/tokens", {"name": "shop script"}).json()
    api.post(f"/tokens/{made['id']}/revoke")
    items = api.get("/audit").json()["items"]
    assert [(e["action"], e["actor"], e["object_id"]) for e in items[:2]] == [
        ("token.revoke", user.username, made["id"]),
        ("token.create", user.username, made["id"]),
    ]


def test_a_change_is_listed_from_and_to_and_a_non_change_not_at_all(company, user):
    entry = audit_record(
        company=company,
        actor=user,
        action="channel.rule",
        object_type="rule",
        changes={"maximum": (None, 5), "reserve": (2, 2)},
    )
    assert entry.changes == {"maximum": [None, 5]}
    assert (
        audit_record(
            company=company, actor=user, action="x", object_type="y", changes={"a": (1, 1)}
        )
        is None
    )


def test_the_list_is_the_companys_own_and_shown_in_the_pages(api, other_api, user, company):
    api.post("/tokens", {"name": "ours"})
    other_api.post("/tokens", {"name": "THEIRS-TOKEN"})
    assert all(e["object_name"] != "THEIRS-TOKEN" for e in api.get("/audit").json()["items"])
    client = Client()
    client.force_login(user)
    page = client.get("/settings/audit/").content.decode()
    assert "token.create" in page and "THEIRS" not in page
    assert AuditEntry.objects.filter(company=company).count() >= 1


def test_the_list_pages_by_cursor_newest_first(api):
    for n in range(5):
        api.post("/tokens", {"name": f"t{n}"})
    first = api.get("/audit", {"limit": 2}).json()
    second = api.get("/audit", {"limit": 2, "cursor": first["next_cursor"]}).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4


def test_user_and_company_changes_are_listed(company, user):
    from stockledger.core.services import company_update, user_create, user_set_role

    clerk = user_create(
        company=company, username="casey", password="long-enough-pw-1", role="clerk", actor=user
    )
    user_set_role(actor=user, user=clerk, role="manager")
    company_update(actor=user, name=company.name, time_zone="America/New_York")
    entries = list(AuditEntry.objects.filter(company=company).order_by("id"))
    assert [(e.action, e.actor_name, e.changes) for e in entries[-3:]] == [
        ("user.create", user.username, {"role": [None, "clerk"]}),
        ("user.role", user.username, {"role": ["clerk", "manager"]}),
        ("company.settings", user.username, {"time_zone": ["UTC", "America/New_York"]}),
    ]

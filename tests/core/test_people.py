"""People: users and roles, own passwords, password rules, user names, company time zone."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from stockledger.core.errors import InvalidInput
from stockledger.core.models import ApiToken, User
from stockledger.core.permissions import PermissionDenied, permission_require
from stockledger.core.services import company_create, token_create, user_create
from tests.conftest import ApiClient

GOOD = "sturdy-Pass-42"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clerk(company):
    return user_create(company=company, username="clara", password=GOOD, role="clerk")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Password rules and user names -------------------------------------------------------------


@pytest.mark.parametrize("password", ["", "a", "password", "12345678901"])
def test_create_company_refuses_weak_passwords(db, password):
    with pytest.raises(InvalidInput) as exc:
        company_create(name="Weak Co", username="weakling", password=password)
    assert exc.value.field == "password"
    assert not User.objects.filter(username="weakling").exists()


def test_the_create_company_command_says_why_a_password_is_refused(db):
    with pytest.raises(CommandError, match="too short"):
        call_command("create_company", "Weak Co", "--user", "weakling", "--password", "a")


def test_the_first_user_of_a_company_is_its_owner(user):
    assert user.role == "owner"


@pytest.mark.parametrize("name", ["{u}", "{U}", " {u} ", "\t{U}\n"])
def test_user_names_that_differ_only_by_case_or_spaces_are_refused(user, name):
    taken = name.replace("{u}", user.username).replace("{U}", user.username.upper())
    with pytest.raises(InvalidInput) as exc:
        user_create(company=user.company, actor=user, username=taken, password=GOOD, role="clerk")
    assert exc.value.field == "username"
    assert "already exists" in exc.value.message
    with pytest.raises(InvalidInput):
        company_create(name="Other", username=taken, password=GOOD)


def test_a_new_user_name_is_stored_trimmed(user):
    new = user_create(
        company=user.company, actor=user, username="  Maria ", password=GOOD, role="clerk"
    )
    assert new.username == "Maria"


# Permissions ----------------------------------------------------------------------------------


def test_permission_require_names_the_permission_the_role_lacks(clerk):
    permission_require(clerk, "stock.count")
    with pytest.raises(PermissionDenied) as exc:
        permission_require(clerk, "settings.channels")
    assert exc.value.status == 403
    assert "settings.channels" in exc.value.message
    assert "clerk" in exc.value.message


def test_only_owners_add_users_even_when_a_service_is_called_directly(clerk):
    with pytest.raises(PermissionDenied):
        user_create(company=clerk.company, actor=clerk, username="x1", password=GOOD)
    assert not User.objects.filter(username="x1").exists()


def test_api_me_tells_the_role_and_its_permissions(clerk):
    api = ApiClient(token_create(user=clerk)[1])
    body = api.get("/me").json()
    assert body["role"] == "clerk"
    assert "stock.count" in body["permissions"]
    assert "settings.channels" not in body["permissions"]


# People through the API -----------------------------------------------------------------------


def test_an_owner_adds_a_user_with_a_role_through_the_api(api, company):
    response = api.post("/users", {"username": "devon", "password": GOOD, "role": "manager"})
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "manager"
    devon = User.objects.get(username="devon")
    assert devon.company == company and devon.check_password(GOOD)


def test_the_api_refuses_a_weak_temporary_password_naming_the_field(api):
    response = api.post("/users", {"username": "devon", "password": "devon123", "role": "clerk"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"
    assert not User.objects.filter(username="devon").exists()


def test_a_clerks_token_cannot_manage_users(clerk):
    api = ApiClient(token_create(user=clerk)[1])
    response = api.post("/users", {"username": "eve", "password": GOOD, "role": "owner"})
    assert response.status_code == 403
    assert "users.manage" in response.json()["detail"]
    assert not User.objects.filter(username="eve").exists()


def test_an_owner_changes_a_role_and_the_token_acts_with_the_new_role(api, clerk, company):
    clerk_api = ApiClient(token_create(user=clerk)[1])
    assert clerk_api.post("/warehouses", {"name": "Back room"}).status_code == 403
    response = api.request("PATCH", f"/users/{clerk.id}", {"role": "manager"})
    assert response.status_code == 200 and response.json()["role"] == "manager"
    assert clerk_api.post("/warehouses", {"name": "Back room"}).status_code == 201


def test_the_last_owner_cannot_be_demoted_or_deactivated(api, user):
    response = api.request("PATCH", f"/users/{user.id}", {"role": "viewer"})
    assert response.status_code == 409
    assert User.objects.get(pk=user.pk).role == "owner"


def test_a_deactivated_user_keeps_their_name_on_log_rows_and_loses_api_access(
    api, clerk, warehouses, product_factory, log_of
):
    from stockledger.ledger.services import stock_set

    product = product_factory("SKU-1")
    stock_set(
        company=clerk.company,
        product=product,
        warehouse=warehouses[0],
        physical_on_hand=5,
        user=clerk,
    )
    clerk_api = ApiClient(token_create(user=clerk)[1])
    response = api.post(f"/users/{clerk.id}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert clerk_api.get("/me").status_code == 401
    assert not ApiToken.objects.filter(user=clerk, revoked_at__isnull=True).exists()
    assert [row.user_name for row in log_of(product)] == ["clara"]
    signed = Client().post("/login/", {"username": "clara", "password": GOOD})
    assert signed.status_code == 200 and "_auth_user_id" not in signed.client.session


def test_users_of_another_company_are_not_found(api, other_api):
    assert api.get(f"/users/{other_api.user.id}").status_code == 404
    response = api.request("PATCH", f"/users/{other_api.user.id}", {"role": "viewer"})
    assert response.status_code == 404


def test_a_user_changes_their_own_password_through_the_api(clerk):
    api = ApiClient(token_create(user=clerk)[1])
    wrong = api.post("/me/password", {"current_password": "nope", "new_password": GOOD + "x"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "current_password"
    weak = api.post("/me/password", {"current_password": GOOD, "new_password": "clara"})
    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "new_password"
    ok = api.post("/me/password", {"current_password": GOOD, "new_password": "New-sturdy-77"})
    assert ok.status_code == 204
    clerk.refresh_from_db()
    assert clerk.check_password("New-sturdy-77")


# People pages ---------------------------------------------------------------------------------


def test_an_owner_adds_a_user_in_the_pages(user):
    client = signed_in(user)
    page = client.get("/settings/people/")
    assert page.status_code == 200
    assert user.username in page.content.decode()
    response = client.post(
        "/settings/people/", {"username": "priya", "password": GOOD, "role": "viewer"}
    )
    assert response.status_code == 302
    assert User.objects.get(username="priya").role == "viewer"
    assert "priya" in client.get("/settings/people/").content.decode()


def test_the_people_page_shows_a_refused_password_next_to_the_field(user):
    response = signed_in(user).post(
        "/settings/people/", {"username": "priya", "password": "short", "role": "viewer"}
    )
    assert response.status_code == 422
    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="priya").exists()


def test_an_owner_changes_a_role_and_deactivates_in_the_pages(user, clerk):
    client = signed_in(user)
    client.post(f"/settings/people/{clerk.id}/", {"op": "role", "role": "manager"})
    clerk.refresh_from_db()
    assert clerk.role == "manager"
    client.post(f"/settings/people/{clerk.id}/", {"op": "deactivate"})
    clerk.refresh_from_db()
    assert clerk.is_active is False


def test_a_clerk_sees_no_people_link_and_is_refused_the_page(clerk):
    client = signed_in(clerk)
    home = client.get("/products/").content.decode()
    assert "/settings/people/" not in home
    assert "/settings/password/" in home
    assert client.get("/settings/people/").status_code == 403
    forged = client.post(
        "/settings/people/", {"username": "eve", "password": GOOD, "role": "owner"}
    )
    assert forged.status_code == 403
    assert "users.manage" in forged.content.decode()
    assert not User.objects.filter(username="eve").exists()


def test_a_clerk_sees_no_channel_settings_forms(clerk, company):
    from stockledger.channels.services import channel_create

    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    page = signed_in(clerk).get(f"/channels/{channel.id}/").content.decode()
    assert "Save warehouses" not in page and "Save rule" not in page
    assert "Your role cannot change the channel settings." in page


def test_any_role_changes_their_own_password_in_the_pages(company):
    viewer = user_create(company=company, username="vic", password=GOOD, role="viewer")
    client = signed_in(viewer)
    response = client.post(
        "/settings/password/", {"current_password": GOOD, "new_password": "Viewer-new-88"}
    )
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password("Viewer-new-88")
    assert client.get("/products/").status_code == 200  # still signed in


# Company settings and time zone ---------------------------------------------------------------


def test_an_owner_sets_the_company_time_zone_and_pages_show_dates_in_it(
    user, company, warehouses, product_factory
):
    from stockledger.channels.services import channel_create
    from stockledger.orders.services import order_import

    product_factory("SKU-TZ")
    channel = channel_create(company=company, cart_type="shopify", name="Shop")
    order, _ = order_import(
        company=company,
        channel=channel,
        order_number="TZ-1",
        placed_at="2025-03-01T10:00:00Z",
        warehouse=warehouses[0],
        lines=[{"sku": "SKU-TZ", "quantity": 1}],
    )
    client = signed_in(user)
    before = client.get(f"/orders/{order.id}/").content.decode()
    assert "2025-03-01 10:00 UTC" in before
    response = client.post(
        "/settings/company/", {"name": "Acme Berlin", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.time_zone) == ("Acme Berlin", "Europe/Berlin")
    after = client.get(f"/orders/{order.id}/").content.decode()
    assert "2025-03-01 11:00 Europe/Berlin" in after
    assert "Times are shown in Europe/Berlin" in after


def test_an_unknown_time_zone_is_refused_naming_the_field(user, company, api):
    response = signed_in(user).post(
        "/settings/company/", {"name": "Acme", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 422
    assert "not an IANA time zone" in response.content.decode()
    api_response = api.request("PATCH", "/company", {"time_zone": "../etc/passwd"})
    assert api_response.status_code == 422
    assert api_response.json()["errors"][0]["field"] == "time_zone"
    company.refresh_from_db()
    assert company.time_zone == "UTC"


def test_the_api_sets_the_company_time_zone_for_owners_only(api, clerk):
    assert api.request("PATCH", "/company", {"time_zone": "America/Chicago"}).json() == {
        "id": clerk.company.id,
        "name": clerk.company.name,
        "time_zone": "America/Chicago",
    }
    clerk_api = ApiClient(token_create(user=clerk)[1])
    refused = clerk_api.request("PATCH", "/company", {"time_zone": "UTC"})
    assert refused.status_code == 403 and "settings.company" in refused.json()["detail"]
    assert clerk_api.get("/company").json()["time_zone"] == "America/Chicago"

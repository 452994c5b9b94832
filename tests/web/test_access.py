"""Sign in and out, and company scoping of every page."""

import pytest
from django.test import Client
from django.urls import reverse

from stockledger.core.models import User

pytestmark = pytest.mark.django_db


def test_pages_send_a_visitor_to_sign_in(product_factory):
    product = product_factory("A-1")
    for url in [reverse("web:product_list"), reverse("web:product_detail", args=[product.id])]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_signing_in_lands_on_products_and_shows_company_and_user(user, company):
    client = Client()
    response = client.post(
        "/login/", {"username": user.username, "password": "pw-123456"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("web:product_list")
    html = response.content.decode()
    assert company.name in html
    assert user.username in html
    assert "Sign out" in html


def test_a_wrong_password_shows_an_error_and_signs_in_no_one(user):
    response = Client().post("/login/", {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_signing_out_ends_the_session(signed_in):
    response = signed_in.post("/logout/")
    assert response.status_code == 302
    assert signed_in.get(reverse("web:product_list")).status_code == 302


def test_a_user_without_company_cannot_use_the_pages(db):
    admin = User.objects.create_superuser("root", password="pw-123456")
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("web:product_list"))
    assert response.status_code == 403
    assert "belongs to no company" in response.content.decode()


def test_another_companys_product_is_404_on_every_product_url(
    product_factory, warehouses, other_signed_in
):
    product = product_factory("MINE-1")
    names = ["product_detail", "product_log", "product_chart", "product_quantities"]
    for name in names:
        response = other_signed_in.get(reverse(f"web:{name}", args=[product.id]))
        assert response.status_code == 404, name
    response = other_signed_in.post(
        reverse("web:product_on_hand", args=[product.id]),
        {"warehouse": warehouses[0].id, "mode": "set", "quantity": 5},
    )
    assert response.status_code == 404


def test_another_companys_products_are_not_listed(product_factory, other_signed_in):
    product_factory("MINE-1", "Secret widget")
    html = other_signed_in.get(reverse("web:product_list") + "?q=MINE").content.decode()
    assert "MINE-1" not in html
    assert "Secret widget" not in html


def test_static_assets_are_served_by_the_app(signed_in):
    html = signed_in.get(reverse("web:product_list")).content.decode()
    assert "/static/web/htmx.min.js" in html
    assert "/static/web/app.css" in html
    assert "https://" not in html  # nothing from a CDN

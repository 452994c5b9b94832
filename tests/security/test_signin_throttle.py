"""Failed sign-ins are throttled per user name and per client address, on every login form."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from stockledger.core.signin import cool_off

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def password():
    return "pw-123456"  # what tests/conftest.py's company_factory gives every user


def sign_in(client, username, password, path="/login/", address="203.0.113.9"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_the_right_password_is_refused_once_a_user_name_has_failed_too_often(user, password):
    client = Client()
    for _ in range(LIMIT - 1):
        assert sign_in(client, user.username, "wrong").status_code == 200
    assert sign_in(client, user.username, "wrong").status_code == 429
    locked = sign_in(client, user.username, password)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_another_address_cannot_go_on_guessing_the_same_user(user, password):
    for n in range(LIMIT):
        sign_in(Client(), user.username, "wrong", address=f"198.51.100.{n + 1}")
    assert sign_in(Client(), user.username, password, address="192.0.2.77").status_code == 429


def test_one_address_guessing_many_user_names_is_throttled(user, password):
    client = Client()
    for n in range(LIMIT):
        sign_in(client, f"nobody{n}", "wrong", address="203.0.113.50")
    assert sign_in(client, user.username, password, address="203.0.113.50").status_code == 429


def test_a_success_below_the_limit_resets_the_count(user, password):
    client = Client()
    for _ in range(LIMIT - 1):
        sign_in(client, user.username, "wrong")
    assert sign_in(client, user.username, password).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_the_admin_login_is_throttled_too(user, password):
    client = Client()
    for _ in range(LIMIT):
        sign_in(client, user.username, "wrong", path="/admin/login/")
    assert sign_in(client, user.username, password, path="/admin/login/").status_code == 429


def test_the_wait_doubles_with_every_failure_past_the_limit(user, rf):
    request = rf.post("/login/", {"username": user.username}, REMOTE_ADDR="203.0.113.9")
    waits = []
    for _ in range(LIMIT + 3):
        sign_in(Client(), user.username, "wrong")
        waits.append(cool_off(request).total_seconds())
    assert waits[LIMIT - 1] == 60
    assert waits[LIMIT:] == [120, 240, 480]
    assert max(waits) <= 3600

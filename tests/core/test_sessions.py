"""Page sessions whose rows name their user (core/sessions.py): one query reads the session, its
user and company, and who is signed in is exactly what Django's own `get_user` says."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session as DjangoSession
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stockledger.core.models import Session, User
from stockledger.core.sessions import SessionStore, get_user

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _session_key(client: Client) -> str:
    return client.cookies["sessionid"].value


def _who(get, key: str):
    """What `get` (ours or Django's) makes of a request carrying session `key`: the user's
    id, or None for AnonymousUser; and whether the session row is still there."""
    request = RequestFactory().get("/")
    request.session = SessionStore(key)
    user = get(request)
    return (None if isinstance(user, AnonymousUser) else user.pk), Session.objects.filter(
        session_key=request.session.session_key or key
    ).exists()


def test_the_session_row_names_its_user_from_sign_in_to_sign_out(user):
    client = Client()
    assert client.post(reverse("web:login"), {"username": user.username, "password": "pw-123456"})
    row = Session.objects.get(session_key=_session_key(client))
    assert row.user_id == user.id
    assert row.get_decoded()[auth.SESSION_KEY] == str(user.id)
    client.post(reverse("web:logout"))
    assert not Session.objects.filter(pk=row.pk).exists()


def test_the_session_user_and_company_come_from_one_query(user, company):
    key = _session_key(_signed_in(user))
    request = RequestFactory().get("/")
    request.session = SessionStore(key)
    with CaptureQueriesContext(connection) as queries:
        found = get_user(request)
        assert found.company.name == company.name
    assert found == user and len(queries) == 1


EXPECTED = {
    "nothing": "signed in",
    "password": "flushed",  # the session's hash no longer matches
    "hash_missing": "flushed",
    "deactivated": "anonymous",
    "user_row_gone": "anonymous",  # the session row stays, its user is not there
    "deleted": "gone",  # deleting the user deletes their sessions
    "expired": "anonymous",
    "column_names_another_user": "signed in",  # the session's data decides
    "backend_not_configured": "anonymous",
}


@pytest.mark.parametrize("change", list(EXPECTED))
def test_who_is_signed_in_is_what_djangos_get_user_says(company, company_factory, change):
    """After each change, a copy of the session gives the same answer through Django's own
    `get_user` and through ours (also whether the session was flushed)."""
    user = User.objects.create_user(username="sessions-user", password="pw-123456", company=company)
    key = _session_key(_signed_in(user))
    _, other, _ = company_factory("Other Co")
    backends = settings.AUTHENTICATION_BACKENDS
    if change == "password":
        user.set_password("another-pw-987")
        user.save()
    elif change == "hash_missing":
        session = SessionStore(key)
        del session[auth.HASH_SESSION_KEY]
        session.save()
    elif change == "deactivated":
        user.is_active = False
        user.save()
    elif change == "user_row_gone":  # (as a raw delete would leave it: no constraint)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {User._meta.db_table} WHERE id = %s", [user.id])
    elif change == "deleted":
        user.delete()
    elif change == "expired":
        Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    elif change == "column_names_another_user":
        Session.objects.filter(pk=key).update(user=other)
    elif change == "backend_not_configured":
        backends = [b for b in backends if b != "django.contrib.auth.backends.ModelBackend"]
    saved = list(Session.objects.filter(pk=key).values())
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        theirs = _who(auth.get_user, key)
        Session.objects.filter(pk=key).delete()  # put the session back as it was
        Session.objects.bulk_create([Session(**row) for row in saved])
        ours = _who(get_user, key)
    assert ours == theirs
    outcome = {
        (user.id, True): "signed in",
        (None, False): "flushed" if saved else "gone",
        (None, True): "anonymous",
    }[ours]
    assert outcome == EXPECTED[change]


def test_a_session_signed_with_a_retired_secret_still_signs_in_under_a_new_key(user, settings):
    old_secret = settings.SECRET_KEY
    key = _session_key(_signed_in(user))
    with override_settings(
        SECRET_KEY="a-new-secret-" + "x" * 40, SECRET_KEY_FALLBACKS=[old_secret]
    ):
        request = RequestFactory().get("/")
        request.session = SessionStore(key)
        assert get_user(request) == user
        request.session.save()
        assert request.session.session_key != key  # cycled, as Django does
        assert request.session[auth.HASH_SESSION_KEY] == user.get_session_auth_hash()
        assert Session.objects.get(pk=request.session.session_key).user_id == user.id


def test_the_migration_moves_sessions_and_back(user):
    """Sessions in Django's own table when the migration runs move with their user (the
    expired ones are dropped), and move back when it is reversed."""
    key = _session_key(_signed_in(user))
    data = Session.objects.get(pk=key).session_data
    Session.objects.all().delete()
    expires = timezone.now() + timedelta(days=1)
    DjangoSession.objects.create(session_key=key, session_data=data, expire_date=expires)
    DjangoSession.objects.create(
        session_key="x" * 32, session_data=data, expire_date=timezone.now() - timedelta(days=1)
    )
    DjangoSession.objects.create(
        session_key="y" * 32, session_data=SessionStore().encode({}), expire_date=expires
    )
    migration = importlib.import_module("stockledger.core.migrations.0007_sessions_with_user")

    class Editor:
        connection = connection

    migration.move_sessions(apps, Editor())
    assert dict(Session.objects.values_list("session_key", "user_id")) == {
        key: user.id,
        "y" * 32: None,
    }
    assert not DjangoSession.objects.exists()
    client = Client()
    client.cookies["sessionid"] = key
    assert client.get(reverse("web:product_list")).status_code == 200

    migration.move_sessions_back(apps, Editor())
    assert not Session.objects.exists()
    assert set(DjangoSession.objects.values_list("session_key", flat=True)) == {key, "y" * 32}
    assert DjangoSession.objects.get(pk=key).get_decoded()[auth.SESSION_KEY] == str(user.id)


def test_expired_sessions_are_cleared_at_most_hourly(user, monkeypatch):
    from stockledger.core import sessions

    live = _session_key(_signed_in(user))
    expired = _session_key(_signed_in(user))
    Session.objects.filter(pk=expired).update(expire_date=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(sessions, "_last_clear", {"at": float("-inf")})
    assert sessions.clear_expired_sessions_now_and_then() == 1
    assert list(Session.objects.values_list("pk", flat=True)) == [live]
    Session.objects.filter(pk=live).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert sessions.clear_expired_sessions_now_and_then() == 0  # not again within the hour
    assert Session.objects.filter(pk=live).exists()

"""Signed-in pages: the session, its user and the user's company read in one query.

With Django's database sessions every page request ran three ORM queries before its view:
the session, then the user its data names, then that user's company. Building them was a
third of a log page's time (issue 15). Here the session row carries its user's id in a column
of its own (`core.models.Session.user`, written whenever the session is saved), so one fixed
query joins the session to its user and company, and `get_user` takes the user from it.

Nothing about who is signed in changes: the session's data still decides (its user id must
be the column's, its backend Django's `ModelBackend`), an inactive user is refused, and the
session's password hash is verified as `django.contrib.auth.get_user` verifies it (fallback
secrets, flush on mismatch). Anything unusual (another backend, a user id the column does
not hold) takes Django's own `get_user`. Nothing is remembered between requests, so signing
out, a password change or a deactivation holds from the next request.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import cache, partial
from typing import Any, cast

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ValidationError
from django.db import connection, connections, router
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from .models import Company, Session, User
from .rows import (
    converted_row,
    field_count,
    model_from_converted,
    model_from_row_fields,
    select_list,
)

log = logging.getLogger(__name__)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
CLEAR_EVERY_SECONDS = 3600.0
_SESSION_FIELDS = ("session_key", "session_data", "expire_date", "user_id")


def session_user_id(data: dict[str, Any]) -> int | None:
    """The user id a session's data signs in, as the column holds it (None if none)."""
    try:
        user_id: int = User._meta.pk.to_python(data[auth.SESSION_KEY])
        return user_id
    except (KeyError, TypeError, ValueError, ValidationError):
        return None


class SessionStore(DatabaseSessionStore):
    """Django's database session store on `core.models.Session`. `loaded_user` is the user
    (with `.company`) of the session row the last `load` read, or None. (The class name is
    part of the salt that signs a session's data: it stays Django's, `SessionStore`.)"""

    loaded_user: User | None = None

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = cast(Session, super().create_model_instance(data))
        session.user_id = session_user_id(data)
        return session

    async def acreate_model_instance(self, data: dict[str, Any]) -> Session:
        session = cast(Session, await super().acreate_model_instance(data))
        session.user_id = session_user_id(data)
        return session

    def _get_session_from_db(self) -> Session | None:
        self.loaded_user = None
        key = self.session_key
        if key is None:
            return None
        db = connections[router.db_for_read(Session)]
        with db.cursor() as cursor:
            now = db.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(_session_sql(), [key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        n_session, n_user = len(_SESSION_FIELDS), field_count(User)
        session = model_from_row_fields(Session, _SESSION_FIELDS, row[:n_session])
        user_values = row[n_session : n_session + n_user]
        if user_values[0] is not None:
            user = model_from_converted(User, converted_row(User, user_values), using=db.alias)
            company_values = row[n_session + n_user :]
            if company_values[0] is not None:
                user.company = model_from_converted(
                    Company, converted_row(Company, company_values), using=db.alias
                )
            self.loaded_user = user
        return session


@cache
def _session_sql() -> str:
    """The session (unexpired), its user and the user's company: one fixed query, built once
    from the models' metadata."""
    qn = connection.ops.quote_name
    columns = [f"s.{qn(name)}" for name in _SESSION_FIELDS]
    columns += select_list(User, "u") + select_list(Company, "c")
    return (
        f"SELECT {', '.join(columns)} FROM {qn(Session._meta.db_table)} s "
        f"LEFT JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = s.{qn('user_id')} "
        f"LEFT JOIN {qn(Company._meta.db_table)} c ON c.{qn('id')} = u.{qn('company_id')} "
        f"WHERE s.{qn('session_key')} = %s AND s.{qn('expire_date')} > %s"
    )


def get_user(request: HttpRequest) -> Any:
    """The signed-in user of the request's session (with `.company`), or AnonymousUser: what
    `django.contrib.auth.get_user` (Django 5.2) returns, from the row the session's own query
    read when it can."""
    session = request.session
    try:
        user_id = User._meta.pk.to_python(session[auth.SESSION_KEY])
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    user = getattr(session, "loaded_user", None)
    if (
        user is None
        or user.pk != user_id
        or backend_path != MODEL_BACKEND
        or backend_path not in settings.AUTHENTICATION_BACKENDS
    ):
        return auth.get_user(request)
    if not user.is_active:  # ModelBackend.get_user: user_can_authenticate
        return AnonymousUser()
    # Verify the session, as Django's get_user does.
    session_hash = session.get(auth.HASH_SESSION_KEY)
    session_auth_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, session_auth_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[auth.HASH_SESSION_KEY] = session_auth_hash
        return user
    session.flush()
    return AnonymousUser()


class SessionAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, with `request.user` from `get_user` above."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # its checks, and `request.auser`
        request.user = SimpleLazyObject(partial(get_user, request))  # type: ignore[assignment]


_last_clear = {"at": float("-inf")}
_clear_lock = threading.Lock()


def clear_expired_sessions_now_and_then() -> int:
    """Delete the expired sessions (what `manage.py clearsessions` does) if this process has
    not in the last hour: the worker's housekeeping calls it, so the table does not grow
    with every sign-in forever. Returns how many rows went."""
    with _clear_lock:
        if time.monotonic() - _last_clear["at"] < CLEAR_EVERY_SECONDS:
            return 0
        _last_clear["at"] = time.monotonic()
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    if deleted:
        log.info("cleared %d expired sessions", deleted)
    return deleted

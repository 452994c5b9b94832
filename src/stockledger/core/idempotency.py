"""`Idempotency-Key` on every POST under /api/: a retried request replays the first response.

How it holds under retries and races:
1. Before the handler runs, a row (user, key, fingerprint, state=running) is inserted and
   committed in its own transaction. The unique constraint on (user, key) lets exactly one
   of any number of simultaneous requests insert it.
2. A request that finds the row instead gets: 422 if its method, path or body differ from
   the first; 409 (with `Retry-After`) while the first is still running; otherwise the
   stored status and body, byte for byte, with `Idempotent-Replayed: true`. Nothing runs.
3. After the handler, the row is finalized with the response. A 4xx is a response like any
   other and is replayed. A 5xx or an exception releases the key (deletes the row) so the
   retry runs; a row left running by a crashed process is taken over after
   `STOCKLEDGER_IDEMPOTENCY_STALE_SECONDS`.
Keys are scoped per user (any of the user's tokens) and kept at least
`STOCKLEDGER_IDEMPOTENCY_RETENTION_HOURS` (24); older rows are purged as requests come in.

The body is compared as canonical JSON (key order and whitespace do not matter) when it is
JSON, byte for byte otherwise.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .auth import user_for_token
from .json_errors import error_response
from .middleware import bearer_token, is_api_request
from .models import IdempotencyKey, IdempotencyState, User
from .requests import CompanyRequest

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
PURGE_EVERY_SECONDS = 600

_purge_lock = threading.Lock()
_last_purge = 0.0


def request_fingerprint(request: HttpRequest) -> str:
    body = request.body
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in ((request.method or "").encode(), request.get_full_path().encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotency_keys_purge(*, older_than: timedelta | None = None) -> int:
    """Delete keys older than the retention (default from settings); return how many."""
    if older_than is None:
        older_than = timedelta(hours=settings.STOCKLEDGER_IDEMPOTENCY_RETENTION_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def _maybe_purge() -> None:
    global _last_purge
    now = time.monotonic()
    with _purge_lock:
        if now - _last_purge < PURGE_EVERY_SECONDS:
            return
        _last_purge = now
    idempotency_keys_purge()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(row.response_body or b""),
        status=row.status_code,
        content_type=row.content_type or "application/json",
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(
    *, user: User, key: str, request: HttpRequest, fingerprint: str
) -> IdempotencyKey | HttpResponse:
    """Insert the running row, or answer from the row another request already holds."""
    retention = timedelta(hours=settings.STOCKLEDGER_IDEMPOTENCY_RETENTION_HOURS)
    stale = timedelta(seconds=settings.STOCKLEDGER_IDEMPOTENCY_STALE_SECONDS)
    for _ in range(5):
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    method=request.method or "",
                    path=request.get_full_path()[:2000],
                    fingerprint=fingerprint,
                    state=IdempotencyState.RUNNING,
                    created_at=now,
                )
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(user=user, key=key).first()
        if row is None:
            continue  # released in between: try to claim it again
        if row.created_at < now - retention:
            IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.fingerprint != fingerprint:
            return error_response(
                422,
                f"this {IDEMPOTENCY_HEADER} was already used for a different request "
                "(another method, path or body); use a new key for a new request",
                errors=[{"field": IDEMPOTENCY_HEADER, "message": "reused with a different body"}],
            )
        if row.state == IdempotencyState.RUNNING:
            if row.created_at < now - stale:
                taken = IdempotencyKey.objects.filter(
                    pk=row.pk, state=IdempotencyState.RUNNING, created_at=row.created_at
                ).update(created_at=now)
                if taken:
                    row.created_at = now
                    return row
                continue
            response = error_response(
                409,
                f"a request with this {IDEMPOTENCY_HEADER} is still running; "
                "retry shortly to get its response",
            )
            response["Retry-After"] = "1"
            return response
        return _replay(row)
    response = error_response(409, f"this {IDEMPOTENCY_HEADER} is busy; retry shortly")
    response["Retry-After"] = "1"
    return response


def _stored_body(request: HttpRequest, response: HttpResponse) -> bytes:
    """The body to keep; a view may blank secrets (a new raw token) so they are never stored."""
    redact = getattr(request, "idempotency_redact", None)
    if not redact:
        return response.content
    try:
        data = json.loads(response.content)
    except ValueError:
        return response.content
    if isinstance(data, dict):
        data.update(redact)
    return json.dumps(data).encode()


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None or request.method != "POST" or not is_api_request(request):
            return self.get_response(request)
        # Credentials first: without a valid token the API answers 401, whatever the key.
        raw = bearer_token(request)
        user = user_for_token(raw) if raw else None
        if user is None:
            return self.get_response(request)  # the API answers 401; nothing to remember
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return error_response(
                422,
                f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters",
                errors=[{"field": IDEMPOTENCY_HEADER, "message": "invalid key"}],
            )
        cast(CompanyRequest, request).api_token_user = user
        _maybe_purge()
        claim = _claim(
            user=user, key=key, request=request, fingerprint=request_fingerprint(request)
        )
        if isinstance(claim, HttpResponse):
            return claim
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotencyKey.objects.filter(pk=claim.pk).delete()
            raise
        if response.status_code >= 500 or response.streaming:
            IdempotencyKey.objects.filter(pk=claim.pk).delete()
            return response
        IdempotencyKey.objects.filter(pk=claim.pk).update(
            state=IdempotencyState.DONE,
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            response_body=_stored_body(request, response),
            completed_at=timezone.now(),
        )
        return response

"""Tenancy: companies, their users, and the users' API tokens."""

import hashlib
import secrets
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models

from .permissions import Role


class Company(models.Model):
    name = models.CharField(max_length=200)
    # IANA name; pages show dates in it and exports default to it.
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    # Null only for operators' superusers; every merchant user belongs to exactly one company.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    # What the user may do in their company (core/permissions.py); API tokens act with it.
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.OWNER)
    # Set on a user read by API token authentication: the token the request came with.
    api_token: "ApiToken"


class CompanyScoped(models.Model):
    """Base for everything a company owns: a lookup by id goes through
    `core.tenancy.get_for_company`, so another company's id is a 404."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


TOKEN_PREFIX = "slk_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A per-user API token. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="default")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def generate_raw() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)


class Session(AbstractBaseSession):
    """A signed-in browser's session (Django's database session), with its user's id in a
    column of its own, kept by `core.sessions.SessionStore` whenever the session is saved. A
    page request reads the session, its user and the user's company in one query."""

    # No database constraint: a session saved while its user is being deleted must not fail;
    # a user id that has no user joins no row, and Django's own look-up then refuses it.
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    @classmethod
    def get_session_store_class(cls):  # type: ignore[no-untyped-def]
        return import_module(settings.SESSION_ENGINE).SessionStore  # core/sessions.py


class AuthStamp(models.Model):
    """One row (id 1): a number that changes whenever who a token authenticates may change.

    Database triggers (migration 0006) set `version` to a value it never held, in the same
    transaction as a token's creation or deletion, any change to its hash, owner or
    revocation, and any update or deletion of a user or a company, whichever process or tool
    makes it. Token authentication (core/auth.py) keeps what a token resolved to while this
    number is unchanged.
    """

    version = models.BigIntegerField()


class IdempotencyState(models.TextChoices):
    RUNNING = "running"
    DONE = "done"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a user sent with a POST, and the response it got.

    The row is committed (state running) before the handler runs, so a second request with the
    same key finds it: a different request is refused (422), one still running is refused (409),
    one done gets the stored response again. Rows older than the retention are purged.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    state = models.CharField(max_length=10, choices=IdempotencyState.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"


class RateBucket(models.Model):
    """Per-token request budget for the database rate-limit store (GCRA: one timestamp).

    `tat` is the theoretical arrival time in seconds since the epoch: the budget is full when
    it lies in the past and exhausted when it lies more than the burst ahead of now.
    """

    key = models.CharField(max_length=64, primary_key=True)
    tat = models.FloatField()

    def __str__(self) -> str:
        return self.key


class AuditEntry(models.Model):
    """One settings change that is not a stock change: who, when, what, from and to.

    The Inventory Log's sibling for configuration (writeback rules, channel settings, users
    and roles, API tokens, company settings). Written by `core.audit.audit_record` in the
    transaction of the change it describes; never updated.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField(null=True)
    object_name = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict)  # field -> [from, to]

    class Meta:
        indexes = [models.Index(fields=["company", "-id"], name="audit_company_newest")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


class WorkerProcess(models.Model):
    """A running `stockledger worker` process (on this machine or another), and when it was
    last heard from. Its heartbeat thread moves `beat_at` on every few seconds; a worker
    silent past STOCKLEDGER_WORKER_STALE_SECONDS is dead, and the jobs it held are taken over
    (core/workers.py). `worker_id` is the id the task rows record (DBTaskResult.worker_ids)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["beat_at"], name="core_worker_beat")]

    def __str__(self) -> str:
        return f"worker {self.worker_id} ({self.host} pid {self.pid})"

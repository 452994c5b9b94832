"""Secrets the server must use but must never show again (a store's access token, a
channel's webhook signing secret), encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The key is `STOCKLEDGER_SECRETS_KEY` when set (any string; rotate by re-saving the secrets),
else derived from SECRET_KEY. A database dump alone does not reveal the secrets; the key
lives in the environment (or the SECRET_KEY file under STOCKLEDGER_HOME, owner-only).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted (the key changed): set it again."""


def _fernet() -> Fernet:
    material = getattr(settings, "STOCKLEDGER_SECRETS_KEY", "") or settings.SECRET_KEY
    digest = hashlib.sha256(b"stockledger-secret-box:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_seal(plain: str) -> str:
    """The encrypted form of `plain` to store ("" stays "")."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode("ascii")


def secret_open(sealed: str) -> str:
    """The plain secret back from `secret_seal`'s output ("" stays "")."""
    if not sealed:
        return ""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable(
            "a stored secret cannot be decrypted (the secrets key changed); set it again"
        ) from None


def secret_hint(plain: str) -> str:
    """What a page may show of a secret: its last 4 characters (nothing for a short one)."""
    return plain[-4:] if len(plain) >= 12 else ""

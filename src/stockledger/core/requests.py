"""The request types views and API handlers receive, for the type checker.

Django's `HttpRequest` knows none of what our middleware and authentication add: the API's
token authentication and the pages' `company_required` set `company` and a signed-in `user`;
the idempotency middleware may note the token's user, and a handler may ask for parts of its
answer to be redacted before an Idempotency-Key replay stores it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import Company, User


class BodyErrorRequest(HttpRequest):
    """An API request whose body the JSON parser refused, with the reason for the 400/422."""

    body_error: str
    body_error_field: str


class CompanyRequest(HttpRequest):
    """A request from a signed-in user of a company."""

    company: Company
    user: User  # signed in: never AnonymousUser here
    api_token_user: User | None
    idempotency_redact: dict[str, Any]

"""The Content-Security-Policy header, built once.

django-csp builds the header afresh for every response (dataclasses turned into dicts, the
directives joined): a fixed cost of every page and API answer, 7% of a log page over the API
(issue 15). Nothing in Stockledger customises the policy per view or uses nonces, so the
header depends on settings alone: it is built once per settings and set as django-csp sets
it. A response or request that does carry its own parts (a decorator's `_csp_*` attributes, a
nonce asked for) goes through django-csp unchanged.
"""

from __future__ import annotations

import http.client
from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_EXEMPT = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)


def _excluded_prefixes(name: str) -> tuple[str, ...]:
    policy = getattr(settings, name, None) or {}
    return tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())


@cache
def fixed_policies() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(header, value, exemption attribute, excluded path prefixes) for the enforced and the
    report-only policy, from settings alone (what django-csp builds with no per-response
    parts and no nonce)."""
    return (
        (HEADER, build_policy(), "_csp_exempt", _excluded_prefixes("CONTENT_SECURITY_POLICY")),
        (
            HEADER_REPORT_ONLY,
            build_policy(report_only=True),
            "_csp_exempt_ro",
            _excluded_prefixes("CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ),
    )


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        fixed_policies.cache_clear()


class FixedPolicyCSPMiddleware(CSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in _DEBUG_EXEMPT and settings.DEBUG:
            return response
        for header, value, exempt, prefixes in fixed_policies():
            if (
                value
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = value
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

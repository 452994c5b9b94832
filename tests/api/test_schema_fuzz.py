"""Schemathesis against the published OpenAPI schema, in-process through the WSGI app.

Every operation gets a bounded number of generated requests (valid and invalid, fixed seed via
derandomize): no response may be a server error, and every response must match what the
schema documents (status code, content type, headers, body).
"""

import os
import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from stockledger.wsgi import application

ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def _datetimes(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _datetimes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _datetimes(value)
    elif isinstance(node, str) and ISO_DATETIME.match(node):
        yield node


@schemathesis.check
def timestamps_are_utc(ctx, response, case):
    """Every timestamp the API answers with is ISO 8601 in UTC (`Z`)."""
    if not response.headers.get("content-type", [""])[0].startswith("application/json"):
        return None
    for value in _datetimes(response.json()):
        assert value.endswith("Z"), f"timestamp not in UTC: {value}"
    return None


CHECKS = [
    timestamps_are_utc,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Bounded so the run stays under a minute; raise it for a deeper run.
EXAMPLES_PER_OPERATION = int(os.environ.get("STOCKLEDGER_FUZZ_EXAMPLES", "15"))


# Unknown query parameters are ignored (as most APIs do), so schemathesis must not count a
# request with one as invalid data that should have been refused. The token is sent by the
# test itself, so schemathesis does not generate (or mutate) the Authorization header.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20250301,
        "generation": {
            "allow-extra-parameters": False,
            "with-security-parameters": False,
            "deterministic": True,
            "max-examples": EXAMPLES_PER_OPERATION,
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


@pytest.fixture
def in_test_transaction(db, settings):
    settings.STOCKLEDGER_RATE_LIMIT_ENABLED = False
    # As Django's test client does: the test's transaction must survive each request's end.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(tenant, warehouses, product_factory):
    product_factory("FUZZ-1")
    product_factory("FUZZ-KIT", components=[{"sku": "FUZZ-1", "quantity": 2}])
    return tenant[2]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_documents(case, in_test_transaction, fuzz_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)

"""Schemathesis against the published OpenAPI schema, in-process through the WSGI app.

Two phases, each bounded and deterministic (fixed seed, `derandomize`) so `make test` can run
them on both databases:
- every operation on its own, with generated valid and invalid requests;
- the stateful phase: sequences that follow the schema's `links` (a create, then the
  operations that take its id: a PO's receipt, an order's ship, a return's receive...).
Every check runs: no server error, status code, content type, headers and body as documented,
invalid data refused, valid data accepted (or answered with a documented error: stock rules
and state cannot be said in a schema), missing required header, unsupported method,
credentials enforced (the same request without a token and with a wrong one is refused), use
after free and resource availability. Outbound webhook calls are held to loopback.
"""

import ipaddress
import os
import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from stockledger.wsgi import application

ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
# A fixed raw token (its hash is stored by the fixture), so the schema's config can send it
# and `ignored_auth` can probe the same request without it and with a wrong one.
FUZZ_TOKEN = "slk_fuzz-contract-token-0123456789abcdefghijklmnop"
# identity: the WSGI transport does not undo the gzip the server applies to large answers.
AUTH = {"Authorization": f"Bearer {FUZZ_TOKEN}", "Accept-Encoding": "identity"}


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
    positive_data_acceptance,
    missing_required_header,
    unsupported_method,
    ignored_auth,
    use_after_free,
    ensure_resource_availability,
]
# Bounded so each phase stays well under a minute per database; raise for a deeper run.
EXAMPLES_PER_OPERATION = int(os.environ.get("STOCKLEDGER_FUZZ_EXAMPLES", "6"))
STATEFUL_EXAMPLES = int(os.environ.get("STOCKLEDGER_FUZZ_STATEFUL_EXAMPLES", "30"))
# What a schema cannot say (an unknown SKU, a PO already received, a stock rule) is answered
# with the operation's documented errors; schema-valid data must get a 2xx or one of these.
DOCUMENTED_REFUSALS = [200, 201, 202, 204, 404, 409, 422]

# Unknown query parameters are ignored (as most APIs do), so schemathesis must not count a
# request with one as invalid data that should have been refused.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20250301,
        "generation": {
            "allow-extra-parameters": False,
            "with-security-parameters": False,
            "deterministic": True,
            "max-examples": EXAMPLES_PER_OPERATION,
        },
        "checks": {"positive_data_acceptance": {"expected-statuses": DOCUMENTED_REFUSALS}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)

SETTINGS = {
    "derandomize": True,
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}


@pytest.fixture
def in_test_transaction(db, settings, monkeypatch):
    from stockledger.core import outbound

    settings.STOCKLEDGER_RATE_LIMIT_ENABLED = False
    # Webhooks and connectors the fuzzer configures reach nothing but loopback.
    monkeypatch.setattr(
        outbound, "resolve_checked", lambda host, port: ipaddress.ip_address("127.0.0.1")
    )
    # As Django's test client does: the test's transaction must survive each request's end.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(tenant, warehouses, product_factory):
    from stockledger.core.models import ApiToken, hash_token

    product_factory("FUZZ-1")
    product_factory("FUZZ-KIT", components=[{"sku": "FUZZ-1", "quantity": 2}])
    ApiToken.objects.create(
        user=tenant[1], name="fuzz", token_hash=hash_token(FUZZ_TOKEN), prefix=FUZZ_TOKEN[:12]
    )
    return FUZZ_TOKEN


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, **SETTINGS)
def test_every_operation_answers_as_its_schema_documents(case, in_test_transaction, fuzz_token):
    case.call_and_validate(headers=AUTH, checks=CHECKS)


def test_sequences_following_the_schema_links_answer_as_documented(in_test_transaction, fuzz_token):
    machine = schema.as_state_machine()
    reached = set()

    class Workflow(machine):
        # Each scenario starts from the same data: what one scenario created would otherwise
        # decide which links the next can follow, and Hypothesis, replaying a scenario, would
        # find the choices changed under it (FlakyStrategyDefinition) instead of reporting.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"headers": AUTH}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            reached.add((case.operation.label, response.status_code))
            case.validate_response(
                response,
                checks=CHECKS,
                headers=AUTH,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    run_state_machine_as_test(
        Workflow,
        settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6, **SETTINGS),
    )
    # Whether a fixed-seed run happens to chain a successful create into its follow-up moves
    # with every schema change; that the links themselves lead somewhere is proven below.
    assert reached


def test_each_link_takes_the_created_id_to_an_operation_that_finds_it(
    api, warehouses, product_factory
):
    """The published `links`, followed by hand: create (with a body fit for this company), then
    call each linked operation with the parameter the link takes from the answer. The object
    must be found (no 404): a link naming the wrong parameter or field would not be."""
    spec = api.get("/openapi.json").json()
    operations = {
        operation["operationId"]: (method, path.removeprefix("/api/v1"), operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }
    bodies = {
        "/warehouses": {"name": "Link test"},
        "/products": {"sku": "LINK-1", "name": "Link", "kind": "simple"},
        "/sales-channels": {"cart_type": "shopify", "name": "Link shop"},
        "/tokens": {"name": "link token"},
    }
    followed = []
    for path, body in bodies.items():
        created = api.post(path, body)
        assert created.status_code == 201, (path, created.json())
        links = spec["paths"]["/api/v1" + path]["post"]["responses"]["201"].get("links", {})
        assert links, f"POST {path} documents no links"
        for link in links.values():
            method, target, operation = operations[link["operationId"]]
            url = target
            for name, expression in link["parameters"].items():
                field = expression.removeprefix("$response.body#/")
                url = url.replace(
                    "{" + name.removeprefix("path.") + "}", str(created.json()[field])
                )
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            call = getattr(api, method)
            answer = call(url, content["example"]) if content else call(url)
            assert answer.status_code != 404, (method, url, answer.json())
            followed.append((method.upper(), target, answer.status_code))
    assert len(followed) >= len(bodies), followed

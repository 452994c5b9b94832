"""Every page is served with a strict Content-Security-Policy: local scripts only, no inline."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_pages_forbid_inline_and_foreign_scripts(path):
    policy = policy_of(Client().get(path))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_signed_in_pages_carry_the_policy_too(user):
    client = Client()
    client.force_login(user)
    response = client.get("/products/")
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()


def test_the_header_built_once_is_the_one_django_csp_builds(user, api):
    """core/csp.py reuses the header: same value as django-csp's own middleware, on a page,
    an API answer and the excluded API docs (none there); a settings change is honoured."""
    from csp.middleware import CSPMiddleware
    from django.test import override_settings

    from stockledger.core.csp import FixedPolicyCSPMiddleware

    client = Client()
    client.force_login(user)

    def both(response_for):
        ours = FixedPolicyCSPMiddleware(lambda r: None)
        theirs = CSPMiddleware(lambda r: None)
        return [
            m.process_response(*response_for()).headers.get("Content-Security-Policy")
            for m in (ours, theirs)
        ]

    page = client.get("/products/")
    answer = api.get("/products")
    docs = client.get("/api/v1/docs")
    assert page.headers["Content-Security-Policy"] == answer.headers["Content-Security-Policy"]
    assert "Content-Security-Policy" not in docs.headers
    for response in (page, answer):
        del response.headers["Content-Security-Policy"]
        ours, theirs = both(lambda r=response: (r.wsgi_request, r))
        assert ours == theirs is not None
    changed = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["https://img.example"]}}
    with override_settings(CONTENT_SECURITY_POLICY=changed):
        header = client.get("/products/").headers["Content-Security-Policy"]
    assert "https://img.example" in header
    assert client.get("/products/").headers["Content-Security-Policy"] == theirs

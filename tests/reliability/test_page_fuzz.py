"""Every form and filter of every page, given hostile values one field at a time: no 500.

The pages come from the URL patterns and their forms from the HTML each page renders (the
fields a browser would send), so a new page, form or filter is fuzzed the day it appears.
Each request sends the form as rendered with one field replaced by one bad value: numbers past
64 bits, dates at the calendar's ends, NUL, lone surrogates, very long text, wrong types.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client

from .catalogue import page_patterns, populate
from .test_tenants import PAGE_WORDS, _page_urls

BAD_VALUES = (
    "99999999999999999999",
    "-1",
    "0",
    "1e309",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "\x00",
    "\u202e\ufeff",
    INVALID_UTF8 := "%FF%FE",  # sent as raw bytes: not text in any encoding
    "x" * 5000,
    "=SUM(A1:A9)",
    "<script>alert(1)</script>",
)
NOT_PAGES = ("login/", "logout/", "healthz")


class FormReader(HTMLParser):
    """The forms of a page: method, action and the fields with their rendered values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (a.get("method") or a.get("hx-post") and "post" or "get").lower(),
                "action": a.get("hx-post") or a.get("hx-get") or a.get("action") or "",
                "fields": {},
            }
            if a.get("hx-post"):
                self._form["method"] = "post"
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            kind = (a.get("type") or "").lower()
            if kind in ("submit", "button", "file") or a["name"] == "csrfmiddlewaretoken":
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].setdefault(a["name"], "")
                return
            self._form["fields"][a["name"]] = a.get("value") or ""
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._select and self._form is not None:
            if "selected" in a or not self._form["fields"][self._select]:
                self._form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    reader = FormReader()
    reader.feed(html)
    return [f for f in reader.forms if f["fields"]]


def send(client: Client, post: bool, action: str, body: str):
    if post:
        return client.post(action, body, content_type="application/x-www-form-urlencoded")
    return client.get(f"{action}?{body}")


def signed_out(response) -> bool:
    """Sent to the sign-in page: the request was not made signed in."""
    return response.status_code in (301, 302) and response["Location"].startswith(
        resolve_url(settings.LOGIN_URL)
    )


@pytest.mark.django_db
def test_no_form_or_filter_of_any_page_answers_500_to_bad_values(
    company_factory, settings, tmp_path, figures
):
    settings.STOCKLEDGER_EXPORTS_DIR = tmp_path / "exports"
    acme = populate(*company_factory("Acme"), "ACME")
    client = Client(raise_request_exception=False)
    pages = forms_seen = requests = 0
    failures = []
    for route, pattern in page_patterns():
        if "(?P" in route or "^" in route or route.startswith(NOT_PAGES):
            continue
        params = [
            n
            for n in re.findall(r"<(?:\w+:)?(\w+)>", route)
            if n not in PAGE_WORDS.get(pattern.name, {})
        ]
        for url in _page_urls(route, pattern.name, acme.fresh(params)):
            client.force_login(acme.user)
            page = client.get(url)
            if page.status_code >= 500:
                failures.append(f"GET {url}")
            if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
                continue
            pages += 1
            for form in forms_of(page.content.decode()):
                forms_seen += 1
                action = form["action"] or url
                post = form["method"] == "post"
                for name in form["fields"]:
                    for bad in BAD_VALUES:
                        rest = urlencode({k: v for k, v in form["fields"].items() if k != name})
                        value = bad if bad == INVALID_UTF8 else quote(bad, safe="")
                        body = f"{rest}&{quote(name)}={value}"
                        response = send(client, post, action, body)
                        if signed_out(response):
                            # An earlier request ended the session: sign in and send it again,
                            # so every bad value reaches the view signed in.
                            client.force_login(acme.user)
                            response = send(client, post, action, body)
                        requests += 1
                        if response.status_code >= 500:
                            failures.append(
                                f"{form['method'].upper()} {action} {name}={bad[:30]!r}"
                            )
    assert pages and forms_seen
    assert not failures, "500s:\n" + "\n".join(failures)
    figures.update(page_fuzz_pages=pages, page_fuzz_forms=forms_seen, page_fuzz_inputs=requests)

"""Static files in production: hashed names, gzip and Brotli, a year's immutable cache."""

import gzip
import re
from pathlib import Path

import brotli
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

import stockledger.web

pytestmark = pytest.mark.django_db
STATIC = Path(stockledger.web.__file__).parent / "static/web"

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def collected(settings, tmp_path):
    """The production storage, after `collectstatic` (as `stockledger serve` runs it)."""
    settings.STORAGES = PRODUCTION_STORAGES
    settings.STATIC_ROOT = tmp_path / "static"
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    # The admin's and the API docs' files only make the compressing slower here.
    call_command(
        "collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin", "ninja"]
    )
    return settings.STATIC_ROOT


def test_pages_link_hashed_static_files_served_compressed_and_immutable_for_a_year(collected, user):
    client = Client()
    client.force_login(user)
    html = client.get(reverse("web:product_list")).content.decode()
    css = re.search(r'href="(/static/web/app\.[0-9a-f]{12}\.css)"', html)
    js = re.search(r'src="(/static/web/htmx\.min\.[0-9a-f]{12}\.js)"', html)
    assert css and js, "the page links the hashed names"

    source = (STATIC / "app.css").read_bytes()
    br = client.get(css.group(1), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert br.status_code == 200
    assert br["Content-Encoding"] == "br"
    assert br["Cache-Control"] == "max-age=31536000, public, immutable"
    assert brotli.decompress(b"".join(br.streaming_content)) == source

    gz = client.get(css.group(1), HTTP_ACCEPT_ENCODING="gzip")
    assert gz["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(gz.streaming_content)) == source

    plain = client.get(js.group(1))
    assert not plain.has_header("Content-Encoding")
    assert plain["Cache-Control"] == "max-age=31536000, public, immutable"


def test_pages_are_gzipped_for_browsers_that_accept_it(signed_in):
    response = signed_in.get(reverse("web:product_list"), HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip"
    assert b"<title>" in gzip.decompress(response.content)


def test_serve_collects_static_files_only_when_they_changed(settings, tmp_path, monkeypatch):
    from stockledger.core import static

    runs = []

    def collectstatic(name, **options):
        runs.append(name)
        (settings.STATIC_ROOT / "staticfiles.json").write_text("{}")

    monkeypatch.setattr(static, "call_command", collectstatic)
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    source = tmp_path / "src"
    (source / "web").mkdir(parents=True)
    (source / "web/extra.css").write_text("a { color: red; }")
    settings.STATICFILES_DIRS = [source]

    assert static.collect_static_if_changed() is True  # the first start
    assert static.collect_static_if_changed() is False  # nothing changed
    (source / "web/extra.css").write_text("a { color: blue; text-decoration: underline; }")
    assert static.collect_static_if_changed() is True  # a file changed
    assert runs == ["collectstatic", "collectstatic"]

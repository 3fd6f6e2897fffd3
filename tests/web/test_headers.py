"""Security headers and cookie flags on every kind of page (security.md test 15), and the deploy check (14)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def status_path() -> str:
    receipt = submit("product")
    return f"/status/{receipt.status_token}/"


@pytest.mark.parametrize(
    "path", ["/", "/report/product/", "/report/website/", "/accounts/login/", "/api/v1/openapi.json", "STATUS"]
)
def test_pages_carry_security_headers_and_are_never_cached(client, path, status_path):
    response = client.get(status_path if path == "STATUS" else path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/earlywarn/site.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_unknown_status_link_is_a_plain_404(client, status_path):
    assert client.get(status_path[:-5] + "XXXX/").status_code == 404


def test_session_and_csrf_cookies_are_http_only_and_lax(client):
    response = client.get("/report/product/")
    csrf = response.cookies["earlywarn_csrf"]
    assert csrf["samesite"] == "Lax"
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_deploy_check_passes_for_an_https_installation(tmp_path):
    env = {**os.environ, "EARLYWARN_DATA_DIR": str(tmp_path), "EARLYWARN_BASE_URL": "https://cvd.example.org",
           "DJANGO_SETTINGS_MODULE": "earlywarn.config.settings"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "earlywarn.config.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_serve_links_to_where_it_listens_unless_told_otherwise():
    from earlywarn.config.cli import default_base_url

    assert default_base_url("127.0.0.1", 8765) == "http://127.0.0.1:8765"
    assert default_base_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"  # noqa: S104
    assert default_base_url("::1", 8000) == "http://[::1]:8000"
    assert default_base_url("localhost", 80) == "http://localhost:80"

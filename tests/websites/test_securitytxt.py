"""security.txt discovery against a real HTTP server on loopback: well-formed, malformed, huge, redirecting,
slow and refused responses are all answered with a result, never a hang or a crash (security.md: SSRF)."""

from __future__ import annotations

import time

import pytest
from django.utils import translation

from earlywarn.websites.fetch import discover
from earlywarn.websites.securitytxt import parse
from tests.websites.site import drip, endless, redirect, security_txt, silent, text

WELL_KNOWN = "/.well-known/security.txt"


@pytest.fixture(autouse=True)
def _english():
    """The problems are translated; these tests read the English ones."""
    with translation.override("en"):
        yield


def test_parse_reads_the_fields_of_rfc_9116():
    found = parse(security_txt(extra="Canonical: https://shop.example.test/.well-known/security.txt\n"
                                     "Contact: ftp://nonsense\nPolicy: https://shop.example.test/policy\n"))
    assert found.emails == ["security@shop.example.test"]
    assert [c.kind for c in found.contacts] == ["email", "web"]
    assert found.expires is not None
    assert found.expires.year == 2099
    assert found.encryption == ["https://shop.example.test/pgp-key.txt"]
    assert found.languages == ["ja", "en"]
    assert found.canonical == ["https://shop.example.test/.well-known/security.txt"]
    assert found.usable
    assert len(found.problems) == 1  # the unreadable ftp contact


def test_parse_strips_a_cleartext_signature_and_respects_expiry():
    signed = ("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
              + security_txt(expires="2020-01-01T00:00:00Z") + "- -dash-escaped comment\n"
              "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n")
    found = parse(signed)
    assert found.emails == ["security@shop.example.test"]
    assert found.expired
    assert not found.usable  # RFC 9116 §2.5.5: stale, not to be used
    assert any("2020" in p for p in found.problems)


@pytest.mark.parametrize("body", ["", "\x00\x01garbage", "Contact:\nExpires: tomorrow\n", "::::\n" * 5000,
                                  "Contact: mailto:not an address\n", "Expires: 2030-01-01T00:00:00\n"])
def test_parse_never_raises(body):
    found = parse(body)
    assert not found.usable
    assert found.problems


def test_discovery_finds_the_contacts(site, loopback_fetch):
    site.routes[WELL_KNOWN] = text(security_txt())
    result = discover(f"{site.base}/search?q=1")
    assert result.found is not None
    assert result.found.emails == ["security@shop.example.test"]
    assert result.fetched_from == f"{site.base}{WELL_KNOWN}"
    assert site.requests == [WELL_KNOWN]


def test_same_host_redirect_is_followed_but_not_another_host(site, loopback_fetch):
    site.routes[WELL_KNOWN] = redirect("/security.txt")
    site.routes["/security.txt"] = text(security_txt())
    assert discover(site.base).found.emails == ["security@shop.example.test"]
    site.routes[WELL_KNOWN] = redirect(f"http://localhost:{site.port}/security.txt")
    result = discover(site.base)
    assert result.found is None
    assert "localhost" in result.problems[0]


def test_redirect_loops_end(site, loopback_fetch):
    site.routes[WELL_KNOWN] = redirect(WELL_KNOWN)
    result = discover(site.base)
    assert result.found is None
    assert result.problems
    assert len(site.requests) == 4


@pytest.mark.parametrize(("route", "expected"), [
    (endless(), "larger than"),
    (text("<html>hello</html>", content_type="text/html"), "text/plain"),
    (text("not found", 404), "404"),
    (text(b"Contact: mailto:\xff\xfe@x.test\n"), "could not be fetched"),
])
def test_hostile_answers_give_a_problem(site, loopback_fetch, route, expected):
    site.routes[WELL_KNOWN] = route
    result = discover(site.base)
    assert result.found is None
    assert expected in " ".join(result.problems)


@pytest.mark.parametrize("route", [drip(0.3), silent(10)])
def test_slow_sites_are_given_up_within_the_deadline(site, loopback_fetch, route):
    site.routes[WELL_KNOWN] = route
    started = time.monotonic()
    result = discover(site.base)
    assert time.monotonic() - started < 5
    assert result.found is None
    assert result.problems


def test_loopback_and_plain_http_are_refused_by_default(site, settings):
    site.routes[WELL_KNOWN] = text(security_txt())
    settings.EARLYWARN = {**settings.EARLYWARN, "SECURITY_TXT_ALLOW_HTTP": True, "SECURITY_TXT_ALLOW_PRIVATE": False}
    result = discover(site.base)
    assert result.found is None
    assert "private or local" in result.problems[0]
    for host in ("10.0.0.1", "169.254.169.254", "[::1]", "localhost"):
        assert discover(f"http://{host}:{site.port}/").found is None
    settings.EARLYWARN = {**settings.EARLYWARN, "SECURITY_TXT_ALLOW_HTTP": False, "SECURITY_TXT_ALLOW_PRIVATE": True}
    result = discover(site.base)  # asked over https, which the plain-HTTP test site cannot speak
    assert result.found is None
    assert site.requests == []


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "ftp://example.test/", "https://", "not a url"])
def test_bad_site_addresses_give_a_problem(url):
    result = discover(url)
    assert result.found is None
    assert result.problems

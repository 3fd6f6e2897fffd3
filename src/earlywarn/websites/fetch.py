"""Fetching a site's /.well-known/security.txt without becoming a tool against anyone (security.md: SSRF).

* Every address a host name resolves to is checked before connecting, and the connection goes to the checked
  address (no second lookup, so no DNS rebinding): loopback, private, link-local and other non-global addresses
  are refused unless ``SECURITY_TXT_ALLOW_PRIVATE``.
* https only, unless ``SECURITY_TXT_ALLOW_HTTP`` (development and tests; default: on only when DEBUG is).
* Redirects are not followed automatically; each one is checked: same host, allowed scheme, at most three.
* A connect/read timeout and one total deadline; the body is streamed and cut at ``SECURITY_TXT_MAX_BYTES``.
* No cookies, no credentials, no proxy from the environment.
"""

from __future__ import annotations

import ipaddress
import socket
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from earlywarn.config.knobs import knob_float, knob_int
from earlywarn.websites.securitytxt import SecurityTxt, parse

MAX_REDIRECTS = 3
TEXT_PLAIN = frozenset({"text/plain"})
KEY_MAX_BYTES = 256 * 1024
WELL_KNOWN = "/.well-known/security.txt"


class Refused(Exception):
    """The fetch was refused or failed; the message is translated and safe to show."""


@dataclass
class Discovery:
    url: str
    fetched_from: str = ""
    found: SecurityTxt | None = None
    problems: list[str] = field(default_factory=list)

    def as_data(self) -> dict[str, object]:
        return {"url": self.url, "fetched_from": self.fetched_from, "problems": self.problems,
                "found": self.found.as_data() if self.found else None}


def _address_allowed(address: str) -> bool:
    if settings.EARLYWARN["SECURITY_TXT_ALLOW_PRIVATE"]:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _GuardedBackend(httpcore.SyncBackend):
    """Resolve once, check every address, connect to a checked one (TLS still verifies the host name)."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses or not all(_address_allowed(a) for a in addresses):
            raise _AddressRefused(host)
        return super().connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)


class _AddressRefused(httpcore.ConnectError):
    pass


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             network_backend=_GuardedBackend(), max_connections=2, retries=0)


def _check_url(url: str, host: str | None = None) -> httpx.URL:
    parts = urlsplit(url)
    allowed = {"https", "http"} if settings.EARLYWARN["SECURITY_TXT_ALLOW_HTTP"] else {"https"}
    if parts.scheme not in allowed:
        raise Refused(_("Only https addresses are fetched."))
    if not parts.hostname or parts.username or parts.password:
        raise Refused(_("The address has no usable host name."))
    if host is not None and parts.hostname.lower() != host:
        raise Refused(_("The site redirected to another host (%(host)s); that is not followed.")
                      % {"host": parts.hostname[:100]})
    return httpx.URL(url)


def well_known_url(site_url: str) -> str:
    parts = urlsplit(site_url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Refused(_("The reported address is not a web address."))
    scheme = parts.scheme if settings.EARLYWARN["SECURITY_TXT_ALLOW_HTTP"] else "https"
    port = f":{parts.port}" if parts.port else ""
    return f"{scheme}://{parts.hostname.lower()}{port}{WELL_KNOWN}"


def _read(response: httpx.Response, deadline: float, cap: int) -> bytes:
    body = bytearray()
    for chunk in response.iter_raw():  # whatever arrives: the deadline is checked per read
        body.extend(chunk)
        if len(body) > cap:
            raise Refused(_("The file is larger than %(n)s bytes; it was not read.") % {"n": cap})
        if time.monotonic() > deadline:
            raise Refused(_("The site answered too slowly."))
    return bytes(body)


def _get(client: httpx.Client, url: str, deadline: float, *, media_types: frozenset[str] | None = TEXT_PLAIN,
         cap: int | None = None) -> tuple[str, bytes]:
    host = urlsplit(url).hostname
    for _hop in range(MAX_REDIRECTS + 1):
        target = _check_url(url, host)
        accept = "text/plain" if media_types == TEXT_PLAIN else "application/pgp-keys, text/plain;q=0.5, */*;q=0.1"
        with client.stream("GET", target, headers={"Accept": accept, "Accept-Encoding": "identity"}) as resp:
            if resp.is_redirect:
                location = resp.headers.get("location", "")
                if not location:
                    raise Refused(_("The site answered with a redirect without a target."))
                url = urljoin(url, location)
                continue
            if resp.status_code != 200 and media_types == TEXT_PLAIN:
                raise Refused(_("The site answered %(status)s: there is no security.txt.")
                              % {"status": resp.status_code})
            if resp.status_code != 200:
                raise Refused(_("The site answered %(status)s.") % {"status": resp.status_code})
            media = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media_types is not None and media not in media_types:
                raise Refused(_("The file is not served as text/plain (%(type)s).") % {"type": media[:60] or "—"})
            return url, _read(resp, deadline, cap or knob_int("SECURITY_TXT_MAX_BYTES"))
    raise Refused(_("Too many redirects."))


def _client(seconds: float) -> httpx.Client:
    timeout = httpx.Timeout(connect=min(3.0, seconds), read=min(3.0, seconds), write=3.0, pool=1.0)
    return httpx.Client(transport=_GuardedTransport(), timeout=timeout, follow_redirects=False, trust_env=False,
                        headers={"User-Agent": "earlywarn security.txt discovery"})


def fetch_key(url: str) -> bytes:
    """Fetch an OpenPGP key from ``url`` (security.txt's Encryption) with the same guard, deadline and caps.

    Redirects stay on the key's host. Any content type is accepted (servers use application/pgp-keys,
    text/plain or octet-stream): gpg decides whether it is a key. Raises ``Refused`` with a translated reason.
    """
    if not url.strip():
        raise Refused(_("The contact has no key address; paste the key instead."))
    seconds = knob_float("SECURITY_TXT_DEADLINE_SECONDS")
    with _refusing():
        _check_url(url.strip())
        with _client(seconds) as client:
            _url, raw = _get(client, url.strip(), time.monotonic() + seconds, media_types=None, cap=KEY_MAX_BYTES)
    return raw


@contextmanager
def _refusing() -> Iterator[None]:
    """The site's failures inside as ``Refused`` with a translated reason (connection, TLS, protocol, decoding)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise Refused(_("The site answered too slowly.")) from exc
    except (httpx.HTTPError, httpcore.ProtocolError, ValueError) as exc:
        if isinstance(exc.__cause__, _AddressRefused):
            raise Refused(_("The site's address is private or local; it is not fetched.")) from exc
        raise Refused(_("The file could not be fetched (%(error)s).") % {"error": type(exc).__name__}) from exc


def discover(site_url: str) -> Discovery:
    """Fetch and parse the security.txt of the site of ``site_url``. Never raises for the site's behaviour."""
    result = Discovery(url=site_url)
    seconds = knob_float("SECURITY_TXT_DEADLINE_SECONDS")
    deadline = time.monotonic() + seconds
    try:
        with _refusing():
            url = well_known_url(site_url)
            with _client(seconds) as client:
                result.fetched_from, raw = _get(client, url, deadline)
            text = raw.decode("utf-8")
    except Refused as exc:
        result.problems.append(str(exc))
        return result
    result.found = parse(text.removeprefix("\ufeff"))
    result.problems.extend(result.found.problems)
    canonical = result.found.canonical
    if canonical and result.fetched_from not in canonical:
        result.problems.append(_("The file was fetched from an address its Canonical field does not list."))
    return result

"""The production server's fast path: published advisories answered from their files, without entering Django.

``PublicFiles.answer`` decides, for one request, whether it may be answered from a file written by
``advisories/public_files.py`` and builds exactly the answer Django would give; ``None`` means "ask Django". Only:

* GET or HEAD of exactly ``/advisories/<id>/``, ``/advisories/<id>/osv.json`` or
  ``/.well-known/csaf/white/<year>/<file>.json[.sha256|.sha512|.asc]``, without a query string (the patterns
  admit no dot segment and no slash inside a name, so no path leads outside the build directory);
* anonymous requests: a request carrying any cookie other than the language and CSRF cookies (a session, messages)
  or an Authorization header goes to Django, which shows a signed-in user their own page;
* a host Django accepts (``ALLOWED_HOSTS``), and not a plain-HTTP request that Django would redirect to HTTPS;
* no ``If-Match``, ``If-Unmodified-Since`` or ``Range`` (Django answers those).

The language is chosen by Django's own ``get_language_from_request`` (language cookie, then Accept-Language, then
the default), as ``LocaleMiddleware`` does. Conditional GET follows Django's ``get_conditional_response``:
``If-None-Match`` (weak comparison, ``*``) first, ``If-Modified-Since`` only without it; a 304 carries the headers
Django's 304 carries. ``tests/advisories/test_public_files.py`` compares both answers header by header.

``asgi_app`` wraps Django's ASGI application for uvicorn, which keeps connections alive and is the fast one
(``earlywarn serve``); ``wsgi_app`` wraps Django's WSGI application for gunicorn's workers (``--threads``, or
gunicorn run by hand) (docs/advisories.md "Serving", decision 0009).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import parse_etags, parse_http_date_safe
from django.utils.translation import get_language_from_request

from earlywarn.advisories import public_files

Answer = tuple[int, list[tuple[str, str]], bytes]
STATUS = {200: "200 OK", 304: "304 Not Modified"}
_NAME = r"[A-Za-z0-9_-]+"
PAGE = re.compile(rf"/advisories/({_NAME})/")
FILE = re.compile(rf"/advisories/{_NAME}/osv\.json|/\.well-known/csaf/white/[0-9]{{4}}/[a-z0-9+_-]+\.json"
                  r"(?:\.sha256|\.sha512|\.asc)?")
NOT_ON_304 = frozenset({"content-type", "cache-control"})  # what Django's 304 lacks (the view did not run)
CACHE_ENTRIES = 2048  # files kept in memory per process (a page is about 5 KB)
REFUSED_HEADERS = ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE", "HTTP_AUTHORIZATION")


class _Request:
    """The two attributes ``get_language_from_request`` reads."""

    __slots__ = ("COOKIES", "META")

    def __init__(self, cookies: dict[str, str], meta: dict[str, Any]) -> None:
        self.COOKIES = cookies
        self.META = meta


def _cookies(header: str) -> dict[str, str]:
    from django.http.cookie import parse_cookie

    return parse_cookie(header) if header else {}


class PublicFiles:
    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.base = f"{root}{os.sep}" if root is not None else ""
        self.allowed_cookies = frozenset({settings.LANGUAGE_COOKIE_NAME, settings.CSRF_COOKIE_NAME})
        self.allowed_hosts = list(settings.ALLOWED_HOSTS)
        self.forwarded_host = bool(settings.USE_X_FORWARDED_HOST)
        self.proxy_ssl = settings.SECURE_PROXY_SSL_HEADER
        self.ssl_redirect = bool(settings.SECURE_SSL_REDIRECT)
        hsts = ""
        if settings.SECURE_HSTS_SECONDS:
            hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
            hsts += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
            hsts += "; preload" if settings.SECURE_HSTS_PRELOAD else ""
        self.hsts = hsts
        # The same few Host, Cookie and Accept-Language values come again and again: decide each once.
        self.host_ok = lru_cache(maxsize=256)(self._host_ok)
        self.visitor_language = lru_cache(maxsize=4096)(self._visitor_language)
        self.cache: dict[str, tuple[tuple[int, int, int], tuple[list[tuple[str, str]], bytes]]] = {}

    @classmethod
    def from_settings(cls) -> PublicFiles:
        return cls(public_files.public_root())

    def candidate(self, method: str, path: str, query: str) -> bool:
        """Cheap first test: could this request be answered from a file at all?"""
        return (self.root is not None and method in {"GET", "HEAD"} and not query
                and (PAGE.fullmatch(path) is not None or FILE.fullmatch(path) is not None))

    def _secure(self, meta: dict[str, Any], scheme: str) -> bool:
        if self.proxy_ssl:
            header, secure_value = self.proxy_ssl
            value = meta.get(header)
            if value is not None:
                return bool(value.split(",", 1)[0].strip() == secure_value)
        return scheme == "https"

    def _host_ok(self, host: str) -> bool:
        domain, _port = split_domain_port(host)
        return bool(domain) and validate_host(domain, self.allowed_hosts)

    def _visitor_language(self, cookie: str, accept_language: str) -> str | None:
        """The language Django would pick, or None when a cookie says this may not be an anonymous visitor."""
        cookies = _cookies(cookie)
        if not self.allowed_cookies.issuperset(cookies):
            return None
        meta = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
        language = get_language_from_request(_Request(cookies, meta))  # type: ignore[arg-type]
        return language if language in public_files.LANGUAGES else None

    def answer(self, method: str, path: str, query: str, meta: dict[str, Any], scheme: str) -> Answer | None:
        """The answer for a request (WSGI-style ``meta``), or None: Django answers it."""
        if not self.candidate(method, path, query):
            return None
        if any(name in meta for name in REFUSED_HEADERS):
            return None
        host = (meta.get("HTTP_X_FORWARDED_HOST") if self.forwarded_host else None) or meta.get("HTTP_HOST") \
            or f"{meta.get('SERVER_NAME', '')}:{meta.get('SERVER_PORT', '')}"
        if not self.host_ok(host):
            return None
        language = self.visitor_language(meta.get("HTTP_COOKIE", ""), meta.get("HTTP_ACCEPT_LANGUAGE", ""))
        if language is None:
            return None
        secure = self._secure(meta, scheme)
        if self.ssl_redirect and not secure:
            return None
        decoded = self._read(self.base + public_files.relative_file(path, language))
        if decoded is None:
            return None
        stored, body = decoded
        extra = [("Content-Language", language)]
        if self.hsts and secure:
            extra.append(("Strict-Transport-Security", self.hsts))
        if ("HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MODIFIED_SINCE" in meta) and self._not_modified(stored, meta):
            headers = [(k, v) for k, v in stored if k.lower() not in NOT_ON_304]
            return 304, [*headers, *extra, ("Content-Length", "0")], b""
        return 200, [*stored, *extra, ("Content-Length", str(len(body)))], (b"" if method == "HEAD" else body)

    def _read(self, filename: str) -> tuple[list[tuple[str, str]], bytes] | None:
        """(headers, body) of a file, from this process's cache while the file is the same one (a replaced file is
        a new inode: public_files writes by rename), or None: no such file, or not one of ours."""
        try:
            stat = os.stat(filename)
            key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            cached = self.cache.get(filename)
            if cached is not None and cached[0] == key:
                return cached[1]
            with open(filename, "rb") as handle:
                data = handle.read()
        except OSError:  # not written (yet), removed by a publication in progress, or anything else: Django
            return None
        decoded = public_files.decode(data)
        if decoded is not None and len(data) == stat.st_size:
            if len(self.cache) >= CACHE_ENTRIES:
                self.cache.pop(next(iter(self.cache)))  # the oldest entry
            self.cache[filename] = (key, decoded)
        return decoded

    @staticmethod
    def _not_modified(stored: list[tuple[str, str]], meta: dict[str, Any]) -> bool:
        """Django's get_conditional_response for GET/HEAD, given the stored ETag and Last-Modified."""
        etag = next((v for k, v in stored if k.lower() == "etag"), "")
        etags = parse_etags(meta.get("HTTP_IF_NONE_MATCH", ""))
        if etags:
            if not etag:
                return False
            if etags == ["*"]:
                return True
            return etag.strip("W/") in (e.strip("W/") for e in etags)
        since = parse_http_date_safe(meta.get("HTTP_IF_MODIFIED_SINCE", ""))
        if since is None:
            return False
        modified = parse_http_date_safe(next((v for k, v in stored if k.lower() == "last-modified"), ""))
        return modified is not None and modified <= since


# --- WSGI ---------------------------------------------------------------------------------------------------

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(django: WSGIApp, files: PublicFiles | None = None) -> WSGIApp:
    files = files or PublicFiles.from_settings()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("SCRIPT_NAME"):
            answer = files.answer(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""),
                                  environ.get("QUERY_STRING", ""), environ, environ.get("wsgi.url_scheme", "http"))
            if answer is not None:
                status, headers, body = answer
                start_response(STATUS[status], headers)
                return [body]
        return django(environ, start_response)

    return application


# --- ASGI ---------------------------------------------------------------------------------------------------

Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
ASGIApp = Callable[..., Any]  # (scope, receive, send) -> awaitable


def _meta(scope: dict[str, Any]) -> dict[str, Any] | None:
    """The request headers as WSGI-style META (None when a header is repeated: Django answers that)."""
    meta: dict[str, Any] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        key = name if name in {"CONTENT_LENGTH", "CONTENT_TYPE"} else f"HTTP_{name}"
        if key in meta:
            return None
        meta[key] = raw_value.decode("latin-1")
    server = scope.get("server") or ("", "")
    meta["SERVER_NAME"], meta["SERVER_PORT"] = str(server[0]), str(server[1])
    return meta


def asgi_app(django: ASGIApp, files: PublicFiles | None = None) -> ASGIApp:
    files = files or PublicFiles.from_settings()

    async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":  # Django's ASGI handler does not speak lifespan; nothing to start or stop
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if kind == "http" and not scope.get("root_path"):
            method, path = scope["method"], scope["path"]
            query = scope.get("query_string", b"").decode("latin-1")
            if files.candidate(method, path, query):
                meta = _meta(scope)
                answer = files.answer(method, path, query, meta, scope.get("scheme", "http")) if meta else None
                if answer is not None:
                    status, headers, body = answer
                    await send({"type": "http.response.start", "status": status,
                                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]})
                    await send({"type": "http.response.body", "body": body})
                    return
        await django(scope, receive, send)

    return application

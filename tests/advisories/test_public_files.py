"""Published advisories as files (advisories/public_files.py) and the production server's fast path
(config/fastpath.py): written only after publication, byte for byte what Django serves an anonymous visitor,
replaced on revision and withdrawal, answered with Django's headers, validators and 304s, never for signed-in users,
never outside the public directory."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from earlywarn.advisories import public_files, withdrawal
from earlywarn.cases.policy import Actor
from earlywarn.config import fastpath
from tests.advisories.conftest import TEXTS, client_for, make_draft, publish

pytestmark = pytest.mark.django_db
IGNORED = {"date", "server"}


@pytest.fixture
def public(settings, tmp_path) -> Path:
    settings.EARLYWARN_PUBLIC_DIR = tmp_path / "public"
    return tmp_path / "public"


@pytest.fixture
def served(public, author, approver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return publish(make_draft(author), author, approver)


def _root() -> Path:
    root = public_files.public_root()
    assert root is not None
    return root


def _files() -> list[Path]:
    root = public_files.public_dir()
    # Not the build's bookkeeping (its lock and "complete" marker): only answers.
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")) \
        if root and root.exists() else []


class FakeDjango:
    """Stands for Django behind the fast path: records what fell through."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls.append(environ["PATH_INFO"])
        start_response("299 Django", [("Content-Type", "text/plain")])
        return [b"django"]


def wsgi(path: str, *, method: str = "GET", query: str = "", **headers: str) -> tuple[str, dict[str, str], bytes,
                                                                                       FakeDjango]:
    django = FakeDjango()
    app = fastpath.wsgi_app(django)
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
               "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
               "wsgi.url_scheme": "http"}
    environ.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
    answer: dict[str, Any] = {}

    def start_response(status: str, header_list: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = status, header_list

    body = b"".join(app(environ, start_response))
    names = [name.lower() for name, _ in answer["headers"]]
    assert len(names) == len(set(names)), names  # no header twice
    return answer["status"], {k.lower(): v for k, v in answer["headers"]}, body, django


def _headers(response: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in response.items() if k.lower() not in IGNORED}


def _urls(revision: Any) -> list[str]:
    return [url for url, _ in public_files.urls_of(revision)]


# --- writing ------------------------------------------------------------------------------------------------

def test_nothing_before_publication_and_every_file_after(public, author, approver, django_capture_on_commit_callbacks,
                                                         signing_key):
    with django_capture_on_commit_callbacks(execute=True):
        draft = make_draft(author, title_en="CANARY-EMBARGOED draft title")
        public_files.rebuild()
        assert _files() == []  # a draft has no file, not even after a rebuild
        from earlywarn.advisories import services

        approved = services.advisory_approve(actor=Actor.for_user(approver), advisory=draft)
        assert _files() == []
        revision = services.advisory_publish(actor=Actor.for_user(author), advisory=approved)
        assert _files() == []  # still inside the publishing transaction: nothing yet
    names = {str(p.relative_to(_root())) for p in _files()}
    year_path = revision.csaf_path
    assert names == {f"advisories/{revision.slug}/index.ja.html", f"advisories/{revision.slug}/index.en.html",
                     f"advisories/{revision.slug}/osv.json",
                     *(f".well-known/csaf/{p}{s}" for p in (year_path, revision.vex_csaf_path)
                       for s in ("", ".sha256", ".sha512", ".asc"))}


def test_a_rolled_back_publication_writes_nothing(public, author, approver, django_capture_on_commit_callbacks):
    from django.db import transaction

    from earlywarn.advisories import services

    draft = services.advisory_approve(actor=Actor.for_user(approver), advisory=make_draft(author))

    def publish_then_fail() -> None:
        with transaction.atomic():
            services.advisory_publish(actor=Actor.for_user(author), advisory=draft)
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        publish_then_fail()
    assert callbacks == []
    assert _files() == []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_each_file_is_what_django_serves_an_anonymous_visitor(served, language):
    for url, file_language in public_files.urls_of(served):
        if file_language and file_language != language:
            continue
        expected = Client().get(url, headers={"accept-language": language})
        if expected.status_code != 200:
            assert not (_root() / public_files.relative_file(url, file_language)).exists()
            continue
        status, headers, body, django = wsgi(url, ACCEPT_LANGUAGE=language)
        assert django.calls == [], url
        assert status == "200 OK"
        assert body == expected.content, url
        assert headers == _headers(expected), url


def test_the_page_is_the_same_for_everyone(served):
    """No CSRF token, no cookie: the language switch is a GET form (web/language.py)."""
    response = Client().get(f"/advisories/{served.slug}/")
    assert not response.cookies
    assert b"csrfmiddlewaretoken" not in response.content
    assert b'method="get" class="lang"' in response.content
    with_csrf = Client()
    with_csrf.cookies["earlywarn_csrf"] = "x" * 32
    assert with_csrf.get(f"/advisories/{served.slug}/").content == response.content


def test_the_language_switch_by_get(served):
    page = f"/advisories/{served.slug}/"
    client = Client()
    response = client.get("/i18n/setlang/", {"language": "en", "next": page})
    assert response.status_code == 302
    assert response.headers["Location"] == page
    assert response.cookies["earlywarn_language"].value == "en"
    assert client.get(page)["Content-Language"] == "en"
    evil = client.get("/i18n/setlang/", {"language": "ja", "next": "https://evil.example/"})
    assert evil.headers["Location"] == "/"
    assert "earlywarn_language" not in Client().get("/i18n/setlang/", {"language": "xx", "next": "/"}).cookies


def test_a_revision_replaces_and_a_withdrawal_updates_the_files(served, author, approver,
                                                                django_capture_on_commit_callbacks):
    from earlywarn.advisories import services

    page = _root() / f"advisories/{served.slug}/index.en.html"
    document = _root() / f".well-known/csaf/{served.csaf_path}"
    before_page, before_document = page.read_bytes(), document.read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        edited = services.advisory_update(actor=Actor.for_user(author), advisory=served.advisory,
                                          fields={"credits_en": "Taro Yamada (REVISED-CREDIT)",
                                                  "revision_summary_en": "Credits"})
        publish(edited, author, approver)
    assert b"REVISED-CREDIT" in page.read_bytes()
    assert page.read_bytes() != before_page
    assert document.read_bytes() != before_document
    assert wsgi(f"/advisories/{served.slug}/", ACCEPT_LANGUAGE="en")[2] == Client().get(
        f"/advisories/{served.slug}/", headers={"accept-language": "en"}).content
    advisory = edited.__class__.objects.get(pk=edited.pk)
    with django_capture_on_commit_callbacks(execute=True):
        advisory = withdrawal.withdrawal_request(actor=Actor.for_user(author), advisory=advisory,
                                                 reason_en="WITHDRAWN-BECAUSE duplicate")
        assert b"WITHDRAWN-BECAUSE" not in page.read_bytes()
        withdrawal.advisory_withdraw(actor=Actor.for_user(approver), advisory=advisory)
        assert not page.exists()  # removed inside the transaction: Django answers until the commit
    assert b"WITHDRAWN-BECAUSE" in page.read_bytes()
    assert b"[WITHDRAWN]" in document.read_bytes()
    *_, body, django = wsgi(f"/.well-known/csaf/{served.csaf_path}")
    assert body == Client().get(f"/.well-known/csaf/{served.csaf_path}").content
    assert django.calls == []


def test_a_failed_write_leaves_no_file_and_does_not_fail_the_publication(public, author, approver, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    def broken(url: str, language: str) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(public_files, "render", broken)
    with django_capture_on_commit_callbacks(execute=True):
        revision = publish(make_draft(author), author, approver)
    assert revision.pk
    assert _files() == []


def test_rebuild_command_writes_every_published_advisory_and_drops_old_builds(served, public, author, approver):
    old = public / "0000000000000000" / "advisories" / "x"
    old.mkdir(parents=True)
    publish(make_draft(author), author, approver)  # no on_commit here: no files for it yet
    for path in _files():
        path.unlink()
    stale = _root() / "advisories" / "EW00000000" / "index.ja.html"  # e.g. left by a database restored from a backup
    stale.parent.mkdir(parents=True)
    stale.write_bytes(public_files.encode([], b"restored"))
    call_command("advisory_public_files")
    assert not old.exists()
    assert not stale.exists()
    assert len([p for p in _files() if p.name == "index.ja.html"]) == 2


def test_files_are_not_served_after_a_settings_or_version_change(served, settings):
    url = f"/advisories/{served.slug}/"
    assert wsgi(url)[3].calls == []
    settings.TIME_ZONE = "UTC"  # dates on the page change: another build
    assert wsgi(url)[3].calls == [url]


# --- the fast path ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["page", "csaf", "sha512", "osv"])
def test_conditional_get_and_head_like_django(served, kind):
    url = {"page": f"/advisories/{served.slug}/", "csaf": f"/.well-known/csaf/{served.csaf_path}",
           "sha512": f"/.well-known/csaf/{served.csaf_path}.sha512",
           "osv": f"/advisories/{served.slug}/osv.json"}[kind]
    full = Client().get(url)
    etag, modified = full["ETag"], full["Last-Modified"]
    for headers, status in (({"IF_NONE_MATCH": etag}, 304), ({"IF_NONE_MATCH": f"W/{etag}"}, 304),
                            ({"IF_NONE_MATCH": f'"other", {etag}'}, 304), ({"IF_NONE_MATCH": "*"}, 304),
                            ({"IF_MODIFIED_SINCE": modified}, 304), ({"IF_NONE_MATCH": '"other"'}, 200),
                            ({"IF_NONE_MATCH": '"other"', "IF_MODIFIED_SINCE": modified}, 200),
                            ({"IF_MODIFIED_SINCE": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200),
                            ({"IF_MODIFIED_SINCE": "garbage"}, 200)):
        code, got, body, django = wsgi(url, **headers)
        expected = Client().get(url, headers={k.lower().replace("_", "-"): v for k, v in headers.items()})
        assert django.calls == []
        assert int(code[:3]) == expected.status_code == status, headers
        assert got == _headers(expected), headers
        assert body == expected.content
    code, got, body, _ = wsgi(url, method="HEAD")
    head = Client().head(url)
    assert code == "200 OK"
    assert head.status_code == 200
    assert body == b""
    assert got == _headers(head)
    assert got["content-length"] == str(len(full.content))


def test_language_as_django_picks_it(served):
    url = f"/advisories/{served.slug}/"
    for headers, language in (({}, "ja"), ({"ACCEPT_LANGUAGE": "en-US,en;q=0.9"}, "en"),
                              ({"ACCEPT_LANGUAGE": "fr, en;q=0.5"}, "en"), ({"ACCEPT_LANGUAGE": "de"}, "ja"),
                              ({"ACCEPT_LANGUAGE": "en", "COOKIE": "earlywarn_language=ja"}, "ja"),
                              ({"COOKIE": "earlywarn_language=en; earlywarn_csrf=abc"}, "en"),
                              ({"COOKIE": "earlywarn_language=xx", "ACCEPT_LANGUAGE": "en"}, "en")):
        _code, got, body, django = wsgi(url, **headers)
        assert django.calls == [], headers
        assert got["content-language"] == language, headers
        assert (_root() / f"advisories/{served.slug}/index.{language}.html").read_bytes().endswith(body)


def test_signed_in_users_and_other_cookies_get_django(served, author):
    url = f"/advisories/{served.slug}/"
    client = client_for(author)
    session = client.cookies["earlywarn_session"].value
    for cookie in (f"earlywarn_session={session}", "messages=abc",
                   f"earlywarn_language=en; earlywarn_session={session}"):
        assert wsgi(url, COOKIE=cookie)[3].calls == [url], cookie
    assert wsgi(url, AUTHORIZATION="Bearer x")[3].calls == [url]
    signed_in = client.get(url).content
    assert b"/accounts/logout/" in signed_in
    assert b"/accounts/logout/" not in wsgi(url)[2]


@pytest.mark.parametrize(("method", "path", "query", "headers"), [
    ("POST", "{page}", "", {}), ("PUT", "{page}", "", {}), ("GET", "{page}", "x=1", {}),
    ("GET", "{page}", "", {"IF_MATCH": '"x"'}), ("GET", "{page}", "", {"RANGE": "bytes=0-1"}),
    ("GET", "{page}", "", {"HOST": "evil.example"}), ("GET", "/advisories/{slug}", "", {}),
    ("GET", "/advisories/{slug}/index.ja.html", "", {}), ("GET", "/advisories/EW00000000/", "", {}),
    ("GET", "/advisories/../../../etc/passwd/", "", {}), ("GET", "/advisories/..%2F..%2Fx/", "", {}),
    ("GET", "/advisories/{slug}/../{slug}/", "", {}), ("GET", "/advisories/%2e%2e/", "", {}),
    ("GET", "/.well-known/csaf/white/2026/../../../../secret_key", "", {}),
    ("GET", "/.well-known/csaf/white/2026/..%2f..%2fx.json", "", {}),
    ("GET", "/.well-known/csaf/provider-metadata.json", "", {}), ("GET", "/.well-known/csaf/white/index.txt", "", {}),
    ("GET", "/advisories/", "", {}),
])
def test_everything_else_goes_to_django(served, method, path, query, headers):
    path = path.format(page=f"/advisories/{served.slug}/", slug=served.slug)
    assert wsgi(path, method=method, query=query, **headers)[3].calls == [path]


def test_unknown_ids_404_like_django_and_a_missing_file_falls_through(served):
    assert Client().get("/advisories/EW00000000/").status_code == 404
    url = f"/advisories/{served.slug}/"
    (_root() / f"advisories/{served.slug}/index.ja.html").unlink()
    assert wsgi(url)[3].calls == [url]
    assert wsgi(url, ACCEPT_LANGUAGE="en")[3].calls == []


def test_a_file_that_is_not_ours_is_not_served(served):
    url = f"/advisories/{served.slug}/"
    (_root() / f"advisories/{served.slug}/index.ja.html").write_bytes(b"<html>planted</html>")
    assert wsgi(url)[3].calls == [url]


def test_https_behind_a_proxy_gets_hsts_and_plain_http_is_left_to_django(served, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    url = f"/advisories/{served.slug}/"
    assert wsgi(url)[3].calls == [url]  # Django redirects to https
    _code, got, _body, django = wsgi(url, X_FORWARDED_PROTO="https")
    expected = Client().get(url, headers={"x-forwarded-proto": "https"})
    assert django.calls == []
    assert got["strict-transport-security"] == expected["Strict-Transport-Security"]


def test_asgi_answers_from_the_file_and_passes_the_rest(served):
    url = f"/advisories/{served.slug}/"
    passed: list[str] = []

    async def django(scope: dict[str, Any], receive: Any, send: Any) -> None:
        passed.append(scope["path"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = fastpath.asgi_app(django)

    def call(path: str, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "scheme": "http",
                 "headers": [(b"host", b"testserver"), *headers], "server": ("testserver", 80), "root_path": ""}
        asyncio.run(app(scope, receive, send))
        return sent

    sent = call(url, [(b"accept-language", b"en")])
    expected = Client().get(url, headers={"accept-language": "en"})
    assert passed == []
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == expected.content
    assert {k.decode(): v.decode() for k, v in sent[0]["headers"]} == _headers(expected)
    etag = expected["ETag"].encode()
    assert call(url, [(b"accept-language", b"en"), (b"if-none-match", etag)])[0]["status"] == 304
    call(url, [(b"cookie", b"earlywarn_session=abc")])
    call(url, [(b"cookie", b"a=1"), (b"cookie", b"b=2")])
    assert passed == [url, url]
    assert TEXTS["title_en"].encode() in sent[1]["body"]


def test_a_running_server_sees_a_replaced_file_at_once(served, author, approver, django_capture_on_commit_callbacks):
    """The per-process cache keys on the file's inode, time and size: a rename by the writer is a new file."""
    from earlywarn.advisories import services

    files = fastpath.PublicFiles.from_settings()
    meta = {"HTTP_HOST": "testserver", "HTTP_ACCEPT_LANGUAGE": "en"}
    url = f"/advisories/{served.slug}/"
    first = files.answer("GET", url, "", meta, "http")
    assert first is not None
    assert files.answer("GET", url, "", meta, "http") == first
    with django_capture_on_commit_callbacks(execute=True):
        edited = services.advisory_update(actor=Actor.for_user(author), advisory=served.advisory,
                                          fields={"credits_en": "CACHE-BUSTED", "revision_summary_en": "Credits"})
        publish(edited, author, approver)
    second = files.answer("GET", url, "", meta, "http")
    assert second is not None
    assert b"CACHE-BUSTED" in second[2]
    assert second[1] != first[1]


def _post(path: str, length: int, parts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """POST through the production ASGI application; (messages sent, body parts the application read)."""
    from earlywarn.config import asgi

    sent: list[dict[str, Any]] = []
    offered = len(parts)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0)
        if parts:
            return parts.pop(0)
        await asyncio.sleep(3600)  # the rest of the body never comes
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "query_string": b"", "scheme": "http",
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded"),
                         (b"content-length", str(length).encode())], "server": ("testserver", 80),
             "client": ("1.2.3.4", 5), "root_path": "", "http_version": "1.1", "asgi": {"version": "3.0"}}
    asyncio.run(asyncio.wait_for(asgi.application(scope, receive, send), 30))
    return sent, offered - len(parts)


def test_an_oversized_body_is_refused_through_the_asgi_application_without_being_read(settings):
    settings.EARLYWARN_MAX_REQUEST_BYTES, settings.EARLYWARN_MAX_ATTACHMENTS = 100, 0
    parts = [{"type": "http.request", "body": b"x" * 60, "more_body": True}] * 3  # a client still sending
    sent, read = _post("/report/product/", 1_000_000_000, parts)
    assert sent[0]["status"] == 413
    assert read == 0


def test_a_body_within_the_limit_reaches_django_through_the_asgi_application(settings):
    settings.EARLYWARN_MAX_REQUEST_BYTES, settings.EARLYWARN_MAX_ATTACHMENTS = 100, 0
    body = b"a=1&b=2"
    sent, read = _post("/report/product/", len(body), [{"type": "http.request", "body": body, "more_body": False}])
    assert sent[0]["status"] not in {413, 500}  # Django read and judged the form (CSRF or validation)
    assert read == 1


def test_serve_runs_uvicorn_with_the_asgi_application_and_gunicorn_with_threads():
    from earlywarn.config import cli

    args = cli.build_parser().parse_args(["serve", "--port", "8123", "--workers", "3"])
    argv = cli.web_argv(args.host, args.port, workers=args.workers, threads=args.threads)
    assert argv[1:4] == ["-m", "uvicorn", "earlywarn.config.asgi:application"]
    assert argv[argv.index("--workers") + 1] == "3"
    assert "--no-access-log" in argv
    threaded = cli.web_argv("127.0.0.1", 8000, workers=2, threads=4, access_log=True)
    assert threaded[1:4] == ["-m", "gunicorn", "earlywarn.config.wsgi:application"]
    assert threaded[threaded.index("--threads") + 1] == "4"


def test_forwarded_headers_are_believed_only_behind_a_proxy(monkeypatch):
    """Not behind a proxy, no X-Forwarded-* header may make a request https or another client (uvicorn and
    gunicorn believe them from 127.0.0.1 by default)."""
    from earlywarn.config import cli

    monkeypatch.delenv("EARLYWARN_BEHIND_PROXY", raising=False)
    assert "--no-proxy-headers" in cli.web_argv("127.0.0.1", 8000, workers=1)
    threaded = cli.web_argv("127.0.0.1", 8000, workers=1, threads=4)
    assert threaded[threaded.index("--forwarded-allow-ips") + 1] == ""  # no address trusted
    monkeypatch.setenv("EARLYWARN_BEHIND_PROXY", "true")
    assert "--proxy-headers" in cli.web_argv("127.0.0.1", 8000, workers=1)
    assert "--forwarded-allow-ips" not in cli.web_argv("127.0.0.1", 8000, workers=1, threads=4)


# --- the build after an upgrade -------------------------------------------------------------------------------

def test_after_a_settings_change_the_worker_writes_the_new_build_once(served, settings):
    from earlywarn.advisories.tasks import build_public_files

    url = f"/advisories/{served.slug}/"
    old = _root()
    settings.TIME_ZONE = "UTC"  # another build: nothing to serve from yet
    assert wsgi(url)[3].calls == [url]
    assert build_public_files.call() == len(public_files.urls_of(served, existing=True))
    assert wsgi(url)[3].calls == []  # answered from the new build's file
    assert not old.exists()
    page = _root() / public_files.relative_file(url, "ja")
    written = page.stat().st_mtime_ns
    assert build_public_files.call() == 0  # complete: not rebuilt every time the scheduler asks
    assert page.stat().st_mtime_ns == written


def test_one_full_build_at_a_time(served, public):
    import fcntl

    from earlywarn.advisories.tasks import build_public_files

    (_root() / public_files.COMPLETE).unlink(missing_ok=True)
    with open(public / ".build.lock", "a") as held:  # another process building: its own open file
        fcntl.flock(held, fcntl.LOCK_EX)
        assert build_public_files.call() == 0
        with pytest.raises(CommandError, match="Another process"):
            call_command("advisory_public_files")
        assert not (_root() / public_files.COMPLETE).exists()
        call_command("advisory_public_files", served.slug)  # one advisory's files need no lock
    assert build_public_files.call() == len(public_files.urls_of(served, existing=True))
    assert (_root() / public_files.COMPLETE).exists()


def test_a_new_installation_has_nothing_to_build(public):
    assert public_files.build_if_missing() == 0
    assert (_root() / public_files.COMPLETE).exists()


def test_the_scheduler_asks_for_the_build():
    from earlywarn.advisories.tasks import build_public_files
    from earlywarn.config.periodic import periodic_jobs

    assert any(job.task is build_public_files for job in periodic_jobs())

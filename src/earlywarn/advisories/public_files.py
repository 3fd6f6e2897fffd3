"""Published advisories as files, so that the production server answers them without entering Django.

After a publication, revision, import or withdrawal commits, every public by-id URL of the advisory (its page in
each language, its OSV record, its CSAF documents with their hashes and signatures) is rendered through Django's
own request handling exactly as an anonymous visitor gets it, and written below ``public_root()``. The
production server (``config/fastpath.py``) answers anonymous GET/HEAD requests of exactly those URLs from these
files; anything else, and any URL whose file is missing, goes to Django, which stays the source of truth.

* **Nothing before publication.** Files are made only from what Django serves anonymously at a public URL, which
  reads published revisions only; a URL that does not answer 200 gets no file (tests/advisories/test_public_files.py).
* **Never stale.** The advisory's files are removed *inside* the publishing transaction, before it commits, and
  written again after it commits (``transaction.on_commit``). A crash or an error in between only costs speed.
  A writer that finds, after writing, that the current revision changed meanwhile removes what it wrote.
* **One file per answer**, written to a temporary file and renamed: a header line (``MAGIC`` + JSON: the headers
  Django sent, its ETag and Last-Modified), then the body. Headers and body can never be mixed up.
* **A stamp per build.** Files live in ``<public dir>/<stamp>/`` where the stamp hashes the engine version and
  every setting that shapes the answers (base URL, time zone, static URL, security headers): after an upgrade or
  a settings change the server no longer finds the old files and asks Django, until ``earlywarn manage
  advisory_public_files`` has rebuilt them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings

if TYPE_CHECKING:
    from django.core.handlers.base import BaseHandler

    from earlywarn.advisories.models import AdvisoryRevision

log = logging.getLogger("earlywarn.advisories.public_files")

MAGIC = b"EWPUB1 "
LANGUAGES = ("ja", "en")
# Set per request by the server (Content-Language follows the visitor's language like LocaleMiddleware's; HSTS
# depends on the request's scheme) or by the HTTP server itself.
DYNAMIC_HEADERS = frozenset({"content-length", "content-language", "strict-transport-security", "date", "server"})
CSAF_SUFFIXES = ("", ".sha256", ".sha512", ".asc")
COMPLETE = ".complete"  # in a build directory: every published advisory's files were written


def public_dir() -> Path | None:
    """``EARLYWARN_PUBLIC_DIR`` (default ``<data dir>/public``); None when the files are switched off."""
    value = getattr(settings, "EARLYWARN_PUBLIC_DIR", None)
    return Path(value) if value else None


def stamp() -> str:
    """Names the build: the engine version and every setting that changes what Django answers for these URLs."""
    from earlywarn.advisories import csaf_doc
    from earlywarn.web.middleware import CSP

    parts = [csaf_doc.engine_version(), settings.BASE_URL, settings.STATIC_URL, settings.TIME_ZONE,
             settings.LANGUAGE_CODE, settings.LANGUAGE_COOKIE_NAME, settings.X_FRAME_OPTIONS,
             str(settings.SECURE_REFERRER_POLICY), str(settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
             str(settings.SECURE_CONTENT_TYPE_NOSNIFF), CSP, json.dumps(settings.EARLYWARN, sort_keys=True,
                                                                          default=str)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def public_root() -> Path | None:
    """The directory of the current build (``<public dir>/<stamp>``), or None when switched off."""
    base = public_dir()
    return base / stamp() if base is not None else None


def relative_file(url: str, language: str) -> str:
    """The file below the build directory that answers ``url`` (a page: one file per language)."""
    rel = url.lstrip("/")
    return f"{rel}index.{language}.html" if rel.endswith("/") or not rel else rel


def urls_of(revision: AdvisoryRevision, *, existing: bool = False) -> list[tuple[str, str]]:
    """(URL, language) of every public by-id answer a revision may have ("" where the answer has one language);
    ``existing``: only those it has (an OSV record, signatures), so that rendering asks for no 404."""
    from earlywarn.advisories import osv

    page = f"/advisories/{revision.slug}/"
    urls = [(page, language) for language in LANGUAGES]
    if not existing or (revision.content and osv.applies(revision.content)):
        urls.append((f"{page}osv.json", ""))
    for path, signature in ((revision.csaf_path, revision.csaf_signature),
                            (revision.vex_csaf_path, revision.vex_csaf_signature)):
        if path:
            urls += [(f"/.well-known/csaf/{path}{suffix}", "") for suffix in CSAF_SUFFIXES
                     if not existing or suffix != ".asc" or signature]
    return urls


# --- rendering through Django ------------------------------------------------------------------------------

_handler: BaseHandler | None = None


def _django() -> BaseHandler:
    global _handler
    if _handler is None:
        from django.core.handlers.base import BaseHandler

        handler = BaseHandler()
        handler.load_middleware()
        _handler = handler
    return _handler


def render(url: str, language: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) that Django answers an anonymous GET of ``url`` on the base URL's host, with
    ``Accept-Language: language``: the full middleware chain and view, as for a visitor without cookies."""
    from django.core.handlers.wsgi import WSGIRequest
    from django.http import HttpResponse
    from django.utils import translation

    base = urlsplit(settings.BASE_URL)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET", "PATH_INFO": url, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": base.hostname or "127.0.0.1", "SERVER_PORT": str(base.port or (443 if base.scheme == "https"
                                                                                      else 80)),
        "HTTP_HOST": base.netloc, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": base.scheme or "http", "wsgi.input": BytesIO(b""), "wsgi.errors": BytesIO(),
    }
    if language:
        environ["HTTP_ACCEPT_LANGUAGE"] = language
    # LocaleMiddleware activates the visitor's language in this thread: give the caller's back afterwards.
    with translation.override(translation.get_language()):
        response = _django().get_response(WSGIRequest(environ))
    if not isinstance(response, HttpResponse) or response.cookies:  # the same for everyone: no per-visitor cookie
        if response.cookies:
            log.warning("not writing %s: Django sets cookies %s on it", url, sorted(response.cookies))
        return 500, [], b""
    return response.status_code, list(response.items()), response.content


# --- files --------------------------------------------------------------------------------------------------

def encode(headers: list[tuple[str, str]], body: bytes) -> bytes:
    kept = [(name, value) for name, value in headers if name.lower() not in DYNAMIC_HEADERS]
    meta = {"headers": kept}
    return MAGIC + json.dumps(meta, ensure_ascii=True, separators=(",", ":")).encode() + b"\n" + body


def decode(data: bytes) -> tuple[list[tuple[str, str]], bytes] | None:
    """(headers, body) of a file's bytes, or None when they are not a file of ours."""
    if not data.startswith(MAGIC):
        return None
    end = data.find(b"\n")
    if end < 0:
        return None
    meta = json.loads(data[len(MAGIC):end])
    return [(str(name), str(value)) for name, value in meta["headers"]], data[end + 1:]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _known_urls(slug: str) -> list[tuple[str, str]]:
    """Every URL any revision of the advisory ``slug`` could have a file for."""
    from earlywarn.advisories.models import AdvisoryRevision

    urls: dict[tuple[str, str], None] = {}
    for revision in AdvisoryRevision.objects.filter(slug=slug).only("slug", "csaf_path", "vex_csaf_path"):
        urls.update(dict.fromkeys(urls_of(revision)))
    if not urls:
        page = f"/advisories/{slug}/"
        urls.update(dict.fromkeys([(page, language) for language in LANGUAGES] + [(f"{page}osv.json", "")]))
    return list(urls)


def remove(slug: str) -> int:
    """Remove every file of the advisory ``slug``; the server then asks Django. Returns how many were removed."""
    root = public_root()
    if root is None:
        return 0
    removed = 0
    for url, language in _known_urls(slug):
        path = root / relative_file(url, language)
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def write(slug: str) -> int:
    """(Re)write the files of the advisory ``slug`` from what Django serves now; returns how many were written.

    A URL that does not answer 200 (no OSV record, no signature, not published) gets no file and loses any old one.
    """
    from earlywarn.advisories import selectors

    root = public_root()
    if root is None:
        return 0
    revision = selectors.published_revision_or_none(slug)
    if revision is None:
        remove(slug)
        return 0
    written = 0
    wanted = urls_of(revision, existing=True)
    for url, language in urls_of(revision):
        path = root / relative_file(url, language)
        status, headers, body = render(url, language) if (url, language) in wanted else (404, [], b"")
        if status == 200:
            _write(path, encode(headers, body))
            written += 1
        else:
            path.unlink(missing_ok=True)
    now = selectors.published_revision_or_none(slug)
    if now is None or now.pk != revision.pk:  # published again meanwhile: that writer's files are the right ones
        remove(slug)
        return 0
    return written


def _write_after_commit(slug: str) -> None:
    try:
        write(slug)
    except Exception:  # a file is an optimisation: Django still answers; never fail the caller for it
        log.exception("could not write the public files of %s; Django answers for it", slug)
        try:
            remove(slug)
        except OSError:
            log.exception("could not remove the public files of %s", slug)


def refresh_on_commit(slug: str) -> None:
    """Call inside the transaction that publishes, revises or withdraws ``slug``: removes its files now (so that
    no old answer outlives the commit, whatever happens next) and writes the new ones once the transaction has
    committed. Nothing is written if it rolls back."""
    from django.db import transaction

    if public_dir() is None:
        return
    try:
        remove(slug)
    except OSError:
        log.exception("could not remove the public files of %s", slug)
        raise
    transaction.on_commit(lambda: _write_after_commit(slug))


class BuildRunning(Exception):
    """Another process is writing every advisory's files right now."""


@contextlib.contextmanager
def _build_lock(base: Path) -> Iterator[None]:
    """One full build at a time per public directory (the command, or the worker's ``build_if_missing``); the
    kernel releases the lock of a process that dies, so a killed build never blocks the next one."""
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".build.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildRunning from None
        yield


def rebuild(*, slugs: Iterable[str] | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Write the files of every published advisory (or of ``slugs``) into the current build directory and delete
    the directories of older builds. A full rebuild starts from an empty directory, so that no file outlives what
    the database says (after a restore from a backup, say), and marks the build complete at the end; meanwhile
    Django answers. Returns the files written; raises ``BuildRunning`` if another full build is running."""
    from earlywarn.advisories.models import AdvisoryRevision

    base, root = public_dir(), public_root()
    if base is None or root is None:
        return 0
    with _build_lock(base) if slugs is None else contextlib.nullcontext():
        if slugs is None:
            shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
        for old in base.iterdir():
            if old.is_dir() and old != root:
                shutil.rmtree(old, ignore_errors=True)
        todo = list(slugs) if slugs is not None else list(
            AdvisoryRevision.objects.filter(is_current=True).order_by("id").values_list("slug", flat=True))
        written = 0
        for done, slug in enumerate(todo, start=1):
            written += write(slug)
            if progress is not None:
                progress(done, len(todo))
        if slugs is None:
            (root / COMPLETE).write_text(f"{len(todo)} advisories\n")
    return written


def build_if_missing() -> int | None:
    """The full build, if the current build directory was never completed (after an upgrade or a change of the
    settings in the stamp); run by the worker at the scheduler's start and then periodically (``tasks``). Returns
    the files written, or None when there was nothing to do or another build is running."""
    root = public_root()
    if root is None or (root / COMPLETE).exists():
        return None
    try:
        written = rebuild()
    except BuildRunning:
        return None
    log.info("public files of this build written: %d files in %s", written, root)
    return written

"""The advisory routes of the access matrix (matrix.py imports this): public pages, the CSAF provider, OSV, CVE
records, the feeds, the staff preview and publication actions, and the editor (list, new, edit).

Objects: ``published`` (a published advisory), ``draft`` (never published: its public URLs must answer exactly
like a missing advisory, for everyone, staff included), ``index`` (the provider's index.txt). The oracle:
anyone reads what is published; only staff holding ``advisory:edit`` (coordinators, administrators) preview
drafts, and only holders of ``advisory:publish`` (the same two) approve and publish.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse

ADVISORY_STAFF = frozenset({"coordinator", "admin"})
MISSING_SLUG = "EW00000000"
CVE_ID = "CVE-2026-12345"  # the CVE ID of tests/advisories/conftest.py's drafts
FEEDS = ("ja.rdf", "en.rdf", "ja.atom", "en.atom")  # /feeds/<language>/advisories.<format>


def routes(route_cls: Any) -> list[Any]:
    return [
        route_cls("advisories:list", "GET", "public"),
        route_cls("advisories:csaf_provider_metadata", "GET", "public"),
        route_cls("advisories:detail", "GET", "advisory_public", objects=("published", "draft")),
        route_cls("advisories:osv", "GET", "advisory_public", objects=("published", "draft")),
        route_cls("advisories:cve", "GET", "advisory_public", objects=("published", "draft")),
        route_cls("advisories:feed", "GET", "advisory_feed", objects=FEEDS),
        route_cls("advisories:csaf_file", "GET", "advisory_public", objects=("published", "draft", "index")),
        route_cls("advisories:preview", "GET", "advisory_staff", objects=("draft", "published")),
        route_cls("advisories:act", "POST", "advisory_staff", objects=("draft",), ok=302),
        route_cls("advisories:editor_list", "GET", "advisory_editor"),
        route_cls("advisories:editor_new", "GET", "advisory_editor"),
        route_cls("advisories:editor_new", "POST", "advisory_editor", ok=302),
        route_cls("advisories:editor_edit", "GET", "advisory_staff", objects=("draft", "published")),
        route_cls("advisories:editor_edit", "POST", "advisory_staff", objects=("draft",), ok=302),
    ]


def build(world: Any, mark: Any, marker_cls: Any) -> dict[str, Any]:
    """A published advisory and a draft whose title is a canary only advisory staff may read."""
    from earlywarn.advisories import services
    from earlywarn.cases.policy import Actor
    from tests.advisories.conftest import make_draft

    author, approver = world.users["coordinator"], world.users["admin"]
    published = make_draft(author)
    services.advisory_approve(actor=Actor.for_user(approver), advisory=published)
    published.refresh_from_db()
    revision = services.advisory_publish(actor=Actor.for_user(author), advisory=published)
    title = mark(marker_cls(f"canary-advisory-draft-{uuid.uuid4().hex[:12]}", "advisory_draft"))
    draft = make_draft(author, title_ja=title, title_en=title)
    return {"published": published, "revision": revision, "draft": draft}


def expect(route: Any, obj: Any, known: str | None, expect_cls: Any) -> Any:
    if route.kind == "advisory_feed":  # public; the draft's canary must not be in it (test_canary_leaks.py)
        return expect_cls("ok", 200)
    if route.kind == "advisory_public":
        if obj == "draft":
            return expect_cls("deny", 404, "unpublished advisory")
        return expect_cls("ok", 200)
    if not known:  # console pages: log in first (the editor's list and new page have no object to compare)
        return expect_cls("deny", 302, "login", compare=route.kind != "advisory_editor")
    if known not in ADVISORY_STAFF:
        return expect_cls("deny", 404, "not advisory staff")
    return expect_cls("ok", route.ok)


def request(world: Any, route: Any, obj: Any, missing: bool, request_cls: Any) -> Any:
    advisories = world.advisories
    if route.kind == "advisory_feed":
        language, fmt = obj.split(".")
        return request_cls("GET", reverse(route.name, kwargs={"language": language, "fmt": fmt}))
    if route.kind == "advisory_public":
        if route.name == "advisories:csaf_file":
            if obj == "index":
                return request_cls("GET", reverse(route.name, kwargs={"path": "white/index.txt"}))
            path = "white/2026/ew_00000000.json" if missing else (
                advisories["revision"].csaf_path if obj == "published" else
                advisories["revision"].csaf_path.replace(advisories["published"].tracking_id.split("#")[1],
                                                         advisories["draft"].tracking_id.split("#")[1]))
            return request_cls("GET", reverse(route.name, kwargs={"path": path}), ids=(path,))
        slug = MISSING_SLUG if missing else advisories[obj].slug
        if route.name == "advisories:cve":
            return request_cls("GET", reverse(route.name, kwargs={"slug": slug, "cve_id": CVE_ID}), ids=(slug,))
        return request_cls("GET", reverse(route.name, kwargs={"slug": slug}), ids=(slug,))
    if route.kind == "advisory_editor" and missing:  # compared with the editor page of a missing advisory
        advisory_id = str(uuid.uuid4())
        return request_cls("GET", reverse("advisories:editor_edit", kwargs={"advisory_id": advisory_id}),
                           ids=(advisory_id,))
    if route.kind == "advisory_editor":
        data = {"kind": "single"} if route.method == "POST" else None
        return request_cls(route.method, reverse(route.name), data)
    advisory_id = str(uuid.uuid4()) if missing else str(advisories[obj].id)
    data = {"action": "approve", "version": str(advisories[obj].version)} if route.method == "POST" else None
    if route.name == "advisories:editor_edit" and route.method == "POST" and not missing:
        from tests.advisories.editor_data import post_data

        data = post_data(advisories[obj], title_en=f"{advisories[obj].title_en} (edited)")
    return request_cls(route.method, reverse(route.name, kwargs={"advisory_id": advisory_id}), data,
                       ids=(advisory_id,))

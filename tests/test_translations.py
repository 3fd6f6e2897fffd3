"""The Japanese catalogue: complete, compiled, consistent with its placeholders, and actually used by the pages.

The UI and the mail are bilingual (Japanese by default, English on request). Source strings are English msgids;
the Japanese text lives in ``src/earlywarn/locale/ja/LC_MESSAGES/django.po`` and its compiled ``django.mo``.
To update the catalogue after changing a string::

    cd src/earlywarn
    EARLYWARN_DATA_DIR=$(mktemp -d) DJANGO_SETTINGS_MODULE=earlywarn.config.settings \\
        django-admin makemessages -l ja --no-location
    # translate the new entries, then
    EARLYWARN_DATA_DIR=$(mktemp -d) DJANGO_SETTINGS_MODULE=earlywarn.config.settings \\
        django-admin compilemessages -l ja
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import translation

import earlywarn
from tests.factories import submit

PACKAGE_DIR = Path(earlywarn.__file__).resolve().parent
LC_MESSAGES = PACKAGE_DIR / "locale" / "ja" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# Named %-placeholders (with their conversion), positional %-placeholders, and str.format fields.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\((?P<name>\w+)\))?[-#0 +]*\d*(?:\.\d+)?(?P<conversion>[diouxXeEfFgGcrsa%])")
FORMAT_FIELD = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")


# --- a small .po reader (a state machine, enough for what makemessages/msgmerge write) ------------------------


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"'), f"not a quoted PO string: {text!r}"
    assert text.endswith('"'), f"not a quoted PO string: {text!r}"
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    out: list[str] = []
    body = text[1:-1]
    i = 0
    while i < len(body):
        if body[i] == "\\":
            out.append(escapes[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def read_po(path: Path) -> dict[tuple[str | None, str], dict]:
    """Entries keyed by (msgctxt, msgid), each with its flags and msgstr(s). The header (msgid "") is included.

    Obsolete entries (``#~``) are returned under the key (None, "#~") so that a test can refuse them.
    """
    entries: dict[tuple[str | None, str], dict] = {}
    flags: set[str] = set()
    fields: dict[str, str] = {}
    current: str | None = None
    obsolete: list[str] = []

    def finish() -> None:
        nonlocal flags, fields, current
        if "msgid" in fields:
            key = (fields.get("msgctxt"), fields["msgid"])
            assert key not in entries, f"duplicate entry {key!r} in {path}"
            entries[key] = {
                "flags": flags,
                "plural": "msgid_plural" in fields,
                "msgstr": [v for k, v in sorted(fields.items()) if k.startswith("msgstr")],
            }
        flags, fields, current = set(), {}, None

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        starts_entry = line.startswith(("#", "msgctxt ", "msgid "))
        if (not line.strip() or starts_entry) and current is not None and current.startswith("msgstr"):
            finish()
        if not line.strip():
            continue
        if line.startswith("#~"):
            obsolete.append(line)
        elif line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert current is not None, f"continuation line without a keyword in {path}: {line!r}"
            fields[current] += _unquote(line)
        else:
            keyword, _, rest = line.partition(" ")
            current = keyword
            fields[current] = _unquote(rest)
    if obsolete:
        entries[(None, "#~")] = {"flags": set(), "plural": False, "msgstr": obsolete}
    return entries


def _has_japanese(text: str) -> bool:
    return any(
        "\u3040" <= ch <= "\u30ff"  # hiragana, katakana
        or "\u4e00" <= ch <= "\u9fff"  # CJK ideographs
        for ch in text
    )


def _placeholders(text: str) -> tuple[set[str], list[str], set[str]]:
    """(named %-placeholders with conversion, positional %-conversions in order, str.format field names)."""
    named: set[str] = set()
    positional: list[str] = []
    for match in PERCENT_PLACEHOLDER.finditer(text):
        if match["conversion"] == "%":
            continue
        if match["name"]:
            named.add(f"%({match['name']}){match['conversion']}")
        else:
            positional.append(match["conversion"])
    return named, positional, set(FORMAT_FIELD.findall(text))


def _load_mo(path: Path) -> gettext.GNUTranslations:
    with path.open("rb") as fp:
        return gettext.GNUTranslations(fp)


# --- (a) the catalogue covers every string of the source, each with a real Japanese translation ----------------


@pytest.fixture(scope="module")
def committed_po() -> dict[tuple[str | None, str], dict]:
    assert PO_FILE.is_file(), f"{PO_FILE} is missing: run makemessages -l ja"
    return read_po(PO_FILE)


@pytest.fixture
def source_msgids(tmp_path, settings, monkeypatch) -> set[tuple[str | None, str]]:
    """Run makemessages over a copy of the package (never touching the real catalogue) and read what it found."""
    assert shutil.which("xgettext"), "GNU gettext (xgettext, msgfmt) must be installed"
    copy = tmp_path / "earlywarn"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc", "static"))
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["ja"], no_location=True, verbosity=0)
    fresh = read_po(copy / "locale" / "ja" / "LC_MESSAGES" / "django.po")
    return {key for key in fresh if key[1] != ""}


def test_every_source_string_has_a_japanese_translation(committed_po, source_msgids):
    committed = {key for key in committed_po if key[1] != ""}
    assert len(source_msgids) > 100, "makemessages found suspiciously few strings; did it see the templates?"
    missing = sorted(str(key) for key in source_msgids - committed)
    assert not missing, "msgids in the source but not in django.po (run makemessages -l ja):\n" + "\n".join(missing)
    stale = sorted(str(key) for key in committed - source_msgids)
    assert not stale, "msgids in django.po that the source no longer uses:\n" + "\n".join(stale)
    problems = []
    for key in sorted(source_msgids, key=str):
        entry = committed_po[key]
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {key[1]!r}")
        elif not entry["msgstr"] or not all(entry["msgstr"]):
            problems.append(f"untranslated: {key[1]!r}")
        elif not all(_has_japanese(text) for text in entry["msgstr"]):
            problems.append(f"not Japanese: {key[1]!r} -> {entry['msgstr']!r}")
    assert not problems, "\n".join(problems)


def test_catalogue_header_is_japanese_with_one_plural_form(committed_po):
    header = committed_po[(None, "")]
    assert "fuzzy" not in header["flags"]
    fields = dict(line.split(": ", 1) for line in header["msgstr"][0].splitlines() if ": " in line)
    assert fields["Language"] == "ja"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"


def test_the_source_has_both_templates_and_python_strings(source_msgids):
    msgids = {msgid for _, msgid in source_msgids}
    assert "Send message" in msgids  # intake/templates/intake/status.html
    assert "Thank you for your report. We have received it and given it the tracking number %(tracking_id)s." in msgids
    assert "Steps to reproduce" in msgids  # intake/forms.py
    assert "Staff must set up two-factor authentication before using the platform." in msgids  # accounts


# --- (b) the committed .mo is what the committed .po compiles to ------------------------------------------------


def test_compiled_catalogue_matches_the_po(tmp_path):
    assert MO_FILE.is_file(), f"{MO_FILE} is missing: run compilemessages -l ja"
    fresh = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(fresh), str(PO_FILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"msgfmt rejected django.po:\n{result.stderr}"
    committed = _load_mo(MO_FILE)
    compiled = _load_mo(fresh)
    assert committed._catalog == compiled._catalog, "django.mo is out of date: run compilemessages -l ja"
    assert committed.info()["language"] == "ja"
    assert committed.plural(5) == 0


# --- (c) pages are Japanese by default and English on request --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "japanese", "english"),
    [
        (
            "/report/product/",
            ["ソフトウェア製品の脆弱性関連情報の届出", "届出を送信", "再現手順", "製品開発者（ベンダー）"],
            ["Report a vulnerability in a software product", "Send report", "Steps to reproduce", "Developer (vendor)"],
        ),
        (
            "/report/website/",
            ["ウェブサイトの脆弱性関連情報の届出", "届出を送信", "脆弱性が存在するページの URL", "想定される脅威"],
            ["Report a vulnerability in a website", "Send report", "URL of the affected page", "Threat"],
        ),
    ],
)
def test_report_form_is_japanese_by_default_and_english_on_request(client, path, japanese, english):
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="ja">' in html
    for text in japanese:
        assert text in html
    for text in english:
        assert text not in html

    page = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en">' in html
    for text in english:
        assert text in html
    for text in japanese:
        assert text not in html


@pytest.mark.django_db
def test_status_page_speaks_japanese_to_the_finder(client):
    receipt = submit("product")
    html = client.get(f"/status/{receipt.status_token}/").content.decode()
    assert '<html lang="ja">' in html
    assert "メッセージを送信" in html  # the browser journey clicks text=メッセージを送信
    assert "取扱い中" in html
    assert "Send message" not in html


@pytest.mark.parametrize(
    ("template", "japanese", "english"),
    [
        (
            "email/report_received/subject.txt",
            "[EW-2026-ABCD-EFGH] 届出受付のお知らせ",
            "[EW-2026-ABCD-EFGH] Your report was received",
        ),
        (
            "email/report_received/body.txt",
            "追跡番号 EW-2026-ABCD-EFGH を付与いたしました",
            "the tracking number EW-2026-ABCD-EFGH",
        ),
        ("email/new_message/body.txt", "状況確認用リンク", "Read it and answer through your private link:"),
        ("email/status_changed/body.txt", "現在の状況： 取扱い中", "Current status: In handling"),
    ],
)
def test_mail_is_japanese_by_default_and_english_on_request(template, japanese, english):
    context = {
        "tracking_id": "EW-2026-ABCD-EFGH",
        "status_url": "https://example.test/status/x/",
        "status_ja": "取扱い中",
        "status_en": "In handling",
    }
    with translation.override("ja"):
        assert japanese in render_to_string(template, context)
    with translation.override("en"):
        assert english in render_to_string(template, context)


# --- (d) translations keep every placeholder of their msgid ----------------------------------------------------


def test_every_translation_keeps_the_placeholders_of_its_msgid():
    catalog = _load_mo(MO_FILE)._catalog
    assert len(catalog) > 100
    problems = []
    for key, msgstr in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key  # (msgid, n) for plural forms
        msgid = msgid.split("\x04", 1)[-1]  # "context\x04msgid"
        if not msgid:
            continue  # the header
        if _placeholders(msgid) != _placeholders(msgstr):
            problems.append(f"{msgid!r}: {_placeholders(msgid)} -> {msgstr!r}: {_placeholders(msgstr)}")
    assert not problems, "\n".join(problems)


def test_placeholder_check_sees_a_lost_placeholder():
    assert _placeholders("At most %(limit)d files") != _placeholders("添付できるファイルは %(limit)s 件までです。")
    assert _placeholders("[%(tracking_id)s] received") != _placeholders("届出受付のお知らせ")
    assert _placeholders("{count} files") != _placeholders("ファイル")
    assert _placeholders("50%% of %s") == _placeholders("%s の 50%%")

"""Plain-language explanations for operators who are not engineers (§4.12, §6.6: no CVE-level jargon first).

Each entry: (Japanese, English). Kept as data beside the type list of ``cases/categories.py``.
"""

from __future__ import annotations

from django.conf import settings

from earlywarn.cases.categories import WEBSITE_VULNERABILITY_TYPES

PLAIN: dict[str, tuple[str, str]] = {
    "xss": (
        "ウェブサイトの一部のページで、外部の人が細工したリンクを使うと、そのページ上で不正なプログラムを動かせる"
        "状態になっています。閲覧した方が偽の情報を見せられたり、入力した情報を盗まれたりするおそれがあります。",
        "On some pages of the website, an outsider can use a specially crafted link to run their own program on "
        "the page. Visitors could be shown false information or have what they type stolen.",
    ),
    "sql_injection": (
        "ウェブサイトの入力欄などを通じて、外部の人がサイトの裏側にあるデータベースを操作できる状態になっています。"
        "お客様の個人情報などが読み取られたり、書き換えられたり、消されたりするおそれがあります。",
        "Through a form or similar part of the website, an outsider can give orders to the database behind the "
        "site. Data such as your customers' personal information could be read, changed or deleted.",
    ),
    "dns_misconfiguration": (
        "ウェブサイトの住所（ドメイン名）に関する設定に不備があり、第三者がその住所を使って偽のサイトや"
        "メールを用意できるおそれがあります。",
        "A setting of your website's address (its domain name) is wrong, so that someone else could use the "
        "address for a fake site or e-mail.",
    ),
    "file_misconfiguration": (
        "本来は公開するつもりのないファイルが、インターネットから誰でも見られる状態になっています。",
        "Files that were not meant to be public can be read by anyone on the internet.",
    ),
}

GENERIC = (
    "ウェブサイトに、外部の人に悪用されるおそれのある弱点（脆弱性）が見つかりました。",
    "A weakness (a vulnerability) that outsiders could misuse was found in the website.",
)


def plain(vulnerability_type: str, language: str) -> str:
    ja, en = PLAIN.get(vulnerability_type, GENERIC)
    return en if language == "en" else ja


def type_label(vulnerability_type: str, language: str) -> str:
    ja, en = WEBSITE_VULNERABILITY_TYPES.get(vulnerability_type, ("", ""))
    return en if language == "en" else ja


def help_list(language: str) -> list[tuple[str, str]]:
    """(name, URL) of the experts and guides offered to operators (``EARLYWARN_OPERATOR_HELP``)."""
    entries = []
    for item in str(settings.EARLYWARN["OPERATOR_HELP"]).split(";"):
        parts = [part.strip() for part in item.split("|")]
        if len(parts) == 3 and parts[2].startswith(("https://", "http://")):
            entries.append((parts[1] if language == "en" else parts[0], parts[2]))
    return entries

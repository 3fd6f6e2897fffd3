"""Search over published advisories that works for Japanese and English, on SQLite and PostgreSQL alike.

Japanese has no spaces between words, so whitespace tokens find nothing. Each revision stores a token column:
runs of kana and kanji become their single characters and bigrams (character 2-grams), runs of letters and
digits become lower-case words. A query is tokenised the same way and every token must be present (a
2-character word is exactly one bigram; longer words are all their bigrams; English words match by prefix).
Only published revisions are indexed: no embargoed text ever reaches the index (security.md threat 15).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db.models import Q

CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u30fc"
RUNS = re.compile(rf"([{CJK}]+)|([0-9a-z]+)")
INDEXED_TEXTS = ("title", "overview", "description", "impact", "solution", "workarounds", "stop_using")
MAX_QUERY_TOKENS = 32


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> tuple[set[str], set[str]]:
    """(CJK n-grams, words) of ``text``."""
    grams: set[str] = set()
    words: set[str] = set()
    for cjk, word in RUNS.findall(_normalise(text)):
        if word:
            words.add(word)
            continue
        grams.update(cjk)
        grams.update(cjk[i:i + 2] for i in range(len(cjk) - 1))
    return grams, words


def index_text(content: dict[str, Any]) -> str:
    parts = [content["tracking_id"]]
    for texts in content["texts"].values():
        parts.extend(texts.get(name, "") for name in INDEXED_TEXTS)
    for vuln in content["vulnerabilities"]:
        parts.extend([vuln["cve"], vuln["cwe"], *vuln["title"].values()])
    for product in content["products"]:
        parts.extend([*product["developer"].values(), *product["product"].values()])
    grams, words = tokens("\n".join(parts))
    return " " + " ".join(sorted(grams | words)) + " "


def query_filter(query: str, field: str = "search_tokens") -> Q | None:
    """The filter for a user's query, or None when it has no searchable token."""
    grams, words = tokens(query[:500])
    if any(len(g) > 1 for g in grams):
        grams = {g for g in grams if len(g) > 1}  # a single character adds nothing once its bigrams match
    condition = Q()
    for gram in sorted(grams)[:MAX_QUERY_TOKENS]:
        condition &= Q(**{f"{field}__contains": f" {gram} "})
    for word in sorted(words)[:MAX_QUERY_TOKENS]:
        condition &= Q(**{f"{field}__contains": f" {word}"})
    return condition if (grams or words) else None

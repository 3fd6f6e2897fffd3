"""Search over published advisories that works for Japanese and English, on SQLite and PostgreSQL alike.

Japanese has no spaces between words, so whitespace tokens find nothing. Each revision stores a token column:
runs of kana and kanji become their single characters and bigrams (character 2-grams), runs of letters and
digits become lower-case words. A query is tokenised the same way and every token must be present (a
2-character word is exactly one bigram; longer words are all their bigrams; English words match by prefix).
Only published revisions are indexed: no embargoed text ever reaches the index (security.md threat 15).

The index is the database's own inverted index over those exact tokens, of the *current* revisions only
(docs/advisories.md "Search", migration 0005): on SQLite an FTS5 table (``ascii`` tokenizer: every non-ASCII
character is a token character, so each token of the column is one FTS5 term, unchanged) kept by triggers on
``advisories_advisoryrevision``; on PostgreSQL a partial GIN index on the column's tokens as a ``tsvector``
in a generated column (``array_to_tsvector``: the tokens are the lexemes, no parser, no stemming). Both answer
the same question — every gram as an exact term, every word as a term prefix — so both give the same results.
"""

# ruff: noqa: S608 — every SQL text here is built from constants (table and index names); all values are parameters
from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u30fc"
RUNS = re.compile(rf"([{CJK}]+)|([0-9a-z]+)")
INDEXED_TEXTS = ("title", "overview", "description", "impact", "solution", "workarounds", "stop_using")
MAX_QUERY_TOKENS = 32
MAX_WORD = 200  # longer words are indexed and searched by their first 200 characters (a tsvector lexeme < 2 KB)

TABLE = "advisories_advisoryrevision"
SQLITE_INDEX = "advisories_search"  # the FTS5 table; rowid = the revision's id
SQLITE_VOCAB = "advisories_search_vocab"  # its terms (fts5vocab)
# PostgreSQL: the tokens as a tsvector, stored in a generated column that Django does not know about (the model
# stays the same on both databases), so that checking a row reads it instead of building it (25 µs a row).
PG_COLUMN = "search_vector"
PG_TSVECTOR = "array_to_tsvector(string_to_array(btrim(search_tokens), ' '))"


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> tuple[set[str], set[str]]:
    """(CJK n-grams, words) of ``text``."""
    grams: set[str] = set()
    words: set[str] = set()
    for cjk, word in RUNS.findall(_normalise(text)):
        if word:
            words.add(word[:MAX_WORD])
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


def query_terms(query: str) -> tuple[list[str], list[str]] | None:
    """(grams that must be present, words that must be present as a prefix), or None when the query has no
    searchable token."""
    grams, words = tokens(query[:500])
    if any(len(g) > 1 for g in grams):
        grams = {g for g in grams if len(g) > 1}  # a single character adds nothing once its bigrams match
    if not (grams or words):
        return None
    return sorted(grams)[:MAX_QUERY_TOKENS], sorted(words)[:MAX_QUERY_TOKENS]


PREFIX_EXPANSION = 16  # a word with at most this many indexed words starting with it is searched as those words
PREFIX_LENGTHS = range(1, 7)  # FTS5 keeps a prefix index for words this long: each is one term to read


def _fts_query(terms: tuple[list[str], list[str]], connection: BaseDatabaseWrapper) -> str:
    """The FTS5 query: every gram as a term; every word as a prefix term when the prefix index covers its length,
    else as the indexed words it is a prefix of, listed (FTS5 reads a prefix term without a prefix index by
    merging every matching doclist first — 10-30 ms for a common word — while plain terms are read lazily), or
    as a prefix term when there are many."""
    grams, words = terms
    parts = [f'"{g}"' for g in grams]
    with connection.cursor() as cursor:
        for word in words:
            if len(word) in PREFIX_LENGTHS:
                parts.append(f'"{word}"*')
                continue
            cursor.execute(f"SELECT term FROM {SQLITE_VOCAB} WHERE term >= %s AND term < %s LIMIT %s",  # nosec B608
                           [word, word + "\U0010ffff", PREFIX_EXPANSION + 1])
            found = [term for (term,) in cursor.fetchall()]
            if len(found) > PREFIX_EXPANSION:
                parts.append(f'"{word}"*')
            else:  # none: the word itself, which is not indexed, so nothing matches
                parts.append("(" + " OR ".join(f'"{term}"' for term in found or [word]) + ")")
    return " AND ".join(parts)


def _pg_query(terms: tuple[list[str], list[str]]) -> str:
    # A tsquery literal names its lexemes verbatim: 'g' & 'w':* (tokens never hold quotes or backslashes).
    grams, words = terms
    return " & ".join([f"'{g}'" for g in grams] + [f"'{w}':*" for w in words])


def prepare(terms: tuple[list[str], list[str]], connection: BaseDatabaseWrapper) -> str:
    """The database's query for ``terms`` (an FTS5 query on SQLite, a tsquery on PostgreSQL)."""
    if connection.vendor == "sqlite":
        return _fts_query(terms, connection)
    if connection.vendor == "postgresql":
        return _pg_query(terms)
    raise NotImplementedError(f"advisory search on {connection.vendor}")


def match_sql(prepared: str, connection: BaseDatabaseWrapper) -> tuple[str, list[str]]:
    """A boolean SQL condition on the revision row (table ``advisories_advisoryrevision``) that is true when the
    row is a current revision matching the prepared query; with its parameters. It is written to be checked row
    by row while the list's index is walked newest first (stopping at the LIMIT), never to drive the query from
    the search index and sort every match: on SQLite the ``+`` and on PostgreSQL the function form of ``@@``
    (``ts_match_vq``) keep the planner off the search index. ``matching_ids`` is the indexed look-up."""
    if connection.vendor == "postgresql":
        return f'("{TABLE}"."is_current" AND ts_match_vq("{TABLE}"."{PG_COLUMN}", %s::tsquery))', [prepared]
    return f'+"{TABLE}"."id" IN (SELECT rowid FROM {SQLITE_INDEX} WHERE {SQLITE_INDEX} MATCH %s)', [prepared]  # nosec B608


def matching_ids(prepared: str, connection: BaseDatabaseWrapper, limit: int) -> list[int]:
    """Ids of (at most ``limit``) current revisions matching the prepared query, in no particular order, from
    the index alone."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT rowid FROM {SQLITE_INDEX} WHERE {SQLITE_INDEX} MATCH %s LIMIT %s",  # nosec B608
                           [prepared, limit])
        else:
            cursor.execute(f"SELECT id FROM {TABLE} WHERE is_current AND {PG_COLUMN} @@ %s::tsquery LIMIT %s",  # nosec B608
                           [prepared, limit])
        return [pk for (pk,) in cursor.fetchall()]


# The index itself (migration 0005). Revisions are append-only; only ``is_current`` ever changes, and the
# triggers follow it, so a bulk insert (bench/publication/seed.py) or a queryset update is indexed too.
# NOTE: Django's SQLite schema editor rebuilds a table (new table, copy, drop) for many field changes, and
# dropping the old table drops these triggers: a migration that alters advisories_advisoryrevision must call
# install_sqlite_index() again (the search tests fail otherwise).
SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_INDEX} USING fts5(tokens, content='', detail=none, "
    f"tokenize='ascii', prefix='{' '.join(str(n) for n in PREFIX_LENGTHS)}')",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_VOCAB} USING fts5vocab({SQLITE_INDEX}, row)",
    (f"CREATE TRIGGER IF NOT EXISTS {SQLITE_INDEX}_insert AFTER INSERT ON {TABLE} WHEN new.is_current "  # nosec B608
     f"BEGIN INSERT INTO {SQLITE_INDEX}(rowid, tokens) VALUES (new.id, new.search_tokens); END"),
    f"""CREATE TRIGGER IF NOT EXISTS {SQLITE_INDEX}_update AFTER UPDATE OF is_current, search_tokens ON {TABLE}
        BEGIN
        INSERT INTO {SQLITE_INDEX}({SQLITE_INDEX}, rowid, tokens) SELECT 'delete', old.id, old.search_tokens
            WHERE old.is_current;
        INSERT INTO {SQLITE_INDEX}(rowid, tokens) SELECT new.id, new.search_tokens WHERE new.is_current; END""",
    (f"CREATE TRIGGER IF NOT EXISTS {SQLITE_INDEX}_delete AFTER DELETE ON {TABLE} WHEN old.is_current "  # nosec B608
     f"BEGIN INSERT INTO {SQLITE_INDEX}({SQLITE_INDEX}, rowid, tokens) VALUES ('delete', old.id, old.search_tokens); "
     "END"),
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {SQLITE_INDEX}_{name}" for name in ("insert", "update", "delete")] + [
    f"DROP TABLE IF EXISTS {SQLITE_VOCAB}", f"DROP TABLE IF EXISTS {SQLITE_INDEX}"]
PG_CREATE = [f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {PG_COLUMN} tsvector GENERATED ALWAYS AS ({PG_TSVECTOR}) "
             "STORED",
             f"CREATE INDEX IF NOT EXISTS advisory_current_search ON {TABLE} USING gin ({PG_COLUMN}) WHERE is_current"]
PG_DROP = ["DROP INDEX IF EXISTS advisory_current_search", f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {PG_COLUMN}"]


def install_index(connection: BaseDatabaseWrapper) -> None:
    """Create the index (and on SQLite its triggers) and fill it with the current revisions."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in SQLITE_DROP + SQLITE_CREATE:
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {SQLITE_INDEX}(rowid, tokens) SELECT id, search_tokens FROM {TABLE} "  # nosec B608
                           "WHERE is_current")
        elif connection.vendor == "postgresql":
            for statement in PG_CREATE:
                cursor.execute(statement)


def remove_index(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in {"sqlite": SQLITE_DROP, "postgresql": PG_DROP}.get(connection.vendor, []):
            cursor.execute(statement)

"""Project rules checked on the source itself, so they cannot erode quietly (style.md practices 2, 6, 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "earlywarn"
MODULES = [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _rel(path: Path) -> str:
    return str(path.relative_to(SRC))


STATE_WRITERS = {"cases/services.py", "intake/services.py"}


def test_only_services_write_a_cases_state_or_flow():
    # state_changed_at with them: it must stay the created_at of the last state-setting event (stats.tally)
    pattern = re.compile(r"(\.(state|flow|state_changed_at)\s*=[^=])|(\bupdate\([^)]*\b(state|flow|state_changed_at)=)"
                         r"|Case\.objects\.create\(")
    offenders = [
        f"{_rel(p)}:{n}: {line.strip()}"
        for p in MODULES if _rel(p) not in STATE_WRITERS
        for n, line in enumerate(_lines(p), 1) if pattern.search(line)
    ]
    assert offenders == []


def test_views_and_api_fetch_cases_only_through_the_policy():
    pattern = re.compile(r"\b(Case|Report|Message|Attachment|CaseEvent)\.objects\.")
    edges = [p for p in MODULES if p.name in {"views.py", "api.py"}]
    assert edges, "no views or api modules found"
    offenders = [f"{_rel(p)}:{n}: {line.strip()}" for p in edges
                 for n, line in enumerate(_lines(p), 1) if pattern.search(line)]
    assert offenders == []


def test_no_bare_except_and_no_unsafe_deserialisation():
    pattern = re.compile(r"^\s*except\s*:|pickle\.loads?\(|yaml\.load\(|mark_safe\(")
    offenders = [f"{_rel(p)}:{n}" for p in MODULES for n, line in enumerate(_lines(p), 1) if pattern.search(line)]
    assert offenders == []


def test_templates_never_disable_escaping_of_data():
    templates = list(SRC.rglob("templates/**/*.html"))
    assert templates
    offenders = [f"{_rel(p)}:{n}" for p in templates for n, line in enumerate(_lines(p), 1)
                 if "|safe" in line or "autoescape off" in line]
    assert offenders == []


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_modules_stay_small_enough_to_read(path):
    assert len(_lines(path)) <= 600, "split this module (architecture.md: ~600 lines)"


def test_bandit_finds_nothing_of_medium_severity_or_above():
    """security.md test 18. A justified exception carries `# nosec BXXX` with its reason on the line."""
    import json
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "bandit", "-q", "-r", str(SRC), "-f", "json", "--severity-level",
                          "medium"], capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert report["metrics"]["_totals"]["loc"] > 1000, "bandit read no code"
    assert findings == []

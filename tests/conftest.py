"""Suite-wide fixtures: named roles (Zulip's example_user style) and a clean outbox."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def handler(db):
    return factories.handler()


@pytest.fixture
def coordinator(db):
    return factories.coordinator()


@pytest.fixture
def administrator(db):
    return factories.administrator()

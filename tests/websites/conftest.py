from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.websites.site import LoopbackSite


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    server = LoopbackSite()
    yield server
    server.close()


@pytest.fixture
def loopback_fetch(settings):
    """Let discovery fetch plain HTTP from loopback (the development setting; production refuses both)."""
    settings.EARLYWARN = {**settings.EARLYWARN, "SECURITY_TXT_ALLOW_HTTP": True, "SECURITY_TXT_ALLOW_PRIVATE": True,
                          "SECURITY_TXT_DEADLINE_SECONDS": 2.0}
    return settings

"""Every audit trail is append-only: an event once written is never changed or deleted."""

from __future__ import annotations

import pytest

from earlywarn.accounts.models import OrganisationEvent
from earlywarn.advisories.models import AdvisoryEvent
from earlywarn.cases.models import CaseEvent
from earlywarn.committee.models import CommitteeEvent
from earlywarn.intake.models import ImmutableError


@pytest.mark.parametrize("model", [CaseEvent, AdvisoryEvent, CommitteeEvent, OrganisationEvent])
def test_a_written_event_is_never_changed_or_deleted(model):
    event = model(tag="x:y:z", actor_label="system")
    event._state.adding = False  # as read back from the database
    with pytest.raises(ImmutableError, match="append-only"):
        event.save()
    with pytest.raises(ImmutableError, match="append-only"):
        event.delete()

"""An operator with many sites may use an account instead of the links: it sees and answers every case its
organisation was brought into, and nothing else (docs/websites.md, "Known operators")."""

from __future__ import annotations

import json

import pytest

from earlywarn.accounts.models import Membership, Role
from earlywarn.accounts.services import token_create
from earlywarn.cases.models import Case
from earlywarn.cases.policy import Actor, cases_visible_to
from earlywarn.cases.services import case_judge
from earlywarn.websites.contacts import contact_record
from earlywarn.websites.models import Operator
from earlywarn.websites.notification import operator_notify
from tests import factories
from tests.factories import submit

pytestmark = pytest.mark.django_db


def _notified(handler, host: str, operator: Operator | None = None) -> Case:
    actor = Actor.for_user(handler)
    case = case_judge(actor=actor, case=submit("website", url=f"https://{host}/page").case, accept=True)
    data = {"email": f"ops@{host}", "operator_type": "listed_company"}
    if operator is not None:
        data["operator"] = str(operator.pk)
    contact_record(actor=actor, case=case, data=data)
    return operator_notify(actor=actor, case=Case.objects.get(pk=case.pk))


def test_an_operator_account_answers_every_case_of_its_sites_and_sees_no_other(client, handler):
    first = _notified(handler, "shop.example.test")
    operator = Operator.objects.get()
    second = _notified(handler, "blog.example.test", operator)
    stranger = _notified(handler, "other.example.test")
    user = factories.UserFactory()
    Membership.objects.create(user=user, organisation=operator.organisation, role=Role.MEMBER)

    assert set(cases_visible_to(Actor.for_user(user))) == {first, second}
    client.force_login(user)
    shared = client.get("/console/shared/").content.decode()
    assert first.tracking_id in shared
    assert second.tracking_id in shared
    assert stranger.tracking_id not in shared

    auth = {"Authorization": f"Bearer {token_create(user=user, name='sites')[1]}"}
    client.logout()
    answer = client.post(f"/api/v1/cases/{second.id}/actions/report_fix", headers=auth,
                         data=json.dumps({"kind": "page_deleted", "description": "", "fixed_on": ""}),
                         content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert second.events.filter(tag="case:operator:fix_reported").exists()
    refused = client.post(f"/api/v1/cases/{stranger.id}/actions/report_fix", headers=auth,
                          data=json.dumps({"kind": "page_deleted"}), content_type="application/json")
    assert refused.status_code == 404
    assert not stranger.events.filter(tag="case:operator:fix_reported").exists()

"""The whole JSON API fuzzed from its own OpenAPI schema with schemathesis, through the WSGI app: no
answer is a 500, and every answer has a status, a content type and a body its schema declares.

The requests come as a member who writes (a token), on a collectivité with the demo référentiel; the
collectivité's id replaces the generated one except when that is absurd (below 1 or past 2^40), which
must be a 404. Generated action, question and discussion ids are swapped for real ones half of the
time (by the parity of their length: deterministic), so that the writes reach the services and the
database rather than stop at « inconnue »; so are référentiel ids, and a plausible jalon id is that of a
jalon frozen for the case. Bounded and deterministic: few examples per endpoint,
derandomized, no example database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jalon.loading import load
from jalon.web.collectivites.models import Collectivite
from jalon.web.discussions import services as discussions
from jalon.web.discussions.models import Etat
from jalon.web.labellisation import services as labellisation
from jalon.web.wsgi import application
from tests.web.conftest import Member

# Fuzzing: some fifteen seconds, more on a busy machine.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def kept_connection() -> Iterator[None]:
    """The WSGI app closes the database connection after each request, which would close the test's
    own transaction: as Django's test client does, not while the fuzz runs."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

DEMO = load()
ACTIONS = [a for r in DEMO.referentiels.values() for a in r.actions]
QUESTIONS = list(DEMO.questions)
REFERENTIELS = list(DEMO.referentiels)

# Not negative_data_rejection: a query string cannot tell a list [false] from the text "false", which
# an optional text parameter rightly accepts. Invalid data is still sent, and must not crash.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_what_its_schema_says(
    case: Case[Any], collectivite: Collectivite, editor: Member, kept_connection: None
) -> None:
    params = case.path_parameters or {}
    generated = params.get("collectivite_id")
    if isinstance(generated, int) and 0 < generated < 2**40:
        params["collectivite_id"] = collectivite.pk
    for name, real in (("action_id", ACTIONS), ("question_id", QUESTIONS), ("referentiel_id", REFERENTIELS)):
        value = params.get(name)
        if isinstance(value, str) and len(value) % 2 == 0:
            params[name] = real[len(value) // 2 % len(real)]
    discussion_id = params.get("discussion_id")
    if isinstance(discussion_id, int) and 0 < discussion_id < 2**40:
        d = discussions.open_discussion(collectivite, editor.user, "cae_6.1.1", "Premier mot")
        if discussion_id % 2:
            discussions.set_etat(d, Etat.FERMEE)
        params["discussion_id"] = d.pk
    jalon_id = params.get("jalon_id")
    if isinstance(jalon_id, int) and 0 < jalon_id < 2**40:
        params["referentiel_id"] = "cae"
        params["jalon_id"] = labellisation.figer_jalon(collectivite, editor.user, "cae", "Jalon fuzzé").pk
    case.call_and_validate(headers={"Authorization": f"Bearer {editor.token}"}, checks=CHECKS)

"""Schemathesis against the API's own OpenAPI schema: whatever the schema allows a client
to send, the API never answers with a server error or with a body that breaks the schema.
Requests are authenticated as a real user so the /me routes are exercised, not just 401s.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.api.conftest import SERVICE, start_session

EXAMPLES_PER_OPERATION = 25


def test_no_server_errors_and_responses_match_the_schema(client):
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    person = start_session(client)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        # Internal routes are called by the action server with its key; the rest by a user.
        fuzz(operation, SERVICE if "/internal/" in operation.path else person.headers)


def fuzz(operation, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    check()

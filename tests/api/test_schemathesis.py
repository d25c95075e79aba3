"""Schemathesis against the API's own OpenAPI schema: whatever the schema allows a client
to send, the API never answers with a server error or with a body that breaks the schema.
Requests are authenticated as a real user so the /me routes are exercised, not just 401s,
and the internal app's with the service key.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.api.conftest import SERVICE, start_session

EXAMPLES_PER_OPERATION = 25


def test_no_server_errors_and_responses_match_the_schema(client, internal):
    person = start_session(client)
    # The public app's routes are called by a person, the internal app's by the action
    # server with its key (each app publishes its own schema, in development only).
    for app, headers, at_least in ((client.app, person.headers, 10), (internal.app, SERVICE, 8)):
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= at_least
        for operation in operations:
            fuzz(operation, headers)


def fuzz(operation, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )

    check()

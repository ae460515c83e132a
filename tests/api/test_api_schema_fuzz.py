"""schemathesis over the app's own OpenAPI schema (in-process), authenticated with an admin's
API key, a few examples per operation: no request may produce a server error.

The operations are walked by hand (schemathesis's pytest fixture loader predates pytest 9);
each gets a Hypothesis run of its own, time-boxed by the example count.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from support.api_client import Running, bearer

EXAMPLES_PER_OPERATION = 5


def test_no_server_errors(running: Running) -> None:
    key = running.user("fuzz-admin", role="admin")
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", running.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call(headers=bearer(key))
            assert response.status_code < 500, (case.method, case.path, response.text)

        no_server_error()

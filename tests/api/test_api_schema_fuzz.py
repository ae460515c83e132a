"""schemathesis over the app's own OpenAPI schema (in-process), authenticated with an admin's
API key, a few examples per operation: no request may produce a server error.

The operations are walked by hand (schemathesis's pytest fixture loader predates pytest 9);
each gets a Hypothesis run of its own, time-boxed by the example count.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from support.api_client import Running, bearer

EXAMPLES_PER_OPERATION = 5


STATEFUL_SCENARIOS = 15
STATEFUL_STEPS = 6


def test_stateful_links_find_no_server_errors_or_contract_mismatches(
    running: Running, ecg_pdf: bytes
) -> None:
    """Runs first: schemathesis starts the app's lifespan again for itself (a second service
    on the same database), and the upload below must reach the module's own, still open one.

    Scenarios that follow the schema's links (list or upload -> record, image, delete) with
    every default check on: no 5xx, and every answer matches the schema (status, content
    type, body), including the problem+json errors."""
    key = running.user("fuzz-sysadmin", role="sysadmin")
    first = running.upload(key, ecg_pdf)
    assert first.status_code == 201, first.text  # something for the links to find
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", running.app)
    machine = schema.as_state_machine()

    class Authenticated(machine):  # type: ignore[valid-type, misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": bearer(key)}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            # A schema-valid upload is still refused unless its file is a readable ECG, which
            # no schema can say: that one check does not apply; every other one does.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

    Authenticated.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
    )


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

"""Property-based fuzzing of the live server from its own /openapi.json.

schemathesis generates requests for every documented operation, valid and
invalid ones; no request may cause a 5xx, and every response must match its
documented content type and schema (problem+json for errors).

schemathesis' pytest plugin does not run on this pytest, so each operation's
strategy is driven with Hypothesis directly; every failing operation is
reported, not just the first.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from authgate.service.context import ClientInfo

from ._fixtures import Reaper, module_server
from ._live import STRONG_PASSWORD, ApiClient, LiveServer, unique_email

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
MAX_EXAMPLES = 25
#: Operations that can revoke the token they are called with.
SESSION_ENDING = frozenset({"POST /auth/logout", "POST /auth/logout-all", "POST /auth/password"})


def test_openapi_document_is_served_and_valid(api: ApiClient) -> None:
    """/openapi.json is served (200) and every operationId is unique, as
    OpenAPI 3.1 §4.8.10 requires (client generators key on them)."""
    response = api.get("/openapi.json", auth=False)
    assert response.status_code == 200, response.text
    document = response.json()
    ids = [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    ]
    assert len(ids) == len(set(ids)), sorted(ids)
    assert "/auth/verify" in document["paths"]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, reaper: Reaper) -> Iterator[LiveServer]:
    """One server for the whole fuzzing run, without login throttling (so
    login keeps being exercised rather than answering 429)."""
    yield from module_server(
        tmp_path_factory, reaper, login_account_limit=1_000_000, login_ip_limit=1_000_000
    )


@pytest.fixture(scope="module")
def live_schema(fuzz_server: LiveServer) -> Any:
    # FastAPI warns (UserWarning "Duplicate Operation ID") while building the
    # document, which filterwarnings=error turns into a 500 in the server
    # thread; test_openapi_document_is_served_and_valid pins that bug.  Build
    # the document once with that one warning ignored (FastAPI caches it) so
    # the fuzzing below still runs against what /openapi.json serves.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Duplicate Operation ID", category=UserWarning)
        fuzz_server.app.openapi()
    return schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")


def _fuzz(schema: Any, base_url: str, headers: Callable[[str], dict[str, str]]) -> list[str]:
    """Run every operation in both generation modes; return the failures.

    ``headers(label)`` gives the headers for one request of that operation.
    """
    failures: list[str] = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _fuzz_operation(operation, mode, session, base_url, headers)
                except Unsatisfiable:
                    continue  # no parameters or body: no invalid request to make
                except (Exception, FailureGroup) as err:  # noqa: BLE001 - reported below
                    failures.append(f"{operation.label} [{mode.value}]: {_describe(err)}")
    return failures


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    session: requests.Session,
    base_url: str,
    headers: Callable[[str], dict[str, str]],
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(
            base_url=base_url, session=session, headers=headers(operation.label), checks=CHECKS
        )

    run()


def _describe(err: BaseException) -> str:
    if isinstance(err, BaseExceptionGroup):
        return "\n".join(_describe(e) for e in err.exceptions)
    return f"{type(err).__name__}: {err}"


def test_anonymous_requests_conform(live_schema: Any, fuzz_server: LiveServer) -> None:
    """Unauthenticated requests (positive and negative data): never a 5xx,
    always the documented content type and schema."""
    failures = _fuzz(live_schema, fuzz_server.url, lambda _: {})
    assert not failures, "\n\n".join(failures)


def test_bearer_requests_conform(live_schema: Any, fuzz_server: LiveServer) -> None:
    """Bearer-authenticated requests: never a 5xx, always as documented.
    Operations that end sessions get a fresh session each time (a fuzzed
    logout must not starve the rest); the others share one token."""
    runtime = fuzz_server.runtime
    with ApiClient(fuzz_server.url) as api:
        reader_id = api.register(unique_email("fuzz-reader"), STRONG_PASSWORD)["id"]
        ender_id = api.register(unique_email("fuzz-ender"), STRONG_PASSWORD)["id"]
    reader = fuzz_server.call(runtime.accounts.get(reader_id))
    ender = fuzz_server.call(runtime.accounts.get(ender_id))
    client = ClientInfo("127.0.0.1")
    shared = fuzz_server.call(runtime.sessions.start(reader, client)).access.token

    def headers(label: str) -> dict[str, str]:
        token = shared
        if label in SESSION_ENDING:
            token = fuzz_server.call(runtime.sessions.start(ender, client)).access.token
        return {"Authorization": f"Bearer {token}", "X-Auth-Transport": "bearer"}

    failures = _fuzz(live_schema, fuzz_server.url, headers)
    assert not failures, "\n\n".join(failures)

"""Every face's OpenAPI document matches its server: schemathesis sends what each document allows (and
what it forbids) to a real server, signed in, and every answer must be one the document lists, with a
body of the documented shape, and never a 5xx."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from meterhub.auth import keys
from tests.conftest import Account, Server

# Kept small so the whole run stays within a few minutes on a shared CI machine; the hostile
# tester's 120,000 cases found nothing these do not cover by kind.
EXAMPLES = 12
# A schema cannot say what makes a telegram or a CSV file valid (a CRC, a stream's datatype): data
# of the documented shape may still be refused, with a documented 4xx.
EXCLUDED = [positive_data_acceptance]
SCHEMAS = ["/api/v2/schema?format=openapi-json", "/api/meterhub/openapi.json"]
# DRF, and so DSMR-reader, falls back on the default for a limit or offset it cannot read instead
# of refusing it: the DSMR-reader face must accept such requests, as its real service does.
DRF_PATHS = ("/api/v2/",)
# Upstream's document (DRF's generator) lists only each operation's 200 or 201 and calls an APIView's
# answer an array: its errors and objects are checked against meterhub's own document, which
# describes the same routes with all their answers.
UPSTREAM_DOCUMENT = "/api/v2/schema?format=openapi-json"
UPSTREAM_EXCLUDED = [status_code_conformance, response_schema_conformance]


def _every_key(server: Server, account: Account) -> str:
    """One key with every scope, so that the cases reach the handlers of every face."""
    with server.platform.db.writer.begin() as conn:
        _, key = keys.issue_key(conn, user_id=account.user_id, site_id=account.site_id, scopes=keys.SCOPES)
    return key


def _failures(schema: Any, base_url: str, headers: dict[str, str], upstream: bool) -> list[str]:
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        excluded = EXCLUDED + ([negative_data_rejection] if operation.path.startswith(DRF_PATHS) else [])
        excluded += UPSTREAM_EXCLUDED if upstream else []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, base_url, headers, excluded)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # an operation without inputs has no wrong ones
            except (Exception, BaseExceptionGroup) as exc:
                found.append(f"{operation.label} ({mode.value}): {exc}")
    return found


def _run(operation: Any, mode: Any, base_url: str, headers: dict[str, str], excluded: list[Any]) -> None:
    """The operation's cases of that mode, each sent and its answer checked against the document."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=excluded)

    run()


@pytest.mark.parametrize("path", SCHEMAS)
def test_schemathesis_finds_no_server_errors_and_no_conformance_failures(
    server: Server, account: Account, path: str
) -> None:
    key = _every_key(server, account)
    raw = httpx.get(server.url + path).raise_for_status().json()
    schema = schemathesis.openapi.from_dict(raw)
    headers = {"X-AUTHKEY": key, "Authorization": f"Bearer {key}"}
    failures = _failures(schema, server.url, headers, upstream=path == UPSTREAM_DOCUMENT)
    assert not failures, "\n\n".join(failures)


def test_a_wrong_method_is_a_405_whose_allow_header_lists_every_method_of_the_path(
    server: Server, account: Account
) -> None:
    # (with a key: DRF authenticates before it finds a method wrong)
    client = server.client(account.key)
    for method, path, allowed in (
        # (DSMR-reader's in Django's order, HEAD and OPTIONS included, as upstream lists them)
        ("PATCH", "/api/v2/datalogger/dsmrreading", "GET, POST, HEAD, OPTIONS"),
        ("GET", "/api/v1/datalogger/dsmrreading", "POST, OPTIONS"),
        ("DELETE", "/api/v2/statistics/day", "GET, POST, HEAD, OPTIONS"),
        ("PUT", "/api/meterhub/v1/tokens", "GET, POST"),
        ("POST", "/api/meterhub/v1/tokens/1", "DELETE, PATCH"),
        ("POST", "/api/meterhub/v1/datasets/1", "DELETE, GET, PATCH"),
        ("GET", "/api/v1/import/1/validate", "PUT"),
    ):
        response = client.request(method, path)
        assert (response.status_code, response.headers["allow"]) == (405, allowed), (method, path)

"""The OpenAPI document at /api/v2/schema and OPTIONS' `actions` are upstream's: compared with what
DSMR-reader 5.11 itself serves (tests/fixtures/documents/dsmr-reader-openapi.yaml and
dsmr-reader-options.json, generated from upstream's code; see the fixtures' README)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.conftest import FIXTURES, Account, Server

SCHEMA = "/api/v2/schema"
UPSTREAM_YAML = (FIXTURES / "documents" / "dsmr-reader-openapi.yaml").read_bytes()
UPSTREAM = yaml.safe_load(UPSTREAM_YAML)
UPSTREAM_OPTIONS: dict[str, Any] = json.loads(
    (FIXTURES / "documents" / "dsmr-reader-options.json").read_text()
)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (path, method, op["operationId"])
        for path, ops in document["paths"].items()
        for method, op in ops.items()
    ]


def test_the_schema_is_upstreams_yaml_to_the_byte(server: Server) -> None:
    response = server.client().get(SCHEMA)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oai.openapi"
    assert (response.headers["allow"], response.headers["vary"]) == (
        "GET, HEAD, OPTIONS",
        "Accept, Accept-Language",
    )
    assert response.content == UPSTREAM_YAML
    # (so a client generated from it is the one generated from upstream's)
    document = yaml.safe_load(response.content)
    assert document["openapi"] == "3.0.2" and document["info"]["version"] == "v5.11"


def test_the_json_format_is_the_same_document(server: Server) -> None:
    response = server.client().get(SCHEMA, params={"format": "openapi-json"})
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json"
    assert response.json() == UPSTREAM
    # DRF's JSONOpenAPIRenderer: two-space indents, text as it is
    assert response.text == json.dumps(UPSTREAM, indent=2, ensure_ascii=False)
    # The format by Accept, as DRF negotiates it: the most specific range first, q values unread.
    client = server.client()
    for accept, kind in (
        ("application/vnd.oai.openapi+json", "application/vnd.oai.openapi+json"),
        ("*/*;q=0.1, application/vnd.oai.openapi+json", "application/vnd.oai.openapi+json"),
        (
            "application/vnd.oai.openapi;q=0.5, application/vnd.oai.openapi+json",
            "application/vnd.oai.openapi",
        ),
        ("application/*", "application/vnd.oai.openapi"),
    ):
        assert client.get(SCHEMA, headers={"Accept": accept}).headers["content-type"] == kind, accept


def test_every_operation_parameter_and_component_is_upstreams(server: Server) -> None:
    document = server.client().get(SCHEMA, params={"format": "openapi-json"}).json()
    assert _operations(document) == _operations(UPSTREAM)
    for path, method, _ in _operations(UPSTREAM):
        ours, theirs = document["paths"][path][method], UPSTREAM["paths"][path][method]
        assert [p["name"] for p in ours["parameters"]] == [p["name"] for p in theirs["parameters"]]
        assert ours == theirs, (path, method)
    assert list(document["components"]["schemas"]) == [
        "DsmrReading",
        "MeterStatistics",
        "EnergySupplierPrice",
        "ElectricityConsumption",
        "QuarterHourPeakElectricityConsumption",
        "GasConsumption",
        "DayStatistics",
        "HourStatistics",
    ]
    assert document["components"] == UPSTREAM["components"]
    # Upstream's document leaves v1 out: a plain Django view, which DRF's generator does not see.
    assert "/api/v1/datalogger/dsmrreading" not in document["paths"]


def test_the_schema_is_public_whatever_the_key_says(server: Server, account: Account) -> None:
    # get_schema_view(public=True, authentication_classes=[]): no key is read, not even a wrong one.
    for client in (server.client(), server.client(account.key), server.client("wrong")):
        assert client.get(SCHEMA).content == UPSTREAM_YAML
    with server.platform.db.writer.begin() as conn:
        conn.exec_driver_sql("UPDATE sites SET api_enabled = false")
    assert server.client(account.key).get(SCHEMA).status_code == 200


def test_the_schema_refuses_what_drf_refuses(server: Server) -> None:
    client = server.client()
    head = client.head(SCHEMA)
    assert (head.status_code, head.content, head.headers["content-length"]) == (
        200,
        b"",
        str(len(UPSTREAM_YAML)),
    )
    for params, headers, status, detail in (
        ({"format": "json"}, {}, 404, "Not found."),
        ({}, {"Accept": "application/json"}, 406, "Could not satisfy the request Accept header."),
        ({"format": "openapi-json"}, {"Accept": "application/vnd.oai.openapi"}, 406, None),
    ):
        response = client.get(SCHEMA, params=params, headers=headers)
        assert response.status_code == status and response.headers["content-type"] == "application/json"
        assert (
            response.headers["allow"] == "GET, HEAD, OPTIONS"
            and response.headers["vary"] == "Accept, Accept-Language"
        )
        assert detail is None or response.json() == {"detail": detail}
    wrong = client.post(SCHEMA)
    assert (wrong.status_code, wrong.json()) == (405, {"detail": 'Method "POST" not allowed.'})
    assert wrong.headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.get(SCHEMA + "/").status_code == 404


def test_options_on_the_schema_is_its_metadata_in_yaml(server: Server) -> None:
    response = server.client().options(SCHEMA)
    assert response.headers["content-type"] == "application/vnd.oai.openapi"
    # SimpleMetadata's OrderedDict, as PyYAML's full dumper writes one
    assert response.text.startswith(
        "!!python/object/apply:collections.OrderedDict\n- - - name\n    - Schema\n"
    )
    as_json = server.client().options(SCHEMA, params={"format": "openapi-json"}).json()
    assert as_json == {
        "name": "Schema",
        "description": "",
        "renders": ["application/vnd.oai.openapi", "application/vnd.oai.openapi+json"],
        "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    }


def test_options_on_a_reading_lists_the_posted_fields(server: Server, account: Account) -> None:
    body = server.client(account.key).options("/api/v2/datalogger/dsmrreading").json()
    assert body == UPSTREAM_OPTIONS["/api/v2/datalogger/dsmrreading"]
    posted = body["actions"]["POST"]
    assert posted["timestamp"] == {
        "type": "datetime",
        "required": True,
        "read_only": False,
        "label": "Timestamp",
        "help_text": "Timestamp indicating when the reading was taken, according to the smart meter",
    }
    assert (posted["phase_power_current_l1"]["min_value"], posted["phase_power_current_l1"]["max_value"]) == (
        0,
        999,
    )


def test_options_on_day_statistics_lists_the_importable_fields(server: Server, account: Account) -> None:
    body = server.client(account.key).options("/api/v2/statistics/day").json()
    assert body == UPSTREAM_OPTIONS["/api/v2/statistics/day"]
    assert body["actions"]["POST"]["total_cost"] == {
        "type": "decimal",
        "required": True,
        "read_only": False,
        "label": "Total cost",
    }


def test_options_on_meter_statistics_has_no_actions_as_drf_describes_put_and_post_only(
    server: Server, account: Account
) -> None:
    body = server.client(account.key).options("/api/v2/datalogger/meter-statistics").json()
    assert body == UPSTREAM_OPTIONS["/api/v2/datalogger/meter-statistics"]
    assert "actions" not in body and body["description"].startswith("retrieve:\nRetrieve meter statistics")


def test_options_descriptions_are_the_views_docstrings(server: Server, account: Account) -> None:
    client = server.client(account.key)
    for path in ("/api/v2/consumption/quarter-hour-peak-electricity", "/api/v2/application/version"):
        assert client.options(path).json() == UPSTREAM_OPTIONS[path], path

"""HTTP around the views as upstream's Django and DRF answer it: HEAD, OPTIONS, `Allow`, `?format=`,
`Accept`, trailing slashes and unknown paths."""

from __future__ import annotations

from tests.conftest import Account, Server

V1 = "/api/v1/datalogger/dsmrreading"
# Every v2 view and the methods DRF lists in its `Allow` (Django's order; HEAD wherever GET is).
V2_VIEWS = {
    "/api/v2/datalogger/dsmrreading": ("Dsmr Reading", "GET, POST, HEAD, OPTIONS"),
    "/api/v2/datalogger/meter-statistics": ("Meter Statistics", "GET, PATCH, HEAD, OPTIONS"),
    "/api/v2/consumption/electricity": ("Electricity Consumption", "GET, HEAD, OPTIONS"),
    "/api/v2/consumption/gas": ("Gas Consumption", "GET, HEAD, OPTIONS"),
    "/api/v2/consumption/quarter-hour-peak-electricity": (
        "Quarter Hour Peak Electricity Consumption",
        "GET, HEAD, OPTIONS",
    ),
    "/api/v2/consumption/energy-supplier-prices": ("Energy Supplier Price", "GET, HEAD, OPTIONS"),
    "/api/v2/consumption/today": ("Today Consumption", "GET, HEAD, OPTIONS"),
    "/api/v2/consumption/electricity-live": ("Electricity Live", "GET, HEAD, OPTIONS"),
    "/api/v2/consumption/gas-live": ("Gas Live", "GET, HEAD, OPTIONS"),
    "/api/v2/statistics/day": ("Day Statistics", "GET, POST, HEAD, OPTIONS"),
    "/api/v2/statistics/hour": ("Hour Statistics", "GET, HEAD, OPTIONS"),
    "/api/v2/application/version": ("Version", "GET, HEAD, OPTIONS"),
    "/api/v2/application/monitoring": ("Monitoring Issues", "GET, HEAD, OPTIONS"),
}
# Django's own 404 page (DEBUG off, no 404.html template), as upstream serves it.
DJANGO_404 = (
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n'
    "  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"
)


def test_head_is_get_without_a_body(server: Server, account: Account) -> None:
    client = server.client(account.key)
    for path in [*V2_VIEWS, "/api/v2/schema"]:
        got, head = client.get(path), client.head(path)
        assert (head.status_code, head.content) == (200, b""), path
        assert head.headers["content-length"] == got.headers["content-length"], path


def test_options_answers_drfs_metadata_and_allow(server: Server, account: Account) -> None:
    client = server.client(account.key)
    for path, (name, allow) in V2_VIEWS.items():
        response = client.options(path)
        assert (response.status_code, response.headers["allow"]) == (200, allow), path
        body = response.json()
        # (a POST view lists its serializer's fields as `actions` too: test_schema.py)
        assert list(body)[:4] == ["name", "description", "renders", "parses"] and body["name"] == name
        assert ("actions" in body) == ("POST" in allow), path
        assert body["renders"] == ["application/json"] and body["parses"] == [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ]
    # DRF authenticates OPTIONS like any method; v1 is a plain Django view, which does not.
    anonymous = server.client().options("/api/v2/statistics/day")
    assert anonymous.status_code == 403 and anonymous.json() == {"detail": "Invalid auth key"}
    v1 = server.client().options(V1)
    assert (v1.status_code, v1.headers["allow"], v1.content) == (200, "POST, OPTIONS", b"")


def test_every_answer_of_a_v2_view_names_its_methods(server: Server, account: Account) -> None:
    client = server.client(account.key)
    for path, (_, allow) in V2_VIEWS.items():
        for response in (client.get(path), client.head(path), server.client("nope").get(path)):
            assert response.headers["allow"] == allow, (path, response.status_code)
    # v1 is a plain Django view: only OPTIONS and a 405 name its methods.
    assert "allow" not in client.post(V1, data={"telegram": "nonsense"}).headers


def test_a_wrong_method_lists_the_views_methods_in_djangos_order(server: Server, account: Account) -> None:
    client = server.client(account.key)
    for path, (_, allow) in V2_VIEWS.items():
        response = client.put(path)
        assert (response.status_code, response.headers["allow"]) == (405, allow), path
        assert response.json() == {"detail": 'Method "PUT" not allowed.'}
    v1 = client.get(V1)
    assert (v1.status_code, v1.headers["allow"], v1.content) == (405, "POST, OPTIONS", b"")
    # DRF negotiates and authenticates first; v1's Django view finds the method wrong before the key.
    anonymous = server.client().put("/api/v2/statistics/day")
    assert anonymous.status_code == 403 and anonymous.json() == {"detail": "Invalid auth key"}
    assert client.put("/api/v2/statistics/day", params={"format": "xml"}).status_code == 404
    assert server.client().get(V1).status_code == 405


def test_a_trailing_slash_or_an_unknown_path_is_djangos_404_page(server: Server, account: Account) -> None:
    client = server.client(account.key)
    # Upstream's patterns have no trailing slash, and APPEND_SLASH never takes one away.
    for path in (
        "/api/v2/statistics/day/",
        "/api/v2/datalogger/dsmrreading/",
        f"{V1}/",
        "/api/v2/",
        "/api/v2/statistics",
        "/api/v2/nothing/here",
        "/api/v1/datalogger/other",
    ):
        for method in ("GET", "POST"):
            response = client.request(method, path)
            assert (response.status_code, response.text) == (404, DJANGO_404), (method, path)
            assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_only_json_is_rendered(server: Server, account: Account) -> None:
    client = server.client(account.key)
    day = "/api/v2/statistics/day"
    assert client.get(day, params={"format": "json"}).status_code == 200
    # Upstream configures only DRF's JSONRenderer: no browsable API, so `format=api` is unknown too.
    for wanted in ("api", "xml"):
        response = server.client().get(day, params={"format": wanted})
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}, wanted
    # (DRF compares none of the client's parameters: a renderer's media type has none)
    for accept in (
        "application/json",
        "*/*",
        "text/html, application/*;q=0.9",
        "application/json; charset=utf-8",
    ):
        assert client.get(day, headers={"Accept": accept}).status_code == 200, accept
    for accept in ("text/html", "", "application/vnd.oai.openapi+json"):
        response = client.get(day, headers={"Accept": accept})
        assert response.status_code == 406, accept
        assert response.json() == {"detail": "Could not satisfy the request Accept header."}

"""What a Dutch user sees: upstream answers in the language its LocaleMiddleware picks from
Accept-Language (Dutch or English), with Dutch messages, Dutch dates in the filters and Dutch
decimal commas where upstream formats numbers itself (DSMR-reader 5.11: Django 3.2, DRF 3.14)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from meterhub.faces.dsmr_reader import locale
from meterhub.store import accounts, meter_statistics
from tests.conftest import FIXTURES, Account, Server, telegram
from tests.faces.dsmr_reader.test_endpoints import V1, V2, post_reading
from tests.faces.dsmr_reader.test_filters import START, post_quarter_of_readings
from tests.faces.dsmr_reader.test_statistics import add_contract

NEGOTIATION = json.loads((FIXTURES / "languages" / "negotiation.json").read_text(encoding="utf-8"))["cases"]
DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7"}  # a Dutch browser's


@pytest.mark.parametrize(
    "case", NEGOTIATION, ids=[f"{c['accept_language'][:40]!r}+{c['cookie']!r}" for c in NEGOTIATION]
)
def test_the_language_is_picked_as_djangos_locale_middleware_picks_it(case: dict[str, Any]) -> None:
    assert locale.negotiate(case["accept_language"], case["cookie"]) == case["language"]


def dutch(server: Server, account: Account) -> httpx.Client:
    client = server.client(account.key)
    client.headers.update(DUTCH)
    return client


def test_every_answer_names_its_language_and_varies_on_it(server: Server, account: Account) -> None:
    client = server.client(account.key)
    answers = {
        "v1 telegram (the fast lane)": client.post(
            V1, data={"telegram": telegram("dsmrreader_kaifa_dsmr42.txt")}
        ),
        "v1 wrong key": httpx.post(server.url + V1, data={"telegram": "x"}, headers={"X-AUTHKEY": "wrong"}),
        "v1 wrong method": client.get(V1),
        "v1 options": client.options(V1),
        "v2 list": client.get(V2),
        "v2 head": client.head(V2),
        "v2 options": client.options(V2),
        "v2 wrong method": client.delete(V2),
        "v2 bad filter": client.get(V2, params={"timestamp__gte": "never"}),
        "Django's 404 page": client.get("/api/v2/statistics/day/"),
        "schema": client.get("/api/v2/schema"),
    }
    for name, answer in answers.items():
        assert answer.headers["content-language"] == "en", name
        # (the schema's view has two renderers, so DRF varies it on Accept first)
        assert answer.headers["vary"] == ("Accept, " if name == "schema" else "") + "Accept-Language", name
    for header, cookie, expected in [
        ("nl", None, "nl"),
        ("nl-BE", None, "nl"),
        ("de-DE,de;q=0.9,nl;q=0.8,en;q=0.7", None, "nl"),
        ("en;q=0.8, nl;q=0.8", None, "en"),  # equal q: the first
        ("fr, de", None, "en"),  # none of upstream's: English
        ("*, nl", None, "en"),  # Django stops at *
        ("nl", "en", "en"),  # upstream's language cookie comes first
        ("", "nl", "nl"),
    ]:
        headers = {"Accept-Language": header}
        if cookie:
            headers["Cookie"] = f"sessionid=abc; {locale.COOKIE}={cookie}"
        for path in (V2, "/api/v2/schema", "/api/v2/unknown"):
            answer = client.get(path, headers=headers)
            assert answer.headers["content-language"] == expected, (header, cookie, path)
            assert (
                answer.headers["vary"] == ("Accept, " if path.endswith("schema") else "") + "Accept-Language"
            )
        posted = client.post(V1, data={"telegram": "x"}, headers=headers)
        assert posted.status_code == 400 and posted.headers["content-language"] == expected


def test_drfs_errors_in_dutch_upstreams_own_stay_english(server: Server, account: Account) -> None:
    client = dutch(server, account)
    wrong_method = client.delete("/api/v2/statistics/day")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": 'Methode "DELETE" niet toegestaan.'}
    assert client.get(V2, params={"format": "api"}).json() == {"detail": "Niet gevonden."}
    refused = client.get(V2, headers={"Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.json() == {"detail": "Kan niet voldoen aan de opgegeven Accept header."}
    # Upstream writes these without gettext: English in every language.
    wrong_key = httpx.get(server.url + V2, headers={**DUTCH, "X-AUTHKEY": "wrong"})
    assert wrong_key.status_code == 403 and wrong_key.json() == {"detail": "Invalid auth key"}
    v1 = httpx.post(server.url + V1, data={"telegram": "x"}, headers={**DUTCH, "X-AUTHKEY": "wrong"})
    assert (v1.status_code, v1.text) == (403, "Invalid auth key")
    assert client.post(V1, data={"telegram": "x"}).text.startswith("Failed to parse telegram")
    assert client.get("/api/v2/consumption/today").json().startswith("No electricity readings found for: ")
    with server.platform.db.writer.begin() as conn:
        accounts.set_site_api(conn, site_id=account.site_id, enabled=False)
    assert client.get(V2).json() == {"detail": "API is disabled"}


def test_a_posted_reading_is_refused_in_dutch(server: Server, account: Account) -> None:
    client = dutch(server, account)
    refused = client.post(
        V2,
        data={
            "timestamp": "2026-02-01",
            "electricity_delivered_1": "een",
            "electricity_delivered_2": "1.2345",
            "electricity_returned_1": "1234567",
            "electricity_returned_2": "12345678901",
            "phase_power_current_l1": "1000",
            "phase_power_current_l2": "1.5",
        },
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "timestamp": [
            "Datetime heeft een ongeldig formaat, gebruik 1 van de volgende formaten: "
            "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
        ],
        "electricity_delivered_1": ["Een geldig nummer is vereist."],
        "electricity_returned_1": ["Zorg ervoor dat er niet meer dan 6 cijfers voor de komma zijn."],
        "electricity_delivered_2": ["Zorg ervoor dat er niet meer dan 3 cijfers achter de komma zijn."],
        "electricity_returned_2": ["Zorg ervoor dat er in totaal niet meer dan 9 cijfers zijn."],
        "electricity_currently_delivered": ["Dit veld is vereist."],
        "electricity_currently_returned": ["Dit veld is vereist."],
        "phase_power_current_l1": ["Zorg ervoor dat deze waarde kleiner is dan of gelijk is aan 999."],
        "phase_power_current_l2": ["Een geldig getal is vereist."],
    }
    # DRF's Dutch catalog leaves this one untranslated.
    in_the_gap = client.post(V2, data={"timestamp": "2026-03-29 02:30:00"}).json()
    assert in_the_gap["timestamp"] == ['Invalid datetime for the timezone "Europe/Amsterdam".']
    not_an_object = client.post(V2, json=[1, 2])
    assert not_an_object.status_code == 400
    assert not_an_object.json() == {"detail": "Ongeldige data. Verwacht een dictionary, kreeg een list."}
    statistics = client.patch(
        "/api/v2/datalogger/meter-statistics",
        json={"latest_telegram": " ", "dsmr_version": None, "rejected_telegrams": -1},
    )
    assert statistics.json() == {
        "latest_telegram": ["Dit veld mag niet leeg zijn."],
        "rejected_telegrams": ["Zorg ervoor dat deze waarde groter is dan of gelijk is aan 0."],
    }
    null = client.patch("/api/v2/datalogger/meter-statistics", json={"timestamp": None}).json()
    assert null == {"timestamp": ["Dit veld mag niet leeg zijn."]}  # (DRF's Dutch for null and blank alike)
    nul_char = client.patch("/api/v2/datalogger/meter-statistics", json={"dsmr_version": "5\x00"}).json()
    assert nul_char == {"dsmr_version": ["Null characters are not allowed."]}


def test_an_imported_day_that_exists_is_refused_in_dutch(server: Server, account: Account) -> None:
    client = dutch(server, account)
    day = {
        "day": "2015-06-01",
        **dict.fromkeys(
            ("electricity1", "electricity2", "electricity1_returned", "electricity2_returned"), "1"
        ),
        **dict.fromkeys(("electricity1_cost", "electricity2_cost", "total_cost"), "0.50"),
    }
    assert client.post("/api/v2/statistics/day", data=day).status_code == 201
    again = client.post("/api/v2/statistics/day", data=day)
    # Django's unique message with upstream's Dutch verbose names, as its serializer builds it.
    assert again.status_code == 400 and again.json() == {
        "day": ["Er bestaat al een Dagstatistieken (automatisch gegenereerd) met eenzelfde Datum."]
    }
    bad_day = client.post("/api/v2/statistics/day", data={**day, "day": "01-06-2015"}).json()
    # DRF's DateField takes ISO 8601 only, in any language.
    assert bad_day == {"day": ["Date heeft het verkeerde formaat, gebruik 1 van deze formaten: YYYY-MM-DD."]}


def timestamps(client: httpx.Client, **params: str) -> list[str]:
    response = client.get(V2, params=params)
    assert response.status_code == 200, response.text
    return [row["timestamp"] for row in response.json()["results"]]


def test_the_filters_read_dutch_dates(server: Server, account: Account) -> None:
    client = dutch(server, account)
    post_quarter_of_readings(client, START)  # 13:00 to 14:15 on 1 February 2026, every 5 minutes
    english = server.client(account.key)
    # Django's Dutch input formats: day first, and a dot between hours and minutes.
    for value in (
        "01-02-2026 14:05",
        "1-2-26 14.05",
        "01/02/2026 14:05:00",
        "2026/02/01 14:05",
        "2026-02-01 14:05",
    ):
        assert timestamps(client, timestamp__gte=value)[0] == "2026-02-01T14:05:00+01:00", value
    # The same text is another day in each language: 1 February in Dutch, 2 January in English.
    assert len(timestamps(client, timestamp__gte="01/02/2026 14:00")) == 4
    assert len(timestamps(english, timestamp__gte="01/02/2026 14:00")) == 16
    assert timestamps(client, timestamp__lte="01-02-2026") == []  # a date alone is its midnight
    refused = english.get(V2, params={"timestamp__gte": "01-02-2026 14:05"})
    assert refused.json() == {"timestamp__gte": ["Enter a valid date/time."]}
    dutch_refused = client.get(
        V2, params={"timestamp__gte": "20260201", "timestamp__lte": "2026-10-25 02:30"}
    )
    assert dutch_refused.status_code == 400 and dutch_refused.json() == {
        "timestamp__gte": ["Voer een geldige datum/tijd in."],
        "timestamp__lte": [
            "2026-10-25 02:30:00 kon niet worden geïnterpreteerd in tijdzone Europe/Amsterdam; "
            "mogelijk is deze dubbelzinnig of bestaat deze niet."
        ],
    }
    # The exact filter is django-filter's IsoDateTimeField: ISO 8601 only, in any language.
    assert client.get(V2, params={"timestamp": "01-02-2026 14:05:00"}).json() == {
        "timestamp": ["Voer een geldige datum/tijd in."]
    }
    days = client.get(
        "/api/v2/statistics/day", params={"day__gte": "01-02-2026", "day__lte": "1/2/26"}
    ).json()
    assert [d["day"] for d in days["results"]] == ["2026-02-01"]
    assert client.get("/api/v2/statistics/day", params={"day": "01-02-2026"}).json()["count"] == 1
    assert english.get("/api/v2/statistics/day", params={"day": "01-02-2026"}).json() == {
        "day": ["Enter a valid date."]
    }
    assert client.get(
        "/api/v2/consumption/energy-supplier-prices", params={"start__gte": "1-13-2026"}
    ).json() == {"start__gte": ["Voer een geldige datum in."]}


def test_costs_have_a_decimal_comma_in_dutch(server: Server, account: Account) -> None:
    client = dutch(server, account)
    english = server.client(account.key)
    add_contract(server, account)
    now = datetime.now(UTC).replace(microsecond=0)
    post_reading(client, now - timedelta(minutes=1), "500.000", electricity_currently_delivered="1.234")
    with server.platform.db.writer.begin() as conn:
        meter_statistics.patch(conn, site_id=account.site_id, values={"electricity_tariff": 2})
    # 1.234 kW at 0.251235 an hour, formatted by Django's number_format (upstream's USE_L10N).
    assert client.get("/api/v2/consumption/electricity-live").json()["cost_per_hour"] == "0,31"
    assert english.get("/api/v2/consumption/electricity-live").json()["cost_per_hour"] == "0.31"
    # With upstream's USE_THOUSAND_SEPARATOR, thousands are grouped: 5000 kW costs 1256.175 an hour.
    post_reading(client, now, "500.001", electricity_currently_delivered="5000.000")
    assert client.get("/api/v2/consumption/electricity-live").json()["cost_per_hour"] == "1.256,18"
    assert english.get("/api/v2/consumption/electricity-live").json()["cost_per_hour"] == "1,256.18"
    for minutes, delivered in ((70, "10.000"), (10, "10.175")):
        at = (now - timedelta(minutes=minutes)).isoformat()
        post_reading(
            client,
            now - timedelta(minutes=minutes, seconds=1),
            "499.000",
            extra_device_timestamp=at,
            extra_device_delivered=delivered,
        )
    gas = client.get("/api/v2/consumption/gas-live").json()
    # 0.175 m3 at 1.20: 0.21, the example of the issue.
    assert gas["cost_per_interval"] == "0,21" and gas["currently_delivered"] == 0.175
    assert english.get("/api/v2/consumption/gas-live").json()["cost_per_interval"] == "0.21"
    # What DRF renders itself stays as in English: decimal strings with a point, numbers as numbers.
    assert client.get(V2).json()["results"][-1]["electricity_currently_delivered"] == "5000.000"


def test_monitoring_speaks_dutch(server: Server, account: Account) -> None:
    client = dutch(server, account)
    waiting = client.get("/api/v2/application/monitoring").json()
    assert waiting["details"][0]["source"] == "dsmr_datalogger.apps"
    assert waiting["details"][0]["description"] == "Nog nooit een meting ontvangen"
    post_reading(client, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3), "1.000")
    silent = client.get("/api/v2/application/monitoring").json()
    assert silent["details"][0]["description"] == (
        "Geen recente metingen ontvangen: controleer de datalogger en zijn netwerkverbinding"
    )
    english = server.client(account.key).get("/api/v2/application/monitoring").json()
    assert english["details"][0]["description"] == (
        "No recent readings received: check the datalogger and its network connection"
    )

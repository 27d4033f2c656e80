"""The OpenAPI document at /api/v2/schema as upstream serves it: DRF's `get_schema_view` (public, no
authentication) with its generator's output for upstream's views, YAML by default and JSON with
`?format=openapi-json`, made from the view and serializer tables."""

from __future__ import annotations

import functools
import json
import re
from collections import OrderedDict
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import Response

from meterhub.faces.dsmr_reader import drf, serializers
from meterhub.faces.dsmr_reader.drf_views import LIST, PARTIAL_UPDATE, RETRIEVE, VIEWS, View
from meterhub.faces.dsmr_reader.v2_application import API_VERSION

PATH = "/api/v2/schema"
# DRF's OpenAPIRenderer and JSONOpenAPIRenderer, in get_schema_view's order.
YAML = drf.Renderer("openapi", "application/vnd.oai.openapi")
JSON = drf.Renderer("openapi-json", "application/vnd.oai.openapi+json")
RENDERERS = (YAML, JSON)
# (DRF sends Vary: Accept on every answer of a view with more than one renderer)
HEADERS = {"allow": "GET, HEAD, OPTIONS", "vary": "Accept"}

_STATIC = "/static/"  # upstream's STATIC_URL
_DESCRIPTION = (
    "# Postman collection\n"
    f"- Download current collection [here]({_STATIC}dsmr_frontend/postman/collection.json).\n"
    f"- Download current variables [here]({_STATIC}dsmr_frontend/postman/variables.json)."
)
# The filter backends (OrderingFilter, django-filter) describe themselves for these actions only;
# django-filter has no FilterSet but a list's.
_FILTERED = (LIST, RETRIEVE, PARTIAL_UPDATE)
_PARSES = drf.PARSES


def answer(request: Request) -> Response:
    """GET, HEAD and OPTIONS: the document, or the view's metadata, in the negotiated format."""
    renderer = drf.negotiated(request, RENDERERS)
    if request.method == "OPTIONS":
        # SimpleMetadata's OrderedDict, which YAML writes with its Python type.
        body = OrderedDict(
            name="Schema", description="", renders=[r.media_type for r in RENDERERS], parses=_PARSES
        )
        content = _render(renderer, body)
    else:
        content = rendered(renderer)
    return Response(content, media_type=renderer.media_type, headers=HEADERS)


@functools.cache
def rendered(renderer: drf.Renderer) -> bytes:
    """The document as that renderer writes it (it never changes, so it is made once)."""
    return _render(renderer, document())


def _render(renderer: drf.Renderer, data: Any) -> bytes:
    if renderer == JSON:
        return json.dumps(data, indent=2, ensure_ascii=False).encode()
    return yaml.dump(data, default_flow_style=False, sort_keys=False, Dumper=_Dumper).encode()


class _Dumper(yaml.Dumper):
    """DRF's: a value met twice is written out again, not as an alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def document() -> dict[str, Any]:
    """The document DRF's SchemaGenerator makes of upstream's URLconf."""
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {}
    for view in VIEWS:
        paths[view.path] = {method.lower(): _operation(view, method) for method in view.operations}
        if view.serializer is not None:
            components.setdefault(view.serializer.name, serializers.component(view.serializer))
    return {
        "openapi": "3.0.2",
        "info": {"title": "DSMR-reader API", "version": _version(API_VERSION), "description": _DESCRIPTION},
        "paths": paths,
        "components": {"schemas": components},
    }


def _version(release: str) -> str:
    # Django's get_version, which leaves out a zero micro version: "5.11.0" is "v5.11".
    major, minor, micro = release.split(".")
    return f"v{major}.{minor}" + (f".{micro}" if micro != "0" else "")


def _operation(view: View, method: str) -> dict[str, Any]:
    action, operation_id = view.operations[method]
    found: dict[str, Any] = {
        "operationId": operation_id,
        "description": section(view.docstring, action),
        "parameters": _parameters(view, action),
    }
    reference = {"$ref": f"#/components/schemas/{view.serializer.name}"} if view.serializer else {}
    if method in ("POST", "PATCH"):
        found["requestBody"] = {"content": {kind: {"schema": reference} for kind in _PARSES}}
    if view.serializer is None:
        response: dict[str, Any] = {"type": "array", "items": {}}  # (an APIView's GET is taken for a list)
    elif action == LIST:
        response = _paginated(reference)
    else:
        response = reference
    status = "201" if method == "POST" else "200"
    found["responses"] = {status: {"content": {"application/json": {"schema": response}}, "description": ""}}
    found["tags"] = ["api"]
    return found


def _parameters(view: View, action: str) -> list[dict[str, Any]]:
    if view.serializer is None or action not in _FILTERED:
        return []
    found = []
    if action == LIST:
        found += [
            _query("limit", "Number of results to return per page.", "integer"),
            _query("offset", "The initial index from which to return the results.", "integer"),
        ]
    found.append(_query("ordering", "Which field to use when ordering the results."))
    if action == LIST:
        found += [_query(name, label) for name, label in view.filters]
    return found


def _query(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {
        "name": name,
        "required": False,
        "in": "query",
        "description": description,
        "schema": {"type": kind},
    }


def _paginated(results: dict[str, Any]) -> dict[str, Any]:
    # LimitOffsetPagination's schema, its example links included.
    def link(offset: int) -> dict[str, Any]:
        example = f"http://api.example.org/accounts/?offset={offset}&limit=100"
        return {"type": "string", "nullable": True, "format": "uri", "example": example}

    properties = {
        "count": {"type": "integer", "example": 123},
        "next": link(400),
        "previous": link(200),
        "results": {"type": "array", "items": results},
    }
    return {"type": "object", "properties": properties}


# A line that opens a section of a view's docstring, such as `list:` or `create:`.
_HEADER = re.compile(r"^[a-zA-Z][0-9A-Za-z_]*:")
# DRF's SCHEMA_COERCE_METHOD_NAMES: an action's other name in a docstring.
_COERCED = {RETRIEVE: "read", "destroy": "delete"}


def section(docstring: str, action: str) -> str:
    """The part of a view's docstring about one action (or method), as DRF's AutoSchema picks it:
    the section headed by its name, else the text before any header."""
    sections = {"": ""}
    current = ""
    for line in docstring.splitlines():
        if _HEADER.match(line):
            current, _, lead = line.partition(":")
            sections[current] = lead.strip()
        else:
            sections[current] += "\n" + line
    for name in (action, _COERCED.get(action)):
        if name in sections:
            return sections[name].strip()
    return sections[""].strip()

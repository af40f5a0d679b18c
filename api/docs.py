"""A docs page drawn on the server from the OpenAPI document.

The document is English (api/v1.py marks its texts with N_); the page shows
them in the reader's language.

ninja's Swagger page needs a large script bundle; this page needs no script
at all, so it works offline and under a strict Content-Security-Policy.
"""

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    name: str
    where: str
    type: str
    required: bool
    description: str = ""


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    needs_key: bool
    fields: list[Field] = field(default_factory=list)
    responses: list[tuple[str, str]] = field(default_factory=list)


class ServerRenderedDocs(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        context = {
            "title": schema["info"]["title"],
            "version": schema["info"]["version"],
            "operations": operations(schema),
            "openapi_url": self.get_openapi_url(api, kwargs),
        }
        return render(request, "api/docs.html", context)


def operations(schema: dict) -> list[Operation]:
    components = schema.get("components", {}).get("schemas", {})
    result = []
    for path, methods in schema.get("paths", {}).items():
        for method in METHODS:
            spec = methods.get(method)
            if spec is None:
                continue
            operation = Operation(
                method=method.upper(),
                path=path,
                operation_id=spec.get("operationId", ""),
                summary=_translated(spec.get("summary", "")),
                description=_translated(spec.get("description", "")),
                needs_key=bool(spec.get("security")),
            )
            for param in spec.get("parameters", []):
                operation.fields.append(
                    Field(
                        name=param["name"],
                        where=param["in"],
                        type=_type(param.get("schema", {}), components),
                        required=param.get("required", False),
                        description=_translated(param.get("description", "")),
                    )
                )
            body = spec.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                model = _resolve(body["schema"], components)
                for name, prop in model.get("properties", {}).items():
                    operation.fields.append(
                        Field(
                            name=name,
                            where="body",
                            type=_type(prop, components),
                            required=name in model.get("required", []),
                            description=_translated(prop.get("description", "")),
                        )
                    )
            for status, response in spec.get("responses", {}).items():
                operation.responses.append((status, response.get("description", "")))
            result.append(operation)
    return result


def _translated(text: str) -> str:
    return gettext(text) if text else ""


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def _type(schema: dict, components: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type(option, components) for option in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}), components)}"
    return schema.get("type", "any")

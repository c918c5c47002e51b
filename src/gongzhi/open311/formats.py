"""The two faces of every Open311 answer: XML (the spec's required format) and JSON (its mechanical conversion,
the "Spark convention": a list element becomes an array, an element with children an object, a leaf a value).

Each answer is built once as plain data — dicts, lists, strings, numbers, booleans, None — and rendered here.
Errors are Open311's array of {code, description}, with the HTTP status the spec asks for."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from gongzhi.core.errors import AppError

FORMATS = ("xml", "json")
MEDIA_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# A list element's name → the name of each item inside it.
ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value", "endpoints": "endpoint", "formats": "format"}
# Characters XML 1.0 cannot carry at all (escaping does not help): dropped from text coming from other channels.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(AppError):
    """An Open311 error. The spec knows three statuses: 404 for what does not exist (jurisdiction, service code,
    request, token), 403 for a missing or wrong api_key, and 400 for everything else."""

    status = 400
    code = "open311"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = ITEMS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    """`data` under the element `root`: `<services><service>…</service></services>` for a list."""
    element = ET.Element(root)
    _fill(element, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8",
                                                                       xml_declaration=False)


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(f"不支持的格式「.{fmt}」：请用 .xml 或 .json", status=404)
    return fmt


def respond(fmt: str, root: str, data: Any, status: int = 200) -> Response:
    body = to_xml(root, data) if fmt == "xml" else to_json(data)
    return Response(body, status_code=status, media_type=MEDIA_TYPES[fmt])


def format_of(path: str) -> str:
    """The format a URL asks for; XML, the format every client must read, when it names none we know."""
    return "json" if path.endswith(".json") else "xml"


# The statuses Open311 uses: 404 (does not exist), 403 (api_key), 400 (any other failure). HTTP-level ones
# that say something a client can act on (405, 413, 429) are kept; the rest of the 4xx become 400.
_KEPT = {403, 404, 405, 413, 429}


def open311_status(status: int) -> int:
    return status if status in _KEPT or status >= 500 else 400


def error_response(request: Request, status: int, message: str, details: Any = None) -> Response:
    """Every error on an /open311/ path, in the URL's format: one entry per failed field when FastAPI's own
    validation failed, else one entry."""
    status = open311_status(status)
    errors = [{"code": status, "description": message}]
    if isinstance(details, list) and details and all(isinstance(d, dict) and "field" in d for d in details):
        errors = [{"code": status, "description": f"{d['field']}: {d.get('reason', message)}"} for d in details]
    elif isinstance(details, dict) and isinstance(details.get("errors"), list) and details["errors"]:
        errors = [{"code": status, "description": str(e)} for e in details["errors"]]
    headers = {"Retry-After": str(details["retry_after"])} if isinstance(details, dict) and \
        "retry_after" in details else None
    response = respond(format_of(request.url.path), "errors", errors, status)
    if headers:
        response.headers.update(headers)
    return response

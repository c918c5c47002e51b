"""The renderer alone: XML escaping, what XML cannot carry, leaves, and the error array."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from gongzhi.open311 import formats


class TestXml:
    def test_declaration_and_lists(self) -> None:
        body = formats.to_xml("services", [{"service_code": "001", "metadata": True}, {"service_code": "002"}])
        assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<services><service>')
        tree = ET.fromstring(body)
        assert [s.findtext("service_code") for s in tree] == ["001", "002"]
        assert tree.findtext("service/metadata") == "true"

    def test_markup_in_text_is_escaped(self) -> None:
        body = formats.to_xml("errors", [{"code": 400, "description": "<b>&\"'</b> ]]>"}])
        assert ET.fromstring(body).findtext("error/description") == "<b>&\"'</b> ]]>"
        assert b"<b>" not in body

    def test_characters_xml_cannot_carry_are_dropped(self) -> None:
        body = formats.to_xml("service_requests", [{"description": "路灯\x00\x07不亮\n第二行\t!"}])
        assert ET.fromstring(body).findtext("request/description") == "路灯不亮\n第二行\t!"

    def test_none_is_an_empty_element_and_unicode_stays_utf8(self) -> None:
        body = formats.to_xml("service_requests", [{"account_id": None, "service_notice": "已受理"}])
        assert b"<account_id />" in body or b"<account_id/>" in body
        assert "已受理".encode() in body

    def test_nested_lists(self) -> None:
        data = {"service_code": "X", "attributes": [{"code": "a", "values": [{"key": "1", "name": "一"}]}]}
        tree = ET.fromstring(formats.to_xml("service_definition", data))
        assert tree.findtext("attributes/attribute/values/value/name") == "一"


class TestJson:
    def test_utf8_not_escaped(self) -> None:
        assert formats.to_json([{"name": "路灯"}]) == '[{"name":"路灯"}]'.encode()
        assert json.loads(formats.to_json({"a": None, "b": True})) == {"a": None, "b": True}


class TestStatuses:
    def test_open311_statuses(self) -> None:
        assert [formats.open311_status(s) for s in (400, 401, 403, 404, 405, 409, 415, 422, 429, 500)] == \
            [400, 400, 403, 404, 405, 400, 400, 400, 429, 500]

    def test_format_of_a_path(self) -> None:
        assert formats.format_of("/open311/v2/services.json") == "json"
        assert formats.format_of("/open311/v2/services.xml") == "xml"
        assert formats.format_of("/open311/v2/services") == "xml"

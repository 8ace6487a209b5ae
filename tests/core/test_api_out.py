"""api_out: a ninja Schema compiled into obj → dict gives exactly what pydantic's validation dumps."""

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import models
from django.test import RequestFactory
from ninja import Field, Schema
from ninja.responses import NinjaJSONEncoder

from daifuku.core import api_out
from daifuku.customers.models import LegalFormPosition


class RefOut(Schema):
    id: int
    name: str


class ThingOut(Schema):
    id: int
    title: str
    kind: str
    ratio: float
    amount: Decimal
    count: int | None
    active: bool
    when: dt.datetime
    day: dt.date | None
    owner: RefOut | None
    parent: RefOut | None
    refs: list[RefOut]
    labels: list[str]
    sns: dict[str, str]
    note: str = "none"
    extra: list[int] = Field(default_factory=list)
    who: str

    @staticmethod
    def resolve_who(obj, context):
        return f"{obj.title}@{context['request'].path}"


class ThingPage(Schema):
    items: list[ThingOut]
    next_cursor: str | None


def _thing(**overrides):
    values = {
        "id": 7,
        "title": "髙橋商事",
        "kind": LegalFormPosition.BEFORE,  # a str enum: handed to pydantic
        "ratio": Decimal("0.25"),  # Decimal for a float field: handed to pydantic
        "amount": Decimal("1200.50"),
        "count": None,
        "active": True,
        "when": dt.datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=dt.UTC),
        "day": dt.date(2026, 4, 1),
        "owner": SimpleNamespace(id=3, name="山田"),
        "parent": None,
        "refs": ({"id": 1, "name": "一"}, SimpleNamespace(id=2, name="二")),
        "labels": ["重要", "東京"],
        "sns": {"x": "@daifuku"},
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def _context():
    return {"request": RequestFactory().get("/api/v1/things"), "response_status": 200}


def test_compiled_equals_pydantic_including_types():
    ctx = _context()
    page = {"items": [_thing(), _thing(id=8, count=3, day=None, ratio=1.5, parent={"id": 9, "name": "親"})]}
    page["next_cursor"] = "abc"
    out = api_out.compile_schema(ThingPage)(page, ctx)
    expected = ThingPage.model_validate(page, context=ctx).model_dump()
    assert out == expected
    assert [type(v) for v in out["items"][0].values()] == [type(v) for v in expected["items"][0].values()]
    first = out["items"][0]
    assert first["ratio"] == 0.25 and type(first["ratio"]) is float
    assert type(first["kind"]) is str and first["kind"] == "before"
    assert first["note"] == "none" and first["extra"] == []
    assert first["who"] == "髙橋商事@/api/v1/things"
    assert first["refs"] == [{"id": 1, "name": "一"}, {"id": 2, "name": "二"}]


def test_a_missing_required_attribute_is_an_error_like_pydantic():
    thing = _thing()
    del thing.title
    with pytest.raises(AttributeError):
        api_out.compile_schema(ThingOut)(thing, _context())


def test_a_nested_dict_is_read_by_key_like_pydantic():
    # What a resolve_* returns for a nested schema (an owner's {"id", "name"}) takes the by-key path.
    ctx = _context()
    refs = [{"id": 1, "name": "一"}, {"id": True, "name": "二"}, {"id": 3, "name": "三", "extra": 1}]
    convert = api_out.compile_schema(RefOut)
    for ref in refs:
        assert convert(ref, ctx) == RefOut.model_validate(ref, context=ctx).model_dump()
    assert type(convert(refs[1], ctx)["id"]) is int  # a bool for an int field: pydantic's answer
    with pytest.raises(AttributeError, match="name"):
        convert({"id": 1}, ctx)

    class Defaults(Schema):
        id: int
        note: str = "none"

    assert api_out.compile_schema(Defaults)({"id": 4}, ctx) == {"id": 4, "note": "none"}

    class Ordered(dict):
        pass

    assert convert(Ordered(id=5, name="五"), ctx) == {"id": 5, "name": "五"}  # a dict subclass: the walk


def test_a_manager_is_listed():
    class Obj:
        id = 1
        name = "x"

    class Fake(models.Manager):
        def all(self):
            return [Obj()]

    manager = Fake()
    out = api_out._read(SimpleNamespace(refs=manager), "refs")
    assert [o.name for o in out] == ["x"]


def test_respond_renders_like_ninja_and_check_catches_a_difference(monkeypatch):
    request = RequestFactory().get("/api/v1/things")
    page = {"items": [_thing()], "next_cursor": None}
    response = api_out.respond(request, ThingPage, page)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert body["items"][0]["when"] == "2026-12-02T09:30:15.123Z"
    assert body["items"][0]["amount"] == "1200.50"
    assert body["next_cursor"] is None

    monkeypatch.setattr(api_out, "CHECK", True)
    wrong = {"items": [], "next_cursor": None}
    monkeypatch.setitem(api_out._converters, ThingPage, lambda data, context: wrong)
    with pytest.raises(AssertionError, match="differs from pydantic"):
        api_out.respond(request, ThingPage, page)


def test_the_renderer_writes_values_as_djangos_encoder_did():
    from daifuku.api import api

    data = {
        "at": dt.datetime(2026, 12, 3, 1, 2, 3, 456789, tzinfo=dt.UTC),
        "whole": dt.datetime(2026, 12, 3, 1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        "naive": dt.datetime(2026, 12, 3, 1, 2, 3, 450000),
        "day": dt.date(2026, 12, 3),
        "time": dt.time(9, 30),
        "amount": Decimal("1.50"),
        "none": None,
        "name": "髙橋①㈱",
        1: [True, 2.5],
    }
    out = api.renderer.render(None, data, response_status=200)
    assert json.loads(out) == json.loads(json.dumps(data, cls=NinjaJSONEncoder))
    assert json.loads(out)["at"] == "2026-12-03T01:02:03.456Z"
    assert json.loads(out)["whole"] == "2026-12-03T01:02:03+09:00"
    assert json.loads(out)["naive"] == "2026-12-03T01:02:03.450"
    assert "髙橋①㈱".encode() in out  # UTF-8 text, not \u escapes

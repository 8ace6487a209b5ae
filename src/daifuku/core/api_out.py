"""API responses without pydantic's per-attribute walk: a ninja ``Schema`` compiled into obj → dict.

django-ninja validates a response by wrapping every object in a ``DjangoGetter`` and letting pydantic
read each field through it; for a 50-row page of companies (38 fields each) that was about a third of
the request. :func:`compile_schema` turns an output schema into a plain function that reads the same
attributes, calls the same ``resolve_*`` methods with the same context, and checks each value's type
against the field's annotation. A value of any other type (a ``Decimal`` for a ``float`` field, a
``str`` enum, an unusual annotation) is handed to pydantic for that field alone, so the result equals
``Schema.model_validate(obj, context=…).model_dump()`` (tests compare them for every list schema).

:func:`respond` renders such a result with the API's own renderer; endpoints keep declaring
``response=SchemaPage`` so the OpenAPI document is unchanged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import types
import typing
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import Manager, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import TypeAdapter
from pydantic_core import PydanticUndefined

Converter = Callable[[Any, dict[str, Any]], Any]
Compiled = Callable[[Any, dict[str, Any]], dict[str, Any]]

# Annotation → the exact value types that pass unchanged (pydantic returns them as they are).
_EXACT: dict[Any, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    bool: (bool,),
    float: (float,),
    Decimal: (Decimal,),
    dt.datetime: (dt.datetime,),
    dt.date: (dt.date,),
    dt.time: (dt.time,),
}
_compiled: dict[type[Schema], Compiled] = {}
_converters: dict[Any, Converter] = {}
# Tests set this: every response is then also validated the slow way and must render byte-identical.
CHECK = False


class _Getter:
    """What a ninja ``Resolver`` reads: the object and the validation context."""

    __slots__ = ("_context", "_obj")

    def __init__(self, obj: Any, context: dict[str, Any]) -> None:
        self._obj = obj
        self._context = context


def _fallback(annotation: Any) -> Converter:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)

    def convert(value: Any, context: dict[str, Any]) -> Any:
        return adapter.dump_python(adapter.validate_python(value, from_attributes=True, context=context))

    return convert


def converter(annotation: Any) -> Converter:
    """value → what ``model_dump()`` holds for a field of ``annotation`` (one function per annotation)."""
    found = _converters.get(annotation)
    if found is None:
        found = _converters[annotation] = _converter(annotation)
    return found


@contextlib.contextmanager
def unlogged_queries(using: str = "default") -> Iterator[None]:
    """Queries run inside are left out of the connection's query log: a ``CHECK`` that builds a
    response the slow way must not change what the tests' query counts see."""
    log = connections[using].queries_log
    before = len(log)
    try:
        yield
    finally:
        while len(log) > before:
            log.pop()


def dump(annotation: Any, data: Any, context: dict[str, Any]) -> Any:
    """``data`` validated and dumped by pydantic itself, as ninja would (what tests compare with)."""
    return _fallback(annotation)(data, context)


def _converter(annotation: Any) -> Converter:
    """A function value → what ``model_dump()`` holds for a field of this annotation."""
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        nested = compile_schema(annotation)
        fallback = _fallback(annotation)

        def convert_schema(value: Any, context: dict[str, Any]) -> Any:
            return fallback(value, context) if value is None else nested(value, context)

        return convert_schema
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            inner = _converter(rest[0])
            return lambda value, context: None if value is None else inner(value, context)
    if origin is list and len(args) == 1:
        item = _converter(args[0])
        fallback = _fallback(annotation)

        def convert_list(value: Any, context: dict[str, Any]) -> Any:
            if type(value) is list or type(value) is tuple:
                return [item(v, context) for v in value]
            return fallback(value, context)

        return convert_list
    if origin is dict and len(args) == 2 and args[0] is str and args[1] in _EXACT:
        kinds, fallback = _EXACT[args[1]], _fallback(annotation)

        def convert_dict(value: Any, context: dict[str, Any]) -> Any:
            if type(value) is dict and all(type(k) is str and type(v) in kinds for k, v in value.items()):
                return dict(value)
            return fallback(value, context)

        return convert_dict
    if annotation in _EXACT:
        kinds, fallback = _EXACT[annotation], _fallback(annotation)
        return lambda value, context: value if type(value) in kinds else fallback(value, context)
    return _fallback(annotation)


def _read(obj: Any, attr: str) -> Any:
    """``DjangoGetter.__getattr__`` without a resolver: attribute or dict key; managers listed."""
    if isinstance(obj, dict):
        if attr not in obj:
            raise AttributeError(attr)
        value = obj[attr]
    else:
        value = getattr(obj, attr)
    return _finish(value)


def _finish(value: Any) -> Any:
    """What :func:`_read` does to an attribute's value after reading it."""
    if isinstance(value, Manager):
        return list(value.all())
    if isinstance(value, QuerySet):
        return list(value)
    if callable(value):
        return value()
    return value


def compile_schema(schema: type[Schema]) -> Compiled:
    """obj (model instance, dict or any object) → the dict ``schema`` validation would dump.

    For objects other than dicts the schema becomes generated Python source — one statement per field,
    the attribute read by name and a value of the field's exact type stored without a call — which is
    about twice as fast as walking the list of steps; dicts take the walk."""
    found = _compiled.get(schema)
    if found is not None:
        return found
    steps: list[tuple[str, Any, str, Converter, Any]] = []
    resolvers = schema._ninja_resolvers  # type: ignore[attr-defined]

    def walk(obj: Any, context: dict[str, Any]) -> dict[str, Any]:
        getter = _Getter(obj, context)
        result: dict[str, Any] = {}
        for name, resolver, attr, convert, default in steps:
            if resolver is not None:
                value = resolver(getter)
            else:
                try:
                    value = _read(obj, attr)
                except AttributeError:
                    if default is PydanticUndefined:
                        raise
                    result[name] = default() if callable(default) else default
                    continue
            result[name] = convert(value, context)
        return result

    generated: list[Compiled] = []
    from_dict: list[Compiled] = []

    def compiled(obj: Any, context: dict[str, Any]) -> dict[str, Any]:
        if not generated:
            return walk(obj, context)
        if type(obj) is dict:
            return from_dict[0](obj, context)
        if isinstance(obj, dict):
            return walk(obj, context)
        return generated[0](obj, context)

    _compiled[schema] = compiled  # before the fields: a schema may nest itself
    for name, field in schema.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        if field.default_factory is not None:
            default: Any = field.default_factory
        else:
            default = field.default
        steps.append((name, resolvers.get(name), alias or name, _converter(field.annotation), default))
    generated.append(_generate(schema, steps))
    # A dict (what a ``resolve_*`` returns for a nested schema: an owner's {"id", "name"}) is read by
    # key the same way, unless a resolver would need the walk's getter.
    dict_ready = all(r is None or getattr(r, "_static", False) for _n, r, *_rest in steps)
    from_dict.append(_generate(schema, steps, by_key=True) if dict_ready else walk)
    return compiled


def _generate(
    schema: type[Schema], steps: list[tuple[str, Any, str, Converter, Any]], *, by_key: bool = False
) -> Compiled:
    """The steps as one function's source: ``result[name] = …`` per field, in order.

    ``by_key``: the object is a plain dict, each field read as ``obj[key]`` (a missing key is the
    ``AttributeError`` that :func:`_read` raises)."""
    names: dict[str, Any] = {"_Getter": _Getter, "_finish": _finish}
    lines = ["def generated(obj, context):", "    result = {}"]
    if any(r is not None and not getattr(r, "_static", False) for _n, r, *_rest in steps):
        lines.insert(1, "    getter = _Getter(obj, context)")  # what ninja's other resolvers read
    for i, (name, resolver, attr, convert, default) in enumerate(steps):
        names[f"c{i}"], names[f"d{i}"], key = convert, default, repr(name)
        if resolver is not None and getattr(resolver, "_static", False):
            # ninja's Resolver calls its static function with the object (and the context when the
            # function takes one); called directly here.
            names[f"r{i}"] = resolver._func
            call = f"r{i}(obj, context=context)" if resolver._takes_context else f"r{i}(obj)"
            lines.append(f"    result[{key}] = c{i}({call}, context)")
            continue
        if resolver is not None:
            names[f"r{i}"] = resolver
            lines.append(f"    result[{key}] = c{i}(r{i}(getter), context)")
            continue
        kinds = _exact_kinds(schema.model_fields[name].annotation)
        if by_key:
            lines += ["    try:", f"        value = obj[{attr!r}]", "    except KeyError:"]
        else:
            lines += ["    try:", f"        value = getattr(obj, {attr!r})", "    except AttributeError:"]
        if default is PydanticUndefined:
            lines.append(f"        raise AttributeError({attr!r}) from None" if by_key else "        raise")
        else:
            lines.append(f"        result[{key}] = d{i}() if callable(d{i}) else d{i}")
        lines.append("    else:")
        if kinds is not None:
            names[f"k{i}"] = kinds
            lines.append(
                f"        result[{key}] = value if type(value) in k{i} else c{i}(_finish(value), context)"
            )
        else:
            lines.append(f"        result[{key}] = c{i}(_finish(value), context)")
    lines.append("    return result")
    label = f"<api_out {schema.__module__}.{schema.__qualname__}{' by key' if by_key else ''}>"
    code = compile("\n".join(lines), label, "exec")
    exec(code, names)  # noqa: S102  (source built above from the schema's field names only)
    return names["generated"]  # type: ignore[no-any-return]


def _exact_kinds(annotation: Any) -> tuple[type, ...] | None:
    """The value types a field of ``annotation`` keeps unchanged (``None`` included when optional)."""
    if annotation in _EXACT:
        return _EXACT[annotation]
    args = typing.get_args(annotation)
    if (
        typing.get_origin(annotation) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    ):
        inner = args[0] if args[1] is type(None) else args[1]
        if inner in _EXACT:
            return (*_EXACT[inner], type(None))
    return None


def respond_dumped(request: HttpRequest, data: Any, *, status: int = 200) -> HttpResponse:
    """``data`` already in its schema's dumped form (``customers.api_rows``), rendered as it is."""
    from daifuku.api import api

    return api.create_response(request, data, status=status)


def respond(request: HttpRequest, annotation: Any, data: Any, *, status: int = 200) -> HttpResponse:
    """``data`` rendered as the response schema ``annotation`` (``CompanyPage``, ``list[CategoryOut]`` …)."""
    from daifuku.api import api

    context = {"request": request, "response_status": status}
    out = converter(annotation)(data, context)
    if CHECK:
        expected = _fallback(annotation)(data, context)
        rendered, wanted = (api.renderer.render(request, v, response_status=status) for v in (out, expected))
        if rendered != wanted:
            raise AssertionError(f"api_out differs from pydantic for {annotation}:\n{rendered!r}\n{wanted!r}")
    return api.create_response(request, out, status=status)

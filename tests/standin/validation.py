"""Validate request bodies sent to the Discord stand-in against Discord's own OpenAPI schemas.

The schemas come from the subset of Discord's official OpenAPI 3.1 spec committed in ``openapi/``
and are checked with ``jsonschema`` (Draft 2020-12, as OpenAPI 3.1 uses). On loading, the spec is
prepared in two steps:

1. ``_match_discord_behaviour`` adjusts the few places where the spec disagrees with what Discord
   accepts from a bot; each adjustment says why.
2. ``_simplify`` rewrites schemas into equivalent ones (no verdict changes) that validate much
   faster and whose failures name the real cause: enums spelled as ``oneOf`` of ``const``s, unions
   of objects told apart by one field, "X or null" unions, and ``$ref``s embedded in place.

The validator class also checks plainly valid scalar values (short strings, numbers, booleans)
itself instead of handing each to jsonschema; anything less than certain still goes to jsonschema.
Together these take a typical message or interaction reply from ~20 ms to well under 1 ms.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.validators import extend

DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "openapi" / "discord-openapi-subset.json"
API_PREFIX = "/api/v10"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
JSON = "application/json"
MULTIPART = "multipart/form-data"

MAX_EMBED_TOTAL = 6000
BOT_CONTENT_LIMIT = 2000
BOT_CONTENT_SCHEMAS = ("MessageCreateRequest", "MessageEditRequestPartial")
PERMISSION_FIELDS = frozenset({"permissions", "allow", "deny", "default_member_permissions"})
DECIMAL_STRING = {"type": "string", "pattern": "^[0-9]+$"}

SCHEMA_REF_PREFIX = "#/components/schemas/"
COMBINATORS = ("anyOf", "oneOf")
ANNOTATION_KEYS = frozenset({"title", "description"})
ENUM_SCHEMA_KEYS = frozenset({"type", "enum", "format", "title", "description"})
NULL_SCHEMA = {"type": "null"}
DISPATCH_KEYWORD = "x-cohort-dispatch"
PLAIN_LEAF_KEYS = frozenset(
    {"type", "enum", "minLength", "maxLength", "minimum", "maximum", "pattern", "format", "title", "description"}
)
ITEMS_KEYWORD = Draft202012Validator.VALIDATORS["items"]

TYPE_ERROR_CODES = {
    "string": "STRING_TYPE_CONVERT",
    "integer": "NUMBER_TYPE_COERCE",
    "number": "NUMBER_TYPE_COERCE",
    "boolean": "BOOLEAN_TYPE_CONVERT",
    "object": "MODEL_TYPE_CONVERT",
    "array": "LIST_TYPE_CONVERT",
}
JSON_TYPE_NAMES = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}

PathPart = str | int


class BodyError(str):
    """A human-readable validation error that also remembers where it is and Discord's error code.

    It is a ``str`` (``"data.embeds.0.title: Must be 256 or fewer in length."``) so callers can treat
    errors as plain strings, while ``format_discord_error`` can still nest it at ``path``.
    """

    path: tuple[PathPart, ...]
    code: str
    message: str

    def __new__(cls, path: Iterable[PathPart], code: str, message: str) -> BodyError:
        """Build the error; its string form is ``"<dotted path>: <message>"``."""
        path = tuple(path)
        error = super().__new__(cls, f"{_dotted(path)}: {message}")
        error.path = path
        error.code = code
        error.message = message
        return error


def format_discord_error(errors: Iterable[str]) -> dict[str, Any]:
    """Build the JSON body Discord returns for an invalid form body (HTTP 400, code 50035).

    Each ``BodyError`` is nested at its JSON path, e.g. ``{"data": {"title": {"_errors": [...]}}}``;
    plain strings are listed under the top-level ``_errors``.
    """
    nested: dict[str, Any] = {}
    for error in errors:
        node = nested
        for part in getattr(error, "path", ()):
            node = node.setdefault(str(part), {})
        entry = {"code": getattr(error, "code", "BASE_TYPE_INVALID"), "message": getattr(error, "message", error)}
        node.setdefault("_errors", []).append(entry)
    return {"code": 50035, "message": "Invalid Form Body", "errors": nested}


class RequestValidator:
    """Check request bodies for the routes in Discord's OpenAPI spec (by default the committed subset)."""

    def __init__(self, spec_path: Path | None = None) -> None:
        """Load the spec, adapt it to what Discord really accepts, and index its routes."""
        spec = json.loads((spec_path or DEFAULT_SPEC_PATH).read_text(encoding="utf-8"))
        _match_discord_behaviour(spec)
        _simplify(spec)
        self._paths: dict[str, Any] = spec["paths"]
        self._routes = _compile_routes(self._paths)
        self._format_checker = _format_checker()
        self._validator_class = extend(
            Draft202012Validator,
            {
                DISPATCH_KEYWORD: _validate_dispatch,
                "properties": _validate_properties,
                "items": _validate_items,
            },
        )
        self._validators: dict[tuple[str, str, str], Draft202012Validator] = {}

    def validate(self, method: str, path: str, body: Any, *, content_type: str | None = None) -> list[str]:
        """Return the problems with ``body`` for ``METHOD path`` (an empty list means it is valid).

        ``path`` is the concrete route after ``/api/v10`` (a query string is ignored). ``body`` is the
        decoded JSON, or ``None`` when no body was sent. For ``multipart/form-data`` pass either the
        decoded ``payload_json`` object or a mapping of form fields holding ``payload_json``; it is
        checked against the route's JSON schema, as Discord does.
        """
        operation = self._operation(method, path.split("?", 1)[0].removeprefix(API_PREFIX))
        if operation is None:
            return [f"unknown route {method.upper()} {path}"]
        template, request_body = operation
        if request_body is None:
            return []  # Discord ignores bodies on routes that take none.
        media_type = (content_type or JSON).split(";", 1)[0].strip().lower()
        if media_type not in request_body["content"]:
            return [BodyError((), "CONTENT_TYPE_INVALID", f"Content-Type {media_type} is not accepted here.")]
        if media_type == MULTIPART:
            body = _payload_json(body)
        if body is None:
            # discord.py sends no body where the spec marks one required but Discord treats it as
            # empty (PUT and DELETE /guilds/{guild_id}/bans/{user_id}), so check an absent body as {}.
            body = {}
        schema_media_type = JSON if JSON in request_body["content"] else media_type
        validator = self._validator(template, method.lower(), schema_media_type)
        errors = [found for error in validator.iter_errors(body) for found in _explain(error)]
        errors.extend(_embed_total_errors(body))
        return list(dict.fromkeys(errors))

    def _operation(self, method: str, route: str) -> tuple[str, dict[str, Any] | None] | None:
        """Return ``(path template, requestBody or None)`` for a concrete route, or ``None`` if unknown."""
        template = _match_route(self._routes, route)
        if template is None or method.lower() not in HTTP_METHODS:
            return None
        operation = self._paths[template].get(method.lower())
        return None if operation is None else (template, operation.get("requestBody"))

    def _validator(self, template: str, method: str, media_type: str) -> Draft202012Validator:
        """Return the cached validator for one operation's body schema."""
        key = (template, method, media_type)
        if key not in self._validators:
            schema = self._paths[template][method]["requestBody"]["content"][media_type]["schema"]
            self._validators[key] = self._validator_class(schema, format_checker=self._format_checker)
        return self._validators[key]


# --- Where Discord differs from its spec -----------------------------------------------------------


def _match_discord_behaviour(spec: dict[str, Any]) -> None:
    """Adjust request schemas, in place, where the spec disagrees with what Discord accepts from a bot."""
    schemas = spec["components"]["schemas"]
    # Discord accepts snowflakes as JSON numbers as well as strings; discord.py sends numbers for
    # recipient_id, allowed_mentions users/roles, message_reference ids, member roles, parent_id,
    # overwrite ids, sticker_ids and attachment ids (the file index).
    snowflake = schemas["SnowflakeType"]
    snowflake["type"] = ["string", "integer"]
    snowflake["minimum"] = 0  # applies to the number form only; "pattern" only to the string form
    # Bots cannot have Nitro, so their message content is capped at 2000; the spec's 4000 is the
    # limit for Nitro users. (Webhook and interaction bodies already say 2000.)
    for name in BOT_CONTENT_SCHEMAS:
        schemas[name]["properties"]["content"]["maxLength"] = BOT_CONTENT_LIMIT
    # Permission bit sets: the spec says integer, but Discord documents (and returns) them as decimal
    # strings and accepts both. discord.py sends strings for roles and permission overwrites.
    for properties in _iter_properties(_request_schema_roots(spec)):
        for field in PERMISSION_FIELDS & properties.keys():
            declared = properties[field]
            if "integer" in _as_list(declared.get("type")):
                properties[field] = {"anyOf": [declared, DECIMAL_STRING]}


# --- Equivalent, faster schemas --------------------------------------------------------------------


def _simplify(spec: dict[str, Any]) -> None:
    """Rewrite the request schemas, in place, into equivalent ones that validate faster (see module doc)."""
    schemas = spec["components"]["schemas"]
    roots = _request_schema_roots(spec)
    for node in list(_iter_dicts(roots)):
        _apply_nullable(node)
        _collapse_const_union(node)
    for node in list(_iter_dicts(roots)):
        _dispatch_on_discriminator(node, schemas)
        _try_value_before_null(node, schemas)
        _drop_implied_enum_check(node, schemas)
    # Embedding last: afterwards the schemas share nodes, so they are no longer a tree to walk.
    for container in list(_iter_containers(roots)):
        _embed_references(container, schemas)


def _request_schema_roots(spec: dict[str, Any]) -> list[Any]:
    """Return the parts of the spec holding request schemas: components, and each requestBody's content."""
    roots: list[Any] = [spec["components"]["schemas"]]
    for path_item in spec["paths"].values():
        for method, operation in path_item.items():
            if method in HTTP_METHODS and "requestBody" in operation:
                roots.append(operation["requestBody"]["content"])
    return roots


def _apply_nullable(node: dict[str, Any]) -> None:
    """Turn OpenAPI 3.0's ``nullable: true`` into a JSON Schema type (Discord's 3.1 spec has none today).

    ``discriminator``, ``readOnly`` and ``writeOnly`` need nothing: jsonschema ignores the first and
    treats the others as annotations, which matches Discord ignoring read-only fields it is sent.
    """
    if node.get("nullable") is True and "type" in node:
        node["type"] = [*_as_list(node["type"]), "null"]


def _collapse_const_union(node: dict[str, Any]) -> None:
    """Rewrite an enum spelled as ``oneOf`` of titled ``const``s into a plain ``enum``."""
    branches = node.get("oneOf")
    if not isinstance(branches, list) or not all(
        isinstance(branch, dict) and "const" in branch and branch.keys() <= ANNOTATION_KEYS | {"const"}
        for branch in branches
    ):
        return
    values = [branch["const"] for branch in branches]
    if len({json.dumps(value) for value in values}) == len(values):
        del node["oneOf"]
        node["enum"] = values


def _dispatch_on_discriminator(node: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Replace a union of objects told apart by one field (``type``, ``entity_type``) with a dispatch.

    When every alternative is an object that requires the field and their allowed values for it are
    disjoint, at most one alternative can match, so ``oneOf``/``anyOf`` means "the alternative the
    field names matches". Checking only that one (``_validate_dispatch``) is much faster than trying
    them all, and a failure reports the real problem instead of "matches none".
    """
    for keyword in COMBINATORS:
        branches = node.get(keyword)
        if isinstance(branches, list) and (dispatch := _find_discriminator(branches, schemas)):
            del node[keyword]
            node[DISPATCH_KEYWORD] = dispatch


def _find_discriminator(branches: list[Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    """Return ``{"property": name, "cases": {json value: branch}}`` if one field tells ``branches`` apart."""
    targets = [_resolve(branch, schemas) for branch in branches]
    if not all(target.get("type") == "object" for target in targets):
        return None
    for name in targets[0].get("required", ()):
        allowed = [target.get("properties", {}).get(name, {}).get("enum") for target in targets]
        required_everywhere = all(name in target.get("required", ()) for target in targets)
        if not required_everywhere or not all(isinstance(values, list) for values in allowed):
            continue
        cases = {_case_key(value): branch for branch, values in zip(branches, allowed, strict=True) for value in values}
        if len(cases) == sum(map(len, allowed)):
            return {"property": name, "cases": cases}
    return None


def _validate_dispatch(
    validator: Any, dispatch: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """Validate an object against the one alternative its discriminator names (see above)."""
    name, cases = dispatch["property"], dispatch["cases"]
    if not validator.is_type(instance, "object"):
        yield ValidationError("not an object", validator="type", validator_value="object")
    elif name not in instance:
        yield ValidationError(f"{name!r} is required", validator="required", validator_value=[name])
    elif (branch := cases.get(_case_key(instance[name]))) is None:
        allowed = sorted((json.loads(key) for key in cases), key=lambda value: (str(type(value)), value))
        yield ValidationError(
            f"unknown {name}", validator="enum", validator_value=allowed, instance=instance[name], path=[name]
        )
    else:
        yield from validator.descend(instance, branch)


def _case_key(value: Any) -> str:
    """Return the dispatch key of a discriminator value; ``4.0`` counts as ``4``, as in JSON Schema."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


def _try_value_before_null(node: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Rewrite ``oneOf: [null, X]`` as ``anyOf: [X, null]`` when X never accepts null.

    Both mean "X or null", but ``anyOf`` stops at the first match, so a present value is checked
    once instead of also building a "not null" failure.
    """
    branches = node.get("oneOf")
    if not isinstance(branches, list) or len(branches) != 2 or NULL_SCHEMA not in branches:
        return
    (value_schema,) = (branch for branch in branches if branch != NULL_SCHEMA)
    declared_types = _resolve(value_schema, schemas).get("type")
    if declared_types is not None and "null" not in _as_list(declared_types) and "anyOf" not in node:
        del node["oneOf"]
        node["anyOf"] = [value_schema, NULL_SCHEMA]


def _drop_implied_enum_check(node: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Drop ``allOf: [<enum schema>]`` beside an ``enum`` whose values that schema already allows.

    Discord's discriminators read ``{"type": "integer", "enum": [2], "allOf": [<all component
    types>]}``; the ``allOf`` can never fail when the narrower ``enum`` passes.
    """
    parents = node.get("allOf")
    if not isinstance(node.get("enum"), list) or not isinstance(parents, list) or len(parents) != 1:
        return
    parent = _resolve(parents[0], schemas)
    implied = (
        parent.keys() <= ENUM_SCHEMA_KEYS
        and parent.get("type") == node.get("type")
        and all(value in parent.get("enum", ()) for value in node["enum"])
    )
    if implied:
        del node["allOf"]


def _embed_references(container: Any, schemas: dict[str, Any]) -> None:
    """Replace each ``{"$ref": "#/components/schemas/X"}`` child of ``container`` with schema X itself.

    Annotations beside the ``$ref`` are dropped; anything else beside it is kept, with the referenced
    schema moved into ``allOf``. Validating then never has to look a reference up.
    """
    children = container.items() if isinstance(container, dict) else enumerate(container)
    for key, child in list(children):
        if not (isinstance(child, dict) and isinstance(child.get("$ref"), str)):
            continue
        target = _resolve(child, schemas)
        if child.keys() <= ANNOTATION_KEYS | {"$ref"}:
            container[key] = target
        else:
            del child["$ref"]
            child["allOf"] = [*child.get("allOf", []), target]


def _resolve(schema: Any, schemas: dict[str, Any]) -> dict[str, Any]:
    """Return the component a ``$ref`` schema points at, or the schema itself if it is no reference."""
    if not isinstance(schema, dict):
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith(SCHEMA_REF_PREFIX):
            raise ValueError(f"unsupported reference {ref!r}")
        return schemas[ref.removeprefix(SCHEMA_REF_PREFIX)]
    return schema


def _iter_containers(node: Any) -> Iterator[dict[str, Any] | list[Any]]:
    """Yield every mapping and list inside a JSON document (parents before children)."""
    if isinstance(node, dict | list):
        yield node
        for child in node.values() if isinstance(node, dict) else node:
            yield from _iter_containers(child)


def _iter_dicts(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every mapping inside a JSON document (parents before children)."""
    return (container for container in _iter_containers(node) if isinstance(container, dict))


def _iter_properties(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every ``properties`` mapping inside a schema tree."""
    for mapping in _iter_dicts(node):
        properties = mapping.get("properties")
        if isinstance(properties, dict):
            yield properties


# --- Skipping jsonschema for plainly valid leaves --------------------------------------------------


def _validate_properties(
    validator: Any, properties: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """Do what jsonschema's ``properties`` does, without descending into plainly valid values.

    Descending is jsonschema's costliest step and most of a body is short strings, numbers, booleans
    and nulls. ``_plainly_valid`` only ever answers "certainly valid"; any doubt goes to jsonschema.
    """
    if not validator.is_type(instance, "object"):
        return
    for name, subschema in properties.items():
        if name in instance and not _plainly_valid(validator, instance[name], subschema):
            value_schema = _skip_null_alternative(instance[name], subschema)
            yield from validator.descend(instance[name], value_schema, path=name, schema_path=name)


def _validate_items(validator: Any, items: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    """Do what jsonschema's ``items`` does (Discord's spec has no ``prefixItems``), for plainly valid items."""
    if not validator.is_type(instance, "array") or "prefixItems" in schema:
        yield from ITEMS_KEYWORD(validator, items, instance, schema)
        return
    for index, item in enumerate(instance):
        if not _plainly_valid(validator, item, items):
            yield from validator.descend(item, _skip_null_alternative(item, items), path=index)


def _skip_null_alternative(value: Any, schema: Any) -> Any:
    """For an object or array, check ``anyOf: [X, null]`` as just X (the same verdict, one step less)."""
    if isinstance(value, dict | list) and isinstance(schema, dict) and schema.keys() == {"anyOf"}:
        branches = schema["anyOf"]
        if len(branches) == 2 and branches[1] == NULL_SCHEMA:
            return branches[0]
    return schema


def _plainly_valid(validator: Any, value: Any, schema: Any) -> bool:
    """Return True only if a scalar ``value`` certainly satisfies a simple ``schema`` (False means "ask")."""
    if not isinstance(schema, dict) or isinstance(value, dict | list):
        return False
    if schema.keys() <= ANNOTATION_KEYS | {"anyOf"} and "anyOf" in schema:
        return any(_plainly_valid(validator, value, branch) for branch in schema["anyOf"])
    if not schema.keys() <= PLAIN_LEAF_KEYS:
        return False
    declared = schema.get("type")
    if declared is not None and JSON_TYPE_NAMES.get(type(value)) not in _as_list(declared):
        return False
    if "enum" in schema and not any(type(value) is type(choice) and value == choice for choice in schema["enum"]):
        return False
    if "format" in schema and validator.format_checker is not None:
        if not validator.format_checker.conforms(value, schema["format"]):
            return False
    if isinstance(value, str):
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            return False
        return schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return schema.get("minimum", value) <= value <= schema.get("maximum", value)
    return True


# --- Formats ---------------------------------------------------------------------------------------


def _format_checker() -> FormatChecker:
    """Return a checker for the formats worth enforcing; int32/int64/snowflake/etc. stay annotations."""
    checker = FormatChecker(formats=())
    checker.checks("uri")(_is_uri)
    checker.checks("date-time")(_is_datetime)
    return checker


def _is_uri(value: object) -> bool:
    """Return whether ``value`` looks like an absolute URL (``https://…``, ``attachment://…``)."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not any(char.isspace() for char in value)


def _is_datetime(value: object) -> bool:
    """Return whether ``value`` is an ISO 8601 timestamp."""
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- Routing ---------------------------------------------------------------------------------------


def _compile_routes(paths: Mapping[str, Any]) -> list[tuple[re.Pattern[str], str]]:
    """Return ``(regex, template)`` pairs, most specific first, so literal segments beat ``{param}``."""

    def specificity(template: str) -> tuple[bool, ...]:
        return tuple(segment.startswith("{") for segment in template.split("/"))

    routes = []
    for template in sorted(paths, key=specificity):
        segments = ("[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/"))
        routes.append((re.compile("/".join(segments)), template))
    return routes


def _match_route(routes: list[tuple[re.Pattern[str], str]], route: str) -> str | None:
    """Return the template that ``route`` (a concrete path) matches, if any."""
    return next((template for pattern, template in routes if pattern.fullmatch(route)), None)


def _payload_json(body: Any) -> Any:
    """Return the JSON payload of a multipart body: the ``payload_json`` field, decoded if needed."""
    if isinstance(body, Mapping) and "payload_json" in body:
        payload = body["payload_json"]
        return json.loads(payload) if isinstance(payload, str | bytes) else payload
    return body


# --- Turning schema failures into Discord-like errors ----------------------------------------------


def _explain(error: ValidationError) -> list[BodyError]:
    """Turn one jsonschema error into ``BodyError``s, looking inside ``anyOf``/``oneOf`` for the cause."""
    if error.validator in COMBINATORS and error.context:
        return _explain_union(error)
    return _describe(error)


def _explain_union(error: ValidationError) -> list[BodyError]:
    """Report the errors of the alternative the body most nearly matched.

    The nearest alternative is the one whose failures reach deepest into the body and, on a tie,
    the one with fewest failures. Alternatives that tie and fail differently are summarised.
    """
    branches: dict[PathPart, list[ValidationError]] = defaultdict(list)
    for sub_error in error.context or ():
        branches[sub_error.relative_schema_path[0]].append(sub_error)
    ranked = sorted(branches.values(), key=_branch_rank, reverse=True)
    nearest = [branch for branch in ranked if _branch_rank(branch) == _branch_rank(ranked[0])]
    explanations = [[found for sub in branch for found in _explain(sub)] for branch in nearest]
    if all(explanation == explanations[0] for explanation in explanations):
        return explanations[0]
    return [_merged_choices(error, nearest) or _no_alternative(error, explanations)]


def _branch_rank(branch: list[ValidationError]) -> tuple[int, int]:
    """Rank an alternative's failures: deeper first, then fewer."""
    return max(_depth(sub) for sub in branch), -len(branch)


def _depth(error: ValidationError) -> int:
    """Return how deep into the body an error (or any error it contains) points."""
    return max([len(error.absolute_path), *(_depth(sub) for sub in error.context or ())])


def _merged_choices(error: ValidationError, branches: list[list[ValidationError]]) -> BodyError | None:
    """Merge alternatives that each fail one type/enum/const check at the same place into one error.

    ``{"type": "null"}`` counts as the choice ``null``, so "one of these strings, or null" reads as
    one list of values.
    """
    leaves = [branch[0] for branch in branches if len(branch) == 1]
    if len(leaves) != len(branches) or len({tuple(leaf.absolute_path) for leaf in leaves}) != 1:
        return None
    if any(leaf.validator not in ("type", "enum", "const") for leaf in leaves):
        return None
    path = tuple(leaves[0].absolute_path)
    type_leaves = [leaf for leaf in leaves if leaf.validator == "type"]
    if len(type_leaves) == len(leaves):
        expected = sorted({name for leaf in leaves for name in _as_list(leaf.validator_value)})
        message = f"Must be of type {' or '.join(expected)} (got {_json_type(error.instance)})."
        return BodyError(path, TYPE_ERROR_CODES.get(expected[-1], "BASE_TYPE_INVALID"), message)
    if any(leaf.validator_value != "null" for leaf in type_leaves):
        return None
    choices = [value for leaf in leaves if leaf.validator != "type" for value in _as_list(leaf.validator_value)]
    choices += [None] if type_leaves else []
    return BodyError(path, "BASE_TYPE_CHOICES", f"Value must be one of {_choices(choices)}.")


def _no_alternative(error: ValidationError, explanations: list[list[BodyError]]) -> BodyError:
    """Describe a value that matches none of several alternatives that fail in different ways."""
    path = tuple(error.absolute_path)
    firsts = [explanation[0] for explanation in explanations if explanation]
    reasons = (first.message if first.path == path else str(first) for first in firsts)
    message = _truncate("Matches none of the allowed forms: " + " / ".join(dict.fromkeys(reasons)), 300)
    return BodyError(path, "BASE_TYPE_INVALID", message)


def _describe(error: ValidationError) -> list[BodyError]:
    """Describe one failed keyword the way Discord words it."""
    path = tuple(error.absolute_path)
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        missing = [name for name in expected if isinstance(instance, dict) and name not in instance]
        return [BodyError((*path, name), "BASE_TYPE_REQUIRED", "This field is required") for name in missing]
    if keyword in ("maxLength", "maxItems", "maxProperties"):
        return [BodyError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {expected} or fewer in length.")]
    if keyword in ("minLength", "minItems", "minProperties"):
        return [BodyError(path, "BASE_TYPE_MIN_LENGTH", f"Must be {expected} or more in length.")]
    if keyword == "maximum":
        return [BodyError(path, "NUMBER_TYPE_MAX", f"Value should be less than or equal to {expected}.")]
    if keyword == "minimum":
        return [BodyError(path, "NUMBER_TYPE_MIN", f"Value should be greater than or equal to {expected}.")]
    if keyword in ("enum", "const"):
        return [BodyError(path, "BASE_TYPE_CHOICES", f"Value must be one of {_choices(_as_list(expected))}.")]
    if keyword == "type":
        message = f"Must be of type {' or '.join(_as_list(expected))} (got {_json_type(instance)})."
        return [BodyError(path, TYPE_ERROR_CODES.get(_as_list(expected)[0], "BASE_TYPE_INVALID"), message)]
    if keyword == "format" and expected == "uri":
        return [BodyError(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")]
    if keyword == "format" and expected == "date-time":
        return [BodyError(path, "DATE_TIME_TYPE_PARSE", f"Could not parse {instance!r}. Should be ISO8601.")]
    if keyword == "pattern":
        return [BodyError(path, "BASE_TYPE_INVALID", f"Value {_truncate(repr(instance))} does not match {expected}.")]
    if keyword == "uniqueItems":
        return [BodyError(path, "SET_TYPE_ALREADY_CONTAINS_VALUE", "Values must be unique.")]
    return [BodyError(path, "BASE_TYPE_INVALID", _truncate(error.message))]


def _as_list(value: Any) -> list[Any]:
    """Return ``value`` as a list (schema keywords take either one value or a list)."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _choices(values: Iterable[Any]) -> str:
    """Render allowed values the way Discord does: ``{1, 4, 5}``."""
    return "{" + ", ".join(json.dumps(value) for value in values) + "}"


def _json_type(value: Any) -> str:
    """Return the JSON type name of a decoded value."""
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _truncate(text: str, limit: int = 120) -> str:
    """Cut ``text`` to ``limit`` characters so a huge body cannot flood an error message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dotted(path: Iterable[PathPart]) -> str:
    """Render a JSON path as ``data.embeds.0.title`` (``(body)`` for the root)."""
    return ".".join(str(part) for part in path) or "(body)"


# --- Rules the schemas cannot express --------------------------------------------------------------


def _embed_total_errors(body: Any) -> list[BodyError]:
    """Enforce Discord's 6,000-character total across all embeds of one message."""
    errors = []
    for path, embeds in _embed_lists(body):
        total = sum(_embed_text_length(embed) for embed in embeds if isinstance(embed, dict))
        if total > MAX_EMBED_TOTAL:
            message = f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL} (got {total})."
            errors.append(BodyError(path, "MAX_EMBED_SIZE_EXCEEDED", message))
    return errors


def _embed_lists(body: Any) -> Iterator[tuple[tuple[str, ...], list[Any]]]:
    """Yield a message body's embed lists: ``embeds``, or ``data.embeds`` in an interaction callback."""
    if not isinstance(body, dict):
        return
    if isinstance(body.get("embeds"), list):
        yield ("embeds",), body["embeds"]
    data = body.get("data")
    if isinstance(data, dict) and isinstance(data.get("embeds"), list):
        yield ("data", "embeds"), data["embeds"]


def _embed_text_length(embed: dict[str, Any]) -> int:
    """Count the characters of one embed that Discord counts towards the 6,000 total."""
    texts = [embed.get("title"), embed.get("description")]
    fields = embed.get("fields")
    for field in fields if isinstance(fields, list) else ():
        if isinstance(field, dict):
            texts += [field.get("name"), field.get("value")]
    for part, key in (("footer", "text"), ("author", "name")):
        if isinstance(embed.get(part), dict):
            texts.append(embed[part].get(key))
    return sum(len(text) for text in texts if isinstance(text, str))

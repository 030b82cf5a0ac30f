"""Validate request bodies sent to the Discord stand-in against Discord's own OpenAPI schemas.

The schemas come from the subset of Discord's official OpenAPI 3.1 spec committed in ``openapi/``.
A few places where the spec is stricter or looser than Discord itself are adjusted in
``_adapt_schemas``; each adjustment says why.
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
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "openapi" / "discord-openapi-subset.json"
SPEC_URI = "urn:cohort:discord-openapi-subset"
API_PREFIX = "/api/v10"

JSON = "application/json"
MULTIPART = "multipart/form-data"

MAX_EMBED_TOTAL = 6000
# Bots cannot have Nitro, so their message content is capped at 2000; the spec's 4000 is the Nitro limit.
BOT_CONTENT_LIMIT = 2000
BOT_CONTENT_SCHEMAS = ("MessageCreateRequest", "MessageEditRequestPartial")
# Permission bit sets: the spec types them as integers, but Discord documents (and returns) them as
# decimal strings and accepts both. discord.py sends strings for roles and overwrites.
PERMISSION_FIELDS = frozenset({"permissions", "allow", "deny", "default_member_permissions"})
DECIMAL_STRING = {"type": "string", "pattern": "^[0-9]+$"}

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
COMBINATORS = ("anyOf", "oneOf")
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

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
        path = getattr(error, "path", ())
        code = getattr(error, "code", "BASE_TYPE_INVALID")
        message = getattr(error, "message", str(error))
        node = nested
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": nested}


class RequestValidator:
    """Check request bodies for the routes in Discord's OpenAPI spec (or the committed subset of it)."""

    def __init__(self, spec_path: Path | None = None) -> None:
        """Load the spec, adapt it to what Discord really accepts, and index its routes."""
        spec = json.loads((spec_path or DEFAULT_SPEC_PATH).read_text(encoding="utf-8"))
        _adapt_schemas(spec["components"]["schemas"])
        self._paths: dict[str, Any] = spec["paths"]
        self._routes = _compile_routes(self._paths)
        self._registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(spec))
        self._format_checker = _format_checker()
        self._validators: dict[tuple[str, str, str], Draft202012Validator] = {}

    def validate(self, method: str, path: str, body: Any, *, content_type: str | None = None) -> list[str]:
        """Return the problems with ``body`` for ``METHOD path`` (an empty list means it is valid).

        ``path`` is the concrete route after ``/api/v10`` (a query string is ignored). ``body`` is the
        decoded JSON, or ``None`` when no body was sent. For ``multipart/form-data`` pass either the
        decoded ``payload_json`` object or a mapping of form fields holding ``payload_json``.
        """
        route = path.split("?", 1)[0].removeprefix(API_PREFIX)
        operation = self._operation(method, route)
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
            # discord.py sends no body where the spec demands one but Discord treats it as empty
            # (e.g. DELETE /guilds/{guild_id}/bans/{user_id}), so validate an absent body as {}.
            body = {}
        schema_media_type = JSON if JSON in request_body["content"] else media_type
        validator = self._validator(method.lower(), template, schema_media_type)
        errors = _schema_errors(validator, body)
        errors.extend(_embed_total_errors(body))
        return list(dict.fromkeys(errors))

    def _operation(self, method: str, route: str) -> tuple[str, dict[str, Any] | None] | None:
        """Return ``(path template, requestBody or None)`` for the route, or ``None`` if unknown."""
        template = _match_route(self._routes, route)
        if template is None:
            return None
        operation = self._paths[template].get(method.lower()) if method.lower() in HTTP_METHODS else None
        if operation is None:
            return None
        return template, operation.get("requestBody")

    def _validator(self, method: str, template: str, media_type: str) -> Draft202012Validator:
        """Return the (cached) validator for one operation's body schema of ``media_type``."""
        key = (method, template, media_type)
        validator = self._validators.get(key)
        if validator is None:
            parts = ("paths", template, method, "requestBody", "content", media_type)
            pointer = "/".join(_escape_pointer(part) for part in parts)
            schema = {"$ref": f"{SPEC_URI}#/{pointer}/schema"}
            validator = Draft202012Validator(
                schema, registry=self._registry, format_checker=self._format_checker
            )
            self._validators[key] = validator
        return validator


# --- Adapting the spec -----------------------------------------------------------------------------


def _adapt_schemas(schemas: dict[str, Any]) -> None:
    """Adjust the spec's component schemas, in place, to what Discord accepts from a bot."""
    # Discord accepts snowflakes as JSON numbers as well as strings; discord.py sends numbers for
    # recipient_id, allowed_mentions users/roles, message_reference ids, member roles, parent_id,
    # overwrite ids, sticker_ids and attachment ids (the file index).
    snowflake = schemas["SnowflakeType"]
    snowflake["type"] = ["string", "integer"]
    snowflake["minimum"] = 0  # applies to the number form only; "pattern" only to the string form
    for name in BOT_CONTENT_SCHEMAS:
        schemas[name]["properties"]["content"]["maxLength"] = BOT_CONTENT_LIMIT
    for properties in _iter_properties(schemas):
        for field in PERMISSION_FIELDS & properties.keys():
            declared = properties[field]
            if "integer" in _as_list(declared.get("type")):
                properties[field] = {"anyOf": [declared, DECIMAL_STRING]}


def _iter_properties(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every ``properties`` mapping inside a schema tree."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield properties
        for value in node.values():
            yield from _iter_properties(value)
    elif isinstance(node, list):
        for item in node:
            yield from _iter_properties(item)


def _format_checker() -> FormatChecker:
    """Return a checker for the formats worth enforcing; int64/snowflake/etc. stay annotations."""
    checker = FormatChecker(formats=())
    checker.checks("uri")(_is_uri)
    checker.checks("date-time")(_is_datetime)
    return checker


def _is_uri(value: object) -> bool:
    """Return whether ``value`` looks like an absolute URL (``https://…``, ``attachment://…``)."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not any(ch.isspace() for ch in value)


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
    """Return ``(regex, template)`` pairs, most specific first so literal segments beat ``{param}``."""

    def specificity(template: str) -> tuple[bool, ...]:
        return tuple(segment.startswith("{") for segment in template.split("/"))

    routes = []
    for template in sorted(paths, key=specificity):
        segments = (
            "[^/]+" if segment.startswith("{") else re.escape(segment) for segment in template.split("/")
        )
        routes.append((re.compile("/".join(segments)), template))
    return routes


def _match_route(routes: list[tuple[re.Pattern[str], str]], route: str) -> str | None:
    """Return the template that ``route`` (a concrete path) matches, if any."""
    for pattern, template in routes:
        if pattern.fullmatch(route):
            return template
    return None


def _escape_pointer(part: str) -> str:
    """Escape one JSON-pointer segment."""
    return part.replace("~", "~0").replace("/", "~1")


def _payload_json(body: Any) -> Any:
    """Return the JSON payload of a multipart body: the ``payload_json`` field, decoded if needed."""
    if isinstance(body, Mapping) and "payload_json" in body:
        payload = body["payload_json"]
        return json.loads(payload) if isinstance(payload, str | bytes) else payload
    return body


# --- Turning schema failures into Discord-like errors ----------------------------------------------


def _schema_errors(validator: Draft202012Validator, body: Any) -> list[BodyError]:
    """Validate ``body`` and explain each failure at the JSON path Discord would report."""
    return [explained for error in validator.iter_errors(body) for explained in _explain(error)]


def _explain(error: ValidationError) -> list[BodyError]:
    """Turn one jsonschema error into ``BodyError``s, looking inside ``anyOf``/``oneOf`` for the cause."""
    if error.validator in COMBINATORS and error.context:
        return _explain_combinator(error)
    return _describe(error)


def _explain_combinator(error: ValidationError) -> list[BodyError]:
    """Report the errors of the alternative the body most nearly matched.

    The nearest alternative is the one whose failures reach deepest into the body (it got past the
    discriminating fields) and, on a tie, the one with fewest failures.
    """
    branches: dict[PathPart, list[ValidationError]] = defaultdict(list)
    for sub_error in error.context or ():
        branches[sub_error.relative_schema_path[0]].append(sub_error)
    ranked = sorted(branches.values(), key=_branch_rank, reverse=True)
    best = [branch for branch in ranked if _branch_rank(branch) == _branch_rank(ranked[0])]
    explanations = [[found for sub in branch for found in _explain(sub)] for branch in best]
    if all(explanation == explanations[0] for explanation in explanations):
        return explanations[0]
    return [_merged_choices(error, best) or _no_alternative(error)]


def _branch_rank(branch: list[ValidationError]) -> tuple[int, int]:
    """Rank an alternative: deeper failures first, then fewer failures."""
    return max(_depth(sub) for sub in branch), -len(branch)


def _depth(error: ValidationError) -> int:
    """Return how deep into the body an error (or any error it contains) points."""
    return max([len(error.absolute_path), *(_depth(sub) for sub in error.context or ())])


def _merged_choices(error: ValidationError, branches: list[list[ValidationError]]) -> BodyError | None:
    """Merge alternatives that each fail one type/enum/const check at the same place into one error."""
    leaves = [branch[0] for branch in branches if len(branch) == 1]
    if len(leaves) != len(branches) or len({tuple(leaf.absolute_path) for leaf in leaves}) != 1:
        return None
    if any(leaf.validator not in ("type", "enum", "const") for leaf in leaves):
        return None
    path = tuple(leaves[0].absolute_path)
    if all(leaf.validator == "type" for leaf in leaves):
        expected = sorted({name for leaf in leaves for name in _as_list(leaf.validator_value)})
        code = TYPE_ERROR_CODES.get(expected[-1], "BASE_TYPE_INVALID")
        return BodyError(path, code, f"Must be of type {' or '.join(expected)} (got {_json_type(error.instance)}).")
    choices = sorted(
        {value for leaf in leaves for value in _as_list(leaf.validator_value)}, key=lambda value: repr(value)
    )
    return BodyError(path, "BASE_TYPE_CHOICES", f"Value must be one of {_choices(choices)}.")


def _no_alternative(error: ValidationError) -> BodyError:
    """Describe a body that matches none of several quite different alternatives."""
    count = len(error.validator_value)
    return BodyError(error.absolute_path, "BASE_TYPE_INVALID", f"Matches none of the {count} allowed forms.")


def _describe(error: ValidationError) -> list[BodyError]:
    """Describe a single failed keyword the way Discord words it."""
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
        code = TYPE_ERROR_CODES.get(_as_list(expected)[0], "BASE_TYPE_INVALID")
        wanted = " or ".join(_as_list(expected))
        return [BodyError(path, code, f"Must be of type {wanted} (got {_json_type(instance)}).")]
    if keyword == "format" and expected == "uri":
        return [BodyError(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")]
    if keyword == "format" and expected == "date-time":
        return [BodyError(path, "DATE_TIME_TYPE_PARSE", f"Could not parse {instance!r}. Should be ISO8601.")]
    if keyword == "pattern":
        return [BodyError(path, "BASE_TYPE_INVALID", f"Value {_truncate(repr(instance), 60)} does not match {expected}.")]
    if keyword == "uniqueItems":
        return [BodyError(path, "SET_TYPE_ALREADY_CONTAINS_VALUE", "Values must be unique.")]
    return [BodyError(path, "BASE_TYPE_INVALID", _truncate(error.message, 200))]


def _as_list(value: Any) -> list[Any]:
    """Return ``value`` as a list (schema keywords take either one value or a list)."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _choices(values: Iterable[Any]) -> str:
    """Render allowed values the way Discord does: ``{1, 4, 5}``."""
    return "{" + ", ".join(json.dumps(value) for value in values) + "}"


def _json_type(value: Any) -> str:
    """Return the JSON type name of a decoded value."""
    return JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters so huge bodies don't flood an error message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dotted(path: Iterable[PathPart]) -> str:
    """Render a JSON path as ``data.embeds.0.title`` (``(body)`` for the root)."""
    return ".".join(str(part) for part in path) or "(body)"


# --- Rules the schemas cannot express ----------------------------------------------------------------


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
    """Yield the embed lists of a message body: ``embeds``, or ``data.embeds`` in an interaction callback."""
    if not isinstance(body, dict):
        return
    if isinstance(body.get("embeds"), list):
        yield ("embeds",), body["embeds"]
    data = body.get("data")
    if isinstance(data, dict) and isinstance(data.get("embeds"), list):
        yield ("data", "embeds"), data["embeds"]


def _embed_text_length(embed: dict[str, Any]) -> int:
    """Count the characters Discord counts towards the embed total for one embed."""
    texts = [embed.get("title"), embed.get("description")]
    for field in embed.get("fields") or ():
        if isinstance(field, dict):
            texts += [field.get("name"), field.get("value")]
    for part, key in (("footer", "text"), ("author", "name")):
        if isinstance(embed.get(part), dict):
            texts.append(embed[part].get(key))
    return sum(len(text) for text in texts if isinstance(text, str))

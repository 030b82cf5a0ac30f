"""Regenerate the committed subset of Discord's OpenAPI spec that the stand-in validates against.

Usage (from the repository root):

    .venv/bin/python tests/standin/openapi/generate_subset.py [path/to/discord-openapi.json]

The default source is ``../shared/discord-openapi.json`` relative to the repository root. The script
keeps only the routes a bot like ours calls, plus every component they reference (transitively), so
the subset is a self-contained OpenAPI document. It also writes ``LICENSE`` beside the subset from
``discord-openapi.LICENSE`` next to the source. Output is deterministic: running it twice on the same
source gives identical bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "discord-openapi.json"
SUBSET_PATH = HERE / "discord-openapi-subset.json"
LICENSE_PATH = HERE / "LICENSE"

# Where the source spec came from; update these when regenerating from a newer spec.
SOURCE_REPOSITORY = "discord/discord-api-spec"
SOURCE_FILE = "specs/openapi.json"
SOURCE_COMMIT = "74fda0f"
SOURCE_DATE = "2026-07-18"

ROUTES = (
    "/users/@me",
    "/oauth2/applications/@me",
    "/applications/{application_id}/commands",
    "/applications/{application_id}/commands/{command_id}",
    "/applications/{application_id}/guilds/{guild_id}/commands",
    "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
    "/interactions/{interaction_id}/{interaction_token}/callback",
    "/webhooks/{webhook_id}/{webhook_token}",
    "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
    "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
    "/channels/{channel_id}",
    "/channels/{channel_id}/messages",
    "/channels/{channel_id}/messages/{message_id}",
    "/users/@me/channels",
    "/guilds/{guild_id}",
    "/guilds/{guild_id}/members/{user_id}",
    "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
    "/guilds/{guild_id}/members",
    "/guilds/{guild_id}/roles",
    "/guilds/{guild_id}/channels",
    "/guilds/{guild_id}/scheduled-events",
    "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
    "/gateway",
    "/gateway/bot",
    "/guilds/{guild_id}/bans/{user_id}",
    # Also served by the stand-in (tests/standin/server.py), so their bodies are checked too.
    "/applications/@me",
    "/users/{user_id}",
    "/channels/{channel_id}/typing",
    "/channels/{channel_id}/permissions/{overwrite_id}",
    "/channels/{channel_id}/messages/bulk-delete",
    "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me",
    "/guilds/{guild_id}/roles/{role_id}",
    "/guilds/{guild_id}/members/search",
    # Threads (tests/standin/threads.py).
    "/channels/{channel_id}/messages/{message_id}/threads",
    "/channels/{channel_id}/threads",
    "/channels/{channel_id}/thread-members",
    "/channels/{channel_id}/thread-members/@me",
    "/channels/{channel_id}/thread-members/{user_id}",
    "/guilds/{guild_id}/threads/active",
)

COMPONENT_REF_PREFIX = "#/components/"


def iter_refs(node: Any) -> Iterator[str]:
    """Yield every ``$ref`` string found anywhere inside ``node``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from iter_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from iter_refs(item)


def iter_security_schemes(paths: dict[str, Any]) -> Iterator[str]:
    """Yield the names of security schemes the operations require (they are named, not ``$ref``'d)."""
    for path_item in paths.values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                for requirement in operation.get("security", []):
                    yield from requirement


def collect_components(spec: dict[str, Any], roots: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Return the components ``roots`` reference, following references inside components too."""
    components = spec.get("components", {})
    needed: dict[str, dict[str, Any]] = {}
    pending = [ref for root in roots for ref in iter_refs(root)]
    while pending:
        ref = pending.pop()
        if not ref.startswith(COMPONENT_REF_PREFIX):
            raise ValueError(f"unsupported reference {ref!r}: only local component references are handled")
        section, name = ref.removeprefix(COMPONENT_REF_PREFIX).split("/", 1)
        if name in needed.get(section, {}):
            continue
        component = components[section][name]
        needed.setdefault(section, {})[name] = component
        pending.extend(iter_refs(component))
    return needed


def build_subset(spec: dict[str, Any], routes: Iterable[str] = ROUTES) -> tuple[dict[str, Any], list[str]]:
    """Return ``(subset, missing_routes)``: a self-contained OpenAPI document holding only ``routes``."""
    paths = {route: spec["paths"][route] for route in routes if route in spec["paths"]}
    missing = [route for route in routes if route not in spec["paths"]]
    components = collect_components(spec, paths.values())
    scheme_names = set(iter_security_schemes(paths))
    if scheme_names:
        all_schemes = spec["components"]["securitySchemes"]
        components["securitySchemes"] = {name: all_schemes[name] for name in scheme_names}
    subset = {key: value for key, value in spec.items() if key not in ("paths", "components")}
    subset["paths"] = paths
    subset["components"] = components
    return subset, missing


def render_subset(subset: dict[str, Any]) -> str:
    """Serialise the subset deterministically (sorted keys, one-space indent, trailing newline)."""
    return json.dumps(subset, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def render_license(source_license: str) -> str:
    """Return the licence text with a header naming the file it covers and where that file came from."""
    header = (
        f"This licence covers discord-openapi-subset.json in this directory, a subset of {SOURCE_FILE} "
        f"from {SOURCE_REPOSITORY} (commit {SOURCE_COMMIT}, {SOURCE_DATE}).\n\n"
    )
    return header + source_license


def regenerate(source: Path) -> list[str]:
    """Write the subset and its licence from ``source``; return the routes the source lacked."""
    spec = json.loads(source.read_text(encoding="utf-8"))
    subset, missing = build_subset(spec)
    SUBSET_PATH.write_text(render_subset(subset), encoding="utf-8")
    licence = source.with_name("discord-openapi.LICENSE").read_text(encoding="utf-8")
    LICENSE_PATH.write_text(render_license(licence), encoding="utf-8")
    return missing


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, regenerate the files and report what was skipped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE, help="Discord's openapi.json")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"error: {args.source} not found", file=sys.stderr)
        return 1
    missing = regenerate(args.source)
    for route in missing:
        print(f"skipped (not in the spec): {route}")
    print(f"wrote {SUBSET_PATH.relative_to(REPO_ROOT)} and {LICENSE_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

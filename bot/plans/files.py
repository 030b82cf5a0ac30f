"""Plan files: read a plan an organiser wrote (Markdown, YAML or JSON), write one back, ship examples.

- :func:`read_plan` takes the uploaded bytes and returns a :class:`PlanDoc`, or raises
  :class:`PlanFileError` (an ``InvalidInput``) listing every problem with its line and what to fix.
  Nothing is returned when there is any problem, so nothing half-read can be stored.
- :func:`plan_to_markdown` (``/plan export``), :func:`plan_to_yaml`, :func:`plan_to_json` write a plan
  that reads back equal.
- :func:`list_examples` / :func:`read_example` serve the plans shipped in ``data/plans/``.

The formats themselves are described in :mod:`bot.plans.files_markdown` and
:mod:`bot.plans.files_structured`; the rules they share in :mod:`bot.plans.files_fields`.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.errors import NotFound
from bot.plans.files_fields import MAX_FILE_BYTES, PlanFileError, Problem
from bot.plans.files_markdown import read_markdown
from bot.plans.files_markdown_write import plan_to_markdown
from bot.plans.files_structured import read_json, read_yaml
from bot.plans.files_structured_write import plan_to_data, plan_to_json, plan_to_yaml
from bot.plans.model import PlanDoc

__all__ = [
    "EXAMPLES_DIR", "MAX_FILE_BYTES", "PlanFileError", "Problem", "list_examples", "plan_to_data", "plan_to_json",
    "plan_to_markdown", "plan_to_yaml", "read_example", "read_plan",
]

EXAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "plans"
EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}
_EXAMPLE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_YAML_UNITS = re.compile(r"^(?:units|weeks)\s*:", re.MULTILINE)


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise PlanFileError([Problem("", f"the file is {len(data) / 1024 / 1024:.1f} MB; a plan file is at most "
                                         "1 MB, so split the plan or trim it.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlanFileError([Problem(f"line {line}", f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                                                     "save it as UTF-8 and upload it again.", line)]) from None


def sniff(text: str, filename: str | None = None) -> str:
    """Which format a file is in: by its extension, else by its first characters."""
    if filename:
        suffix = Path(filename).suffix.lower()
        if suffix in EXTENSIONS:
            return EXTENSIONS[suffix]
    start = text.lstrip()
    if start.startswith(("{", "[")):
        return "json"
    # A YAML plan has a top-level "units:" (or "weeks:"); a Markdown one starts with "# ".
    if start.startswith("---") or (_YAML_UNITS.search(text) and not re.search(r"^ {0,3}##\s", text, re.M)):
        return "yaml"
    return "markdown"


def read_plan(data: bytes, *, filename: str | None = None) -> PlanDoc:
    """The plan in an uploaded file (Markdown by default); raises :class:`PlanFileError` with every problem.

    Linear in the file, but a hostile 1 MB file takes up to a few seconds: call it off the event
    loop (``asyncio.to_thread``), and check the attachment's size (:data:`MAX_FILE_BYTES`) first.
    """
    text = _decode(data)
    kind = sniff(text, filename)
    if kind == "json":
        return read_json(text)
    if kind == "yaml":
        return read_yaml(text)
    return read_markdown(text)


def list_examples(directory: Path = EXAMPLES_DIR) -> list[str]:
    """The names of the shipped example plans (``ml-systems-design``…), sorted."""
    if not directory.is_dir():
        return []
    return sorted(path.stem for path in directory.iterdir()
                  if path.suffix in EXTENSIONS and path.is_file() and _EXAMPLE_NAME.match(path.stem))


def read_example(name: str, directory: Path = EXAMPLES_DIR) -> PlanDoc:
    """A shipped example by its plain name; anything that is not one of ``list_examples()`` is refused."""
    wanted = name.strip().lower()
    if _EXAMPLE_NAME.match(wanted) and wanted in list_examples(directory):
        for path in sorted(directory.iterdir()):
            if path.stem == wanted and path.suffix in EXTENSIONS:
                return read_plan(path.read_bytes(), filename=path.name)
    names = ", ".join(f"`{example}`" for example in list_examples(directory)) or "none"
    raise NotFound(f"There is no example plan `{name[:40].replace('`', '')}`; the examples are: {names}.")

"""A plan written back as YAML or JSON in the structure :mod:`bot.plans.files_structured` reads."""

from __future__ import annotations

import json
from typing import Any

import yaml

from bot.plans import files_fields as rules
from bot.plans.model import DEFAULT_UNIT_DAYS, ItemDoc, PlanDoc, UnitDoc


def plan_to_data(doc: PlanDoc) -> dict[str, Any]:
    """The plan as plain data in the YAML/JSON structure (defaults left out)."""
    data: dict[str, Any] = {"title": doc.title}
    if doc.description:
        data["description"] = doc.description
    for name, value in (("slug", doc.slug), ("topic", doc.topic)):
        if value:
            data[name] = value
    if doc.unit_days != DEFAULT_UNIT_DAYS:
        data["unit_days"] = doc.unit_days
    data["units"] = [_unit_data(unit, doc.unit_days) for unit in doc.units]
    return data


def _unit_data(unit: UnitDoc, days: int) -> dict[str, Any]:
    data: dict[str, Any] = {"number": unit.number, "title": unit.title}
    if unit.goals:
        data["goals"] = list(unit.goals)
    data["items"] = [_item_data(item, days) for item in unit.items]
    return data


def _item_data(item: ItemDoc, days: int) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": item.kind.value, "title": item.title}
    if item.url:
        data["url"] = item.url
    if not item.required:
        data["optional"] = True
    if item.minutes is not None:
        data["minutes"] = item.minutes
    if item.due is not None:
        data["due"] = rules.format_due(item.due, days)
    return data


def plan_to_yaml(doc: PlanDoc) -> str:
    return yaml.safe_dump(plan_to_data(doc), allow_unicode=True, sort_keys=False, width=100)


def plan_to_json(doc: PlanDoc) -> str:
    return json.dumps(plan_to_data(doc), ensure_ascii=False, indent=2) + "\n"

"""Free text that members type: cleaned the same way everywhere, refused with the same words."""

from __future__ import annotations

from bot.errors import InvalidInput


def clean_text(value: str, label: str, limit: int, *, required: bool) -> str:
    """Drop NUL characters and surrounding space; refuse it empty (when required) or too long.

    ``label`` names the field as a sentence would, with its article: "the title", "your background".
    """
    cleaned = value.replace("\x00", "").strip()
    subject = label[:1].upper() + label[1:]
    if required and not cleaned:
        raise InvalidInput(f"{subject} cannot be empty; give it a few words.")
    if len(cleaned) > limit:
        raise InvalidInput(f"{subject} is {len(cleaned)} characters; keep it to {limit}.")
    return cleaned


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``counted(1, "resource")`` → ``"1 resource"``; any other count takes the plural (default: + "s")."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"

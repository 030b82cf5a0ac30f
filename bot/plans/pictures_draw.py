"""What the plan pictures are drawn with: one palette, the shipped fonts, and text that fits its box.

The pictures are opaque cards: Discord shows them on a dark (#313338) or a light (#FFFFFF) theme, so
the card carries its own background, its text contrasts with that (WCAG AA and better), and its frame
stands out from both themes. Meaning never rests on colour alone: counts, letters and marks say it too.

Fonts: DejaVu Sans, shipped in ``bot/plans/fonts`` with its licence (Bitstream Vera licence), because
its coverage (Latin, Greek, Cyrillic, Hebrew, Arabic, symbols such as ▶ ✓ …) suits titles people type;
Pillow's own default font covers basic Latin only.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.plans.model import ItemKind

FONTS = Path(__file__).resolve().parent / "fonts"
Colour = tuple[int, int, int]

DISCORD_DARK: Colour = (0x31, 0x33, 0x38)
DISCORD_LIGHT: Colour = (0xFF, 0xFF, 0xFF)


@dataclass(frozen=True)
class Palette:
    card: Colour = (0x1E, 0x21, 0x2C)
    frame: Colour = (0x78, 0x80, 0x96)
    text: Colour = (0xF0, 0xF2, 0xF8)
    muted: Colour = (0xAA, 0xB2, 0xC4)
    track: Colour = (0x36, 0x3C, 0x4C)
    cohort: Colour = (0x58, 0x96, 0xFF)
    you: Colour = (0xFF, 0xB8, 0x4D)
    current: Colour = (0x6E, 0xDC, 0x96)
    current_row: Colour = (0x2C, 0x38, 0x54)
    ink: Colour = (0x14, 0x16, 0x1E)       # text on a filled (bright) cell


PALETTE = Palette()
KIND_COLOURS: dict[ItemKind, Colour] = {
    ItemKind.READING: (0x64, 0xA0, 0xFF),
    ItemKind.VIDEO: (0xFF, 0x6E, 0x82),
    ItemKind.EXERCISE: (0x64, 0xD2, 0x8C),
    ItemKind.ASSIGNMENT: (0xFF, 0xBE, 0x50),
    ItemKind.PROJECT: (0xBE, 0x8C, 0xFF),
    ItemKind.DISCUSSION: (0x50, 0xD2, 0xDC),
}
KIND_LETTERS: dict[ItemKind, str] = {kind: kind.value[0].upper() for kind in ItemKind}


@functools.cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The shipped DejaVu Sans at ``size`` px (loaded once per size)."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    # Basic layout: the pictures draw short labels, and it is several times faster than Raqm shaping.
    return ImageFont.truetype(str(FONTS / name), size, layout_engine=ImageFont.Layout.BASIC)


def fit(text: str, face: ImageFont.FreeTypeFont, width: float) -> str:
    """``text`` cut with an ellipsis so it is at most ``width`` px wide in ``face``."""
    text = " ".join(text.split())
    if face.getlength(text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if face.getlength(text[:middle].rstrip() + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def thousands(number: int) -> str:
    return f"{number:,}"


def luminance(colour: Colour) -> float:
    """WCAG relative luminance."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(value) for value in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: Colour, second: Colour) -> float:
    """WCAG contrast ratio (1–21); 4.5 is AA for text, 3 for large text and graphics."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def card(width: int, height: int, palette: Palette = PALETTE) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """An opaque card with a frame that shows on both Discord themes."""
    image = Image.new("RGB", (width, height), palette.frame)
    draw = ImageDraw.Draw(image)
    draw.rectangle((2, 2, width - 3, height - 3), fill=palette.card)
    return image, draw


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # Flat colours compress well at a low level; higher levels cost time and save little.
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()

"""The plan pictures: the cohort board (``/plan board``) and a member's progress card (``/plan progress``).

Both renderers are pure and synchronous (values in, PNG bytes out); callers run them off the event
loop with ``asyncio.to_thread``. ``describe_board`` / ``describe_progress`` give the same facts as plain
text for the message, so screen-reader users get them too (escape it like any user text before sending:
titles are what organisers typed).
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.plans.model import Board, BoardWeek, CardItem, ProgressCard
from bot.plans.pictures_draw import (
    KIND_COLOURS,
    KIND_LETTERS,
    PALETTE,
    card,
    fit,
    font,
    png,
    thousands,
)

PAD = 24
DESCRIPTION_MAX = 1800   # leaves room for escaping within a 2000-character message


# Cohort board -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardLayout:
    """Where the board's parts go; rows are ``row`` px high from ``top``."""

    rows: int
    width: int = 1000
    top: int = 118
    marker_x: int = PAD
    label_x: int = PAD + 18
    title_x: int = PAD + 66
    bar_x: int = 400
    bar_width: int = 250
    count_right: int = 850
    you_x: int = 864

    @classmethod
    def for_board(cls, board: Board) -> BoardLayout:
        return cls(rows=max(1, len(board.weeks)))

    @property
    def row(self) -> int:
        return 34 if self.rows <= 20 else 24

    @property
    def height(self) -> int:
        return self.top + self.rows * self.row + PAD

    def row_box(self, index: int) -> tuple[int, int, int, int]:
        top = self.top + index * self.row
        return (4, top, self.width - 4, top + self.row)


def _board_subtitle(board: Board) -> str:
    members = "no one has joined yet" if board.cohort == 0 else (
        f"{thousands(board.cohort)} {'member' if board.cohort == 1 else 'members'}")
    weeks = len(board.weeks)
    if board.current_week is not None and board.current_week > weeks:
        when = f"all {weeks} {'week' if weeks == 1 else 'weeks'} have ended"
    elif board.current_week is None or board.current_week < 1:
        when = f"{weeks} {'week' if weeks == 1 else 'weeks'}, not running"
    else:
        when = f"week {board.current_week} of {weeks}"
    return f"{members} · {when}"


def _legend(draw: ImageDraw.ImageDraw, board: Board, y: int) -> None:
    small = font(13)
    x = PAD
    entries = [(PALETTE.cohort, "share of the cohort's required items done"),
               (PALETTE.current, "▶ current week")]
    if board.viewer_name is not None:
        entries.insert(1, (PALETTE.you, fit(f"you: {board.viewer_name}", small, 180)))
    for colour, label in entries:
        draw.rounded_rectangle((x, y + 2, x + 14, y + 14), radius=3, fill=colour)
        draw.text((x + 20, y), label, font=small, fill=PALETTE.muted)
        x += 20 + int(small.getlength(label)) + 22
    draw.text((x, y), "n/N: members who finished the week", font=small, fill=PALETTE.muted)


def _board_row(draw: ImageDraw.ImageDraw, layout: BoardLayout, index: int, week: BoardWeek, board: Board) -> None:
    x0, top, x1, bottom = layout.row_box(index)
    current = week.number == board.current_week
    size = 15 if layout.row > 30 else 13
    regular, bold = font(size), font(size, bold=True)
    middle = (top + bottom) // 2
    if current:
        draw.rectangle((x0, top + 1, x1, bottom - 1), fill=PALETTE.current_row)
        draw.rectangle((x0, top + 1, x0 + 4, bottom - 1), fill=PALETTE.current)
        draw.text((layout.marker_x, middle), "▶", font=regular, fill=PALETTE.current, anchor="lm")
    draw.text((layout.label_x, middle), f"W{week.number}", font=bold,
              fill=PALETTE.current if current else PALETTE.text, anchor="lm")
    draw.text((layout.title_x, middle), fit(week.title, regular, layout.bar_x - layout.title_x - 14),
              font=regular, fill=PALETTE.text, anchor="lm")
    share = min(1.0, max(0.0, week.items_done_share))
    has_you = board.viewer_name is not None and week.mine_done is not None
    bar_top = middle - (8 if has_you else 6)
    bar_height = 10 if layout.row > 30 else 8
    draw.rounded_rectangle((layout.bar_x, bar_top, layout.bar_x + layout.bar_width, bar_top + bar_height),
                           radius=3, fill=PALETTE.track)
    if share > 0:
        draw.rounded_rectangle((layout.bar_x, bar_top, layout.bar_x + max(6, round(layout.bar_width * share)),
                                bar_top + bar_height), radius=3, fill=PALETTE.cohort)
    counts = f"{thousands(week.members_done)}/{thousands(board.cohort)} · {round(share * 100)}%"
    draw.text((layout.count_right, middle), counts, font=regular, fill=PALETTE.text, anchor="rm")
    if has_you:
        assert week.mine_done is not None
        mine = week.mine_done / week.mine_total if week.mine_total else 1.0
        you_top = bar_top + bar_height + 2
        draw.rectangle((layout.bar_x, you_top, layout.bar_x + layout.bar_width, you_top + 3), fill=PALETTE.track)
        if mine > 0:
            draw.rectangle((layout.bar_x, you_top, layout.bar_x + max(3, round(layout.bar_width * mine)),
                            you_top + 3), fill=PALETTE.you)
        mark = "✓ " if week.mine_total and week.mine_done >= week.mine_total else ""
        draw.text((layout.you_x, middle), f"{mark}you {week.mine_done}/{week.mine_total}", font=bold,
                  fill=PALETTE.you, anchor="lm")


def render_board(board: Board) -> bytes:
    """The cohort board as a PNG: one row per week with the share done, the current week and the viewer marked."""
    layout = BoardLayout.for_board(board)
    image, draw = card(layout.width, layout.height)
    draw.text((PAD, 20), fit(board.plan_title, font(26, bold=True), layout.width - 2 * PAD), font=font(26, bold=True),
              fill=PALETTE.text)
    draw.text((PAD, 60), fit(_board_subtitle(board), font(15), layout.width - 2 * PAD), font=font(15),
              fill=PALETTE.muted)
    _legend(draw, board, 88)
    if not board.weeks:
        draw.text((PAD, layout.top + 8), "This plan has no weeks yet.", font=font(15), fill=PALETTE.muted)
    for index, week in enumerate(board.weeks):
        _board_row(draw, layout, index, week, board)
    return png(image)


def describe_board(board: Board) -> str:
    """The board in words for the message (screen readers): every week's counts, and the viewer's own."""
    lines = [f"Cohort board for {board.plan_title}: {_board_subtitle(board)}."]
    for week in board.weeks:
        share = round(min(1.0, max(0.0, week.items_done_share)) * 100)
        line = (f"Week {week.number}{' (current)' if week.number == board.current_week else ''}, {week.title}: "
                f"{thousands(week.members_done)} of {thousands(board.cohort)} finished, {share}% of required items "
                "done")
        if board.viewer_name is not None and week.mine_done is not None:
            line += f"; you {week.mine_done} of {week.mine_total} required"
        lines.append(line + ".")
    return _capped(lines, "weeks")


def _capped(lines: list[str], noun: str) -> str:
    out: list[str] = []
    length = 0
    for index, line in enumerate(lines):
        line = line if len(line) <= 300 else line[:299] + "…"
        rest = len(lines) - index
        if length + len(line) + 1 > DESCRIPTION_MAX - 40:
            out.append(f"… and {rest} more {noun}.")
            break
        out.append(line)
        length += len(line) + 1
    return "\n".join(out)


# Progress card ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CardLayout:
    """Where the progress card's parts go: a grid of weeks (rows) × items (cells)."""

    rows: int
    columns: int
    due_lines: int
    top: int = 140
    label_width: int = 64

    @classmethod
    def for_card(cls, progress: ProgressCard) -> CardLayout:
        columns = max((len(week.items) for week in progress.weeks), default=0)
        due = min(len(progress.due_soon), 6) + (1 if len(progress.due_soon) > 6 else 0)
        return cls(rows=max(1, len(progress.weeks)), columns=columns, due_lines=max(1, due))

    @property
    def cell(self) -> int:
        return 22 if self.columns <= 30 else 17

    @property
    def pitch(self) -> int:
        return self.cell + 3

    @property
    def width(self) -> int:
        return max(760, 2 * PAD + self.label_width + self.columns * self.pitch)

    @property
    def grid_bottom(self) -> int:
        return self.top + self.rows * self.pitch

    @property
    def height(self) -> int:
        return self.grid_bottom + 20 + 26 + self.due_lines * 22 + PAD

    def row_box(self, index: int) -> tuple[int, int, int, int]:
        top = self.top + index * self.pitch
        return (4, top, self.width - 4, top + self.pitch)


def _tile(item: CardItem, size: int) -> Image.Image:
    """One grid cell: filled when done, outlined when not, smaller when optional; its kind's letter on it."""
    colour = KIND_COLOURS[item.kind]
    tile = Image.new("RGB", (size, size), PALETTE.card)
    draw = ImageDraw.Draw(tile)
    inset = 0 if item.required else max(2, size // 6)
    box = (inset, inset, size - 1 - inset, size - 1 - inset)
    if item.done:
        draw.rounded_rectangle(box, radius=3, fill=colour)
    else:
        draw.rounded_rectangle(box, radius=3, outline=colour, width=2 if item.required else 1)
    face = font(max(8, (size - 2 * inset) * 11 // 20), bold=True)
    draw.text((size / 2, size / 2), KIND_LETTERS[item.kind], font=face,
              fill=PALETTE.ink if item.done else colour, anchor="mm")
    return tile


def _card_legend(draw: ImageDraw.ImageDraw, y: int) -> None:
    small = font(13)
    x = PAD
    for kind, colour in KIND_COLOURS.items():
        draw.rounded_rectangle((x, y, x + 16, y + 16), radius=3, fill=colour)
        draw.text((x + 8, y + 8), KIND_LETTERS[kind], font=font(10, bold=True), fill=PALETTE.ink, anchor="mm")
        draw.text((x + 22, y + 8), kind.value, font=small, fill=PALETTE.muted, anchor="lm")
        x += 22 + int(small.getlength(kind.value)) + 16
    draw.text((PAD, y + 24), "filled: done · outlined: to do · small: optional · ▶ current week", font=small,
              fill=PALETTE.muted)


def _card_counts(progress: ProgressCard) -> tuple[int, int, int, int]:
    items = [item for week in progress.weeks for item in week.items]
    required = [item for item in items if item.required]
    return (sum(item.done for item in items), len(items), sum(item.done for item in required), len(required))


def _card_subtitle(progress: ProgressCard) -> str:
    done, total, required_done, required = _card_counts(progress)
    streak = f"check-in streak: {progress.streak} {'week' if progress.streak == 1 else 'weeks'}"
    week = "" if progress.current_week is None else f" · week {progress.current_week}"
    return f"{done} of {total} items done ({required_done} of {required} required) · {streak}{week}"


def render_progress_card(progress: ProgressCard) -> bytes:
    """A member's card as a PNG: weeks × items (done or not, by kind), their streak, and what is due soon."""
    layout = CardLayout.for_card(progress)
    image, draw = card(layout.width, layout.height)
    inner = layout.width - 2 * PAD
    draw.text((PAD, 20), fit(f"{progress.member_name} · {progress.plan_title}", font(24, bold=True), inner),
              font=font(24, bold=True), fill=PALETTE.text)
    draw.text((PAD, 58), fit(_card_subtitle(progress), font(15), inner), font=font(15), fill=PALETTE.muted)
    _card_legend(draw, 86)
    tiles: dict[tuple[object, ...], Image.Image] = {}
    cell = layout.cell
    if not progress.weeks:
        draw.text((PAD, layout.top + 4), "This plan has no weeks yet.", font=font(15), fill=PALETTE.muted)
    for index, week in enumerate(progress.weeks):
        x0, top, x1, bottom = layout.row_box(index)
        current = week.number == progress.current_week
        if current:
            draw.rectangle((x0, top, x1, bottom - 1), fill=PALETTE.current_row)
            draw.rectangle((x0, top, x0 + 4, bottom - 1), fill=PALETTE.current)
        middle = (top + bottom) // 2
        if current:
            draw.text((PAD - 8, middle), "▶", font=font(12), fill=PALETTE.current, anchor="lm")
        draw.text((PAD + 10, middle), f"W{week.number}", font=font(13, bold=True),
                  fill=PALETTE.current if current else PALETTE.text, anchor="lm")
        for column, item in enumerate(week.items):
            key = (item.kind, item.done, item.required, current)
            if key not in tiles:
                tiles[key] = _tile(item, cell)
                if current:  # a tile's corners take the tinted row's colour
                    tiles[key] = _tile_on(tiles[key], item, cell)
            image.paste(tiles[key], (PAD + layout.label_width + column * layout.pitch, top + 1))
        if not week.items:
            draw.text((PAD + layout.label_width, middle), "no items", font=font(12),
                      fill=PALETTE.muted, anchor="lm")
    _due_soon(draw, progress, layout)
    return png(image)


def _tile_on(tile: Image.Image, item: CardItem, size: int) -> Image.Image:
    background = Image.new("RGB", (size, size), PALETTE.current_row)
    mask = Image.new("L", (size, size), 0)
    inset = 0 if item.required else max(2, size // 6)
    ImageDraw.Draw(mask).rounded_rectangle((inset, inset, size - 1 - inset, size - 1 - inset), radius=3, fill=255)
    background.paste(tile, (0, 0), mask)
    return background


def _due_soon(draw: ImageDraw.ImageDraw, progress: ProgressCard, layout: CardLayout) -> None:
    y = layout.grid_bottom + 20
    heading = "Due soon" + (f" ({progress.timezone} time)" if progress.timezone else "")
    draw.text((PAD, y), fit(heading, font(15, bold=True), layout.width - 2 * PAD), font=font(15, bold=True),
              fill=PALETTE.text)
    y += 26
    regular = font(14)
    if not progress.due_soon:
        draw.text((PAD, y), "Nothing is due soon.", font=regular, fill=PALETTE.muted)
        return
    for due in progress.due_soon[:6]:
        label = fit(due.due_label, regular, 200)
        label_width = regular.getlength(label)
        draw.text((PAD, y), "•", font=regular, fill=PALETTE.you)
        draw.text((PAD + 16, y), fit(due.title, regular, layout.width - 2 * PAD - 40 - label_width), font=regular,
                  fill=PALETTE.text)
        draw.text((layout.width - PAD, y), label, font=regular, fill=PALETTE.you, anchor="ra")
        y += 22
    if len(progress.due_soon) > 6:
        draw.text((PAD + 16, y), f"and {len(progress.due_soon) - 6} more", font=regular, fill=PALETTE.muted)


def describe_progress(progress: ProgressCard) -> str:
    """The progress card in words for the message (screen readers)."""
    complete = sum(1 for week in progress.weeks if all(item.done for item in week.items if item.required))
    lines = [f"{progress.member_name}'s progress in {progress.plan_title}: {_card_subtitle(progress)} · "
             f"{complete} of {len(progress.weeks)} weeks complete."]
    for week in progress.weeks:
        done = sum(item.done for item in week.items)
        todo = [item.title for item in week.items if item.required and not item.done]
        line = f"Week {week.number}{' (current)' if week.number == progress.current_week else ''}: " \
               f"{done} of {len(week.items)} done"
        if todo and (progress.current_week is None or week.number <= progress.current_week):
            shown = ", ".join(todo[:3]) + (f" and {len(todo) - 3} more" if len(todo) > 3 else "")
            line += f"; to do: {shown}"
        lines.append(line + ".")
    if progress.due_soon:
        zone = f" ({progress.timezone} time)" if progress.timezone else ""
        soon = "; ".join(f"{due.title} ({due.due_label})" for due in progress.due_soon[:6])
        more = f"; and {len(progress.due_soon) - 6} more" if len(progress.due_soon) > 6 else ""
        lines.insert(1, f"Due soon{zone}: {soon}{more}.")
    return _capped(lines, "weeks")

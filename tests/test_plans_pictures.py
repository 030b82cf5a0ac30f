"""Plan pictures: the PNGs decode, show what they claim, stay legible on both Discord themes, and say it in words."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from typing import cast

from PIL import Image, ImageChops

from bot.plans.model import Board, BoardWeek, CardItem, CardWeek, DueSoon, ItemKind, ProgressCard
from bot.plans.pictures import (
    PAD,
    BoardLayout,
    CardLayout,
    describe_board,
    describe_progress,
    render_board,
    render_progress_card,
)
from bot.plans.pictures_draw import DISCORD_DARK, DISCORD_LIGHT, KIND_COLOURS, PALETTE, contrast, fit, font

Box = tuple[int, int, int, int]


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def board(*, current: int | None = 2, viewer: str | None = "Alice", weeks: int = 3, cohort: int = 40,
          title: str = "ML systems design") -> Board:
    return Board(title, cohort, tuple(
        BoardWeek(n, f"Week {n} topics", members_done=max(0, cohort - 10 * n), items_done_share=max(0.0, 1 - 0.25 * n),
                  mine_done=(n % 4) if viewer else None, mine_total=3) for n in range(1, weeks + 1)),
        current, viewer)


def progress(*, done: bool = True, weeks: int = 3, items: int = 6, current: int | None = 2,
             due: tuple[DueSoon, ...] = (DueSoon("Assignment 1", "Fri 18:00"),)) -> ProgressCard:
    kinds = list(ItemKind)
    return ProgressCard("Alice", "ML systems design", tuple(
        CardWeek(n, tuple(CardItem(f"Item {n}.{i}", kinds[i % len(kinds)], done and (i + n) % 2 == 0, i % 5 != 4)
                          for i in range(items))) for n in range(1, weeks + 1)), current, streak=3, due_soon=due)


def crop(image: Image.Image, box: Box) -> Image.Image:
    return image.crop(box)


def same(first: Image.Image, second: Image.Image) -> bool:
    return ImageChops.difference(first.convert("RGB"), second.convert("RGB")).getbbox() is None


def colours(image: Image.Image) -> list[tuple[int, tuple[int, int, int]]]:
    return cast(list[tuple[int, tuple[int, int, int]]], image.convert("RGB").getcolors(1 << 24) or [])


def count_colour(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return sum(count for count, value in colours(image) if value == colour)


# The board ---------------------------------------------------------------------------------------
def test_the_board_is_a_png_of_the_layout_size_and_not_blank() -> None:
    image = decode(render_board(board()))
    layout = BoardLayout.for_board(board())
    assert image.size == (layout.width, layout.height) and image.mode == "RGB"
    colours = image.getcolors(1 << 20)
    assert colours is not None and len(colours) > 50
    assert count_colour(image, PALETTE.cohort) > 500  # the cohort bars are drawn


def test_the_current_week_row_is_marked_and_no_other_row_changes() -> None:
    layout = BoardLayout.for_board(board())
    marked, unmarked = decode(render_board(board(current=2))), decode(render_board(board(current=None)))
    assert not same(crop(marked, layout.row_box(1)), crop(unmarked, layout.row_box(1)))
    assert same(crop(marked, layout.row_box(0)), crop(unmarked, layout.row_box(0)))
    assert same(crop(marked, layout.row_box(2)), crop(unmarked, layout.row_box(2)))
    assert count_colour(crop(marked, layout.row_box(1)), PALETTE.current) > 20


def test_the_viewers_own_progress_is_highlighted_in_every_row() -> None:
    layout = BoardLayout.for_board(board())
    mine, anonymous = decode(render_board(board(viewer="Alice"))), decode(render_board(board(viewer=None)))
    for index in range(3):
        assert count_colour(crop(mine, layout.row_box(index)), PALETTE.you) > 20
        assert count_colour(crop(anonymous, layout.row_box(index)), PALETTE.you) == 0


def test_the_board_reads_on_dark_and_light_themes() -> None:
    image = decode(render_board(board()))
    # Opaque: what either theme shows behind it changes nothing.
    for theme in (DISCORD_DARK, DISCORD_LIGHT):
        behind = Image.new("RGBA", image.size, (*theme, 255))
        assert same(Image.alpha_composite(behind, image.convert("RGBA")), image)
    # The frame stands out from both themes, and the text from the card.
    frame = cast(tuple[int, int, int], image.getpixel((0, image.height // 2)))
    assert contrast(frame, DISCORD_DARK) >= 3 and contrast(frame, DISCORD_LIGHT) >= 3
    background = max(colours(image))[1]
    text = max((pixel for _, pixel in colours(crop(image, (PAD, 20, 400, 50)))),
               key=lambda pixel: contrast(pixel, background))
    assert contrast(text, background) >= 7


def test_52_weeks_long_titles_and_no_members_fit_the_picture() -> None:
    long_title = "An extraordinarily long plan title " * 10
    weeks = tuple(BoardWeek(n, "A week title that goes on and on " * 8, 0, 0.0, None, 4) for n in range(1, 53))
    image = decode(render_board(Board(long_title, 0, weeks, None, None)))
    layout = BoardLayout(rows=52)
    assert image.size == (layout.width, layout.height) and layout.height < 1600
    right_margin = crop(image, (layout.width - PAD + 2, 4, layout.width - 4, layout.height - 4))
    assert [pixel for _, pixel in colours(right_margin)] == [PALETTE.card]
    assert count_colour(image, PALETTE.cohort) > 0  # the legend swatch; no bars for an empty cohort


def test_a_title_is_cut_with_an_ellipsis_to_its_width() -> None:
    face = font(15)
    cut = fit("Overview of machine learning systems design " * 5, face, 200)
    assert cut.endswith("…") and face.getlength(cut) <= 200
    assert fit("Short", face, 200) == "Short"


def test_the_board_in_words_gives_every_week_and_the_viewers_own_counts() -> None:
    text = describe_board(board())
    assert text.startswith("Cohort board for ML systems design: 40 members · week 2 of 3.")
    assert ("Week 2 (current), Week 2 topics: 20 of 40 finished, 50% of required items done; you 2 of 3 "
            "required.") in text
    assert "you" not in describe_board(board(viewer=None))
    assert "no one has joined yet" in describe_board(board(cohort=0))
    assert "40 members · all 3 weeks have ended." in describe_board(board(current=4))
    assert "3 weeks, not running." in describe_board(board(current=None))


def test_the_board_in_words_fits_a_message_for_52_weeks() -> None:
    text = describe_board(board(weeks=52, title="T" * 200))
    assert len(text) <= 1800 and text.endswith("more weeks.")


async def test_the_board_renders_off_the_event_loop() -> None:
    data = await asyncio.to_thread(render_board, board())
    assert decode(data).size[0] == BoardLayout.for_board(board()).width


# The progress card --------------------------------------------------------------------------------
def _cell_box(layout: CardLayout, row: int, column: int) -> Box:
    left = PAD + layout.label_width + column * layout.pitch
    top = layout.top + row * layout.pitch + 1
    return (left, top, left + layout.cell, top + layout.cell)


def test_the_progress_card_is_a_png_of_the_layout_size_with_every_kind() -> None:
    card = progress()
    image = decode(render_progress_card(card))
    layout = CardLayout.for_card(card)
    assert image.size == (layout.width, layout.height) and image.mode == "RGB"
    for colour in KIND_COLOURS.values():
        assert count_colour(image, colour) > 20


def test_done_cells_are_filled_and_open_ones_outlined() -> None:
    card = progress(done=True)
    layout = CardLayout.for_card(card)
    done, open_ = decode(render_progress_card(card)), decode(render_progress_card(progress(done=False)))
    # Week 1, item 1 (index 1): (1 + 1) % 2 == 0, so done in the first card and open in the second.
    filled, outlined = crop(done, _cell_box(layout, 0, 1)), crop(open_, _cell_box(layout, 0, 1))
    colour = KIND_COLOURS[ItemKind.VIDEO]
    assert count_colour(filled, colour) > 2 * count_colour(outlined, colour) > 0
    # An item open in both cards (week 1, item 0) looks the same in both.
    assert same(crop(done, _cell_box(layout, 0, 0)), crop(open_, _cell_box(layout, 0, 0)))


def test_the_current_week_is_marked_on_the_card() -> None:
    layout = CardLayout.for_card(progress())
    marked, unmarked = decode(render_progress_card(progress(current=2))), decode(render_progress_card(
        progress(current=None)))
    assert not same(crop(marked, layout.row_box(1)), crop(unmarked, layout.row_box(1)))
    assert same(crop(marked, layout.row_box(0)), crop(unmarked, layout.row_box(0)))


def test_52_weeks_of_50_items_and_a_long_due_list_fit_the_card() -> None:
    due = tuple(DueSoon("A deadline with a very long title " * 6, "Mon 09:00") for _ in range(9))
    card = progress(weeks=52, items=50, due=due)
    image = decode(render_progress_card(card))
    layout = CardLayout.for_card(card)
    assert image.size == (layout.width, layout.height)
    assert layout.width >= 50 * layout.pitch and layout.height < 1600
    last = crop(image, _cell_box(layout, 51, 49))
    assert len(last.getcolors(1 << 16) or []) > 2  # the last cell is drawn, not clipped


def test_an_empty_card_renders() -> None:
    image = decode(render_progress_card(ProgressCard("Bob", "Plan", (), None, 0)))
    assert image.size[0] >= 700 and len(image.getcolors(1 << 20) or []) > 10


def test_the_card_in_words_gives_counts_streak_and_due_soon() -> None:
    text = describe_progress(progress())
    assert text.startswith("Alice's progress in ML systems design: 9 of 18 items done")
    assert "check-in streak: 3 weeks" in text and "Due soon: Assignment 1 (Fri 18:00)." in text
    assert "Week 2 (current): 3 of 6 done; to do: Item 2.1, Item 2.3, Item 2.5." in text
    assert "Week 3: 3 of 6 done." in text  # weeks ahead list no to-dos
    assert "· 0 of 3 weeks complete." in text.splitlines()[0]


def test_due_times_on_the_card_say_which_timezone_they_are_in() -> None:
    """A picture cannot hold a Discord timestamp, so the reader is told whose wall time "Fri 18:00" is."""
    zoned = replace(progress(), timezone="Asia/Kolkata")
    assert "Due soon (Asia/Kolkata time): Assignment 1 (Fri 18:00)." in describe_progress(zoned)
    assert not same(decode(render_progress_card(zoned)), decode(render_progress_card(progress())))
    assert len(describe_progress(progress(weeks=52, items=50))) <= 1800

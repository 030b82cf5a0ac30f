"""Plan files: what an organiser writes is read as they meant it, refused with reasons, and written back equal."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidInput, NotFound
from bot.plans import files_fields as rules
from bot.plans.files import (
    PlanFileError,
    list_examples,
    plan_to_json,
    plan_to_markdown,
    plan_to_yaml,
    read_example,
    read_plan,
)
from bot.plans.model import END_OF_DAY_MINUTE, Due, ItemDoc, ItemKind, PlanDoc, UnitDoc

ROOT = Path(__file__).resolve().parent.parent


def md(text: str) -> PlanDoc:
    return read_plan(text.encode())


def problems_of(data: str | bytes, filename: str | None = None) -> str:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(PlanFileError) as caught:
        read_plan(raw, filename=filename)
    return str(caught.value)


def week(*bullets: str, head: str = "# Plan\n") -> str:
    return head + "\n## Week 1: Start\n" + "".join(f"- {bullet}\n" for bullet in bullets)


def only_item(*bullets: str, head: str = "# Plan\n") -> ItemDoc:
    return md(week(*bullets, head=head)).units[0].items[0]


# Reading Markdown --------------------------------------------------------------------------------
def test_a_syllabus_reads_into_title_metadata_description_weeks_goals_and_items() -> None:
    doc = md("""# ML systems design
Slug: ML Systems
Topic: MLOps
Unit: 7 days

A course. Instructor: Chip Huyen

## Week 1: Overview of machine learning systems design
> Know when to use ML
Goal: See what ML production is

- [discussion] When to use ML
- [reading] [Rules of ML](https://example.org/rules) (45 min) (due: +2d 18:00)

## Week 2 — Iterative process
Goals:
- Scope a project
- Pick a metric

* [video] A talk (optional)
""")
    assert doc == PlanDoc(
        title="ML systems design", description="A course. Instructor: Chip Huyen", unit_days=7,
        slug="ml-systems", topic="mlops",
        units=(
            UnitDoc(1, "Overview of machine learning systems design", ("Know when to use ML",
                                                                       "See what ML production is"),
                    (ItemDoc(ItemKind.DISCUSSION, "When to use ML"),
                     ItemDoc(ItemKind.READING, "Rules of ML", "https://example.org/rules", True, 45, Due(2, 18 * 60)))),
            UnitDoc(2, "Iterative process", ("Scope a project", "Pick a metric"),
                    (ItemDoc(ItemKind.VIDEO, "A talk", required=False),)),
        ))


def test_an_item_without_a_kind_is_a_reading_with_a_link_and_a_discussion_without() -> None:
    doc = md(week("[Rules](https://example.org/r)", "Data leakage"))
    assert [item.kind for item in doc.units[0].items] == [ItemKind.READING, ItemKind.DISCUSSION]


def test_annotations_come_in_any_order_and_text_in_parentheses_stays_in_the_title() -> None:
    first = only_item("[exercise] Feature engineering (part 2) (due: end of week) (optional) (1 h 30 min)")
    second = only_item("[exercise] Feature engineering (part 2) (1.5 h) (optional) (due: end of week)")
    assert first == second == ItemDoc(ItemKind.EXERCISE, "Feature engineering (part 2)", None, False, 90,
                                      Due(6, END_OF_DAY_MINUTE))


def test_end_of_week_is_the_last_day_of_the_unit_length() -> None:
    doc = md(week("[assignment] A (due: end of week)", head="# Plan\nUnit: 5 days\n"))
    assert doc.unit_days == 5 and doc.units[0].items[0].due == Due(4, END_OF_DAY_MINUTE)


@pytest.mark.parametrize(("spec", "due"), [("+5d 18:00", Due(5, 1080)), ("+0d 9am", Due(0, 540)),
                                           ("+3d", Due(3, END_OF_DAY_MINUTE)), ("+1d 12:30 pm", Due(1, 750)),
                                           ("end of unit", Due(6, END_OF_DAY_MINUTE))])
def test_due_times_are_offsets_within_the_unit(spec: str, due: Due) -> None:
    assert only_item(f"[reading] R (due: {spec})").due == due


def test_a_link_with_parentheses_in_its_url_and_a_wrapped_bullet_are_read_whole() -> None:
    doc = md("# Plan\n## Week 1: Start\n- [reading] Read [Foo](https://en.wikipedia.org/wiki/Foo_(bar)) first\n"
             "  and slowly (20 min)\n")
    assert doc.units[0].items[0] == ItemDoc(ItemKind.READING, "Read Foo first and slowly",
                                            "https://en.wikipedia.org/wiki/Foo_(bar)", minutes=20)


def test_backslash_escapes_keep_punctuation_in_titles() -> None:
    doc = md("# C\\# for ML \\#\n## Week 1: Start\n- [discussion] \\[draft\\] notes \\(optional)\n")
    assert doc.title == "C# for ML #"
    assert doc.units[0].items[0] == ItemDoc(ItemKind.DISCUSSION, "[draft] notes (optional)")


def test_headings_may_number_weeks_in_several_ways() -> None:
    doc = md("# P\n## 1. One\n## Week 2 - Two\n## Unit 3) Three\n## Four\n")
    assert [(unit.number, unit.title) for unit in doc.units] == [(1, "One"), (2, "Two"), (3, "Three"), (4, "Four")]


# Refusals, each with its line and what to fix ------------------------------------------------------
def test_an_unknown_kind_names_the_line_suggests_the_kind_and_lists_them() -> None:
    text = problems_of(week("[reading] ok", "[redaing] Chapter 1"))
    assert "line 5: unknown kind [redaing]; did you mean [reading]? use one of reading, video, exercise, " \
           "assignment, project, discussion." in text


def test_a_link_that_is_not_http_is_refused() -> None:
    assert "line 4: the link `ftp://example.org/x` is not an http:// or https:// link" in problems_of(
        week("[reading] [X](ftp://example.org/x)"))
    assert "is not an http:// or https:// link" in problems_of(week("[reading] [X](javascript:alert(1))"))


def test_empty_titles_are_refused_for_the_plan_the_week_and_the_item() -> None:
    assert "line 1: the plan's title is empty" in problems_of("#\n## Week 1: A\n- x\n")
    assert "line 2: week 1 has no title; write `## Week 1: <title>`." in problems_of("# P\n## Week 1\n- x\n")
    assert "line 3: the item's title is empty" in problems_of("# P\n## Week 1: A\n- [video] (30 min)\n")


def test_a_file_must_start_with_its_title() -> None:
    assert "line 1: start the file with the plan's title" in problems_of("## Week 1: A\n- x\n")


def test_weeks_out_of_order_are_refused_once() -> None:
    text = problems_of("# P\n## Week 1: A\n## Week 3: C\n## Week 4: D\n")
    assert "line 3: week 3 comes where week 2 should; number the weeks 1, 2, 3… in order." in text
    assert "line 4" not in text


def test_more_than_52_units_is_refused() -> None:
    text = problems_of("# P\n" + "".join(f"## Week {n}: W{n}\n" for n in range(1, 54)))
    assert "line 54: the plan has 53 units; a plan holds at most 52" in text


def test_more_than_50_items_in_a_unit_is_refused_at_the_51st() -> None:
    text = problems_of(week(*(f"Topic {n}" for n in range(51))))
    assert "line 54: unit 1 has 51 items; a unit holds at most 50" in text
    assert md(week(*(f"Topic {n}" for n in range(50)))).units[0].items[49].title == "Topic 49"


def test_a_plan_without_weeks_is_refused() -> None:
    assert "the plan has no weeks" in problems_of("# Just a title\n\nSome words.\n")


def test_a_file_that_is_not_utf8_is_refused_with_its_line() -> None:
    text = problems_of(b"# P\n## Week 1: A\n- caf" + b"\xe9\n")
    assert "line 3: the file is not UTF-8 text (byte 0xe9); save it as UTF-8" in text


def test_a_file_over_1_mb_is_refused_before_it_is_read() -> None:
    assert "a plan file is at most 1 MB" in problems_of(b"# P\n" + b"x" * (1024 * 1024))


def test_a_huge_bullet_or_heading_is_refused_without_being_scanned_for_links() -> None:
    # Shapes that made naive scanning quadratic: unclosed brackets, long runs of spaces, digits.
    assert "line 3: this item is 900,000 characters; an item has a title (up to 200) and a link" in problems_of(
        "# P\n## Week 1: A\n- " + "[" * 900_000 + "\n")
    assert "line 1: the plan's title is 900,002 characters" not in problems_of("# a" + " " * 900_000 + "b\n")
    assert "the plan's title is 900002 characters" in problems_of("# a" + " " * 900_000 + "b\n")
    assert "is not an estimate" in problems_of(
        "title: P\nunits:\n- title: A\n  items:\n  - title: x\n    minutes: '" + "1" * 900_000 + "'\n", "p.yaml")


def test_titles_longer_than_discord_can_show_are_refused() -> None:
    assert f"line 1: the plan's title is 201 characters; Discord shows up to {rules.PLAN_TITLE_MAX}" in problems_of(
        "# " + "t" * 201 + "\n## Week 1: A\n")
    assert "the week's title is 201 characters" in problems_of("# P\n## Week 1: " + "w" * 201 + "\n")
    assert "the item's title is 201 characters" in problems_of(week("i" * 201))
    assert f"Discord cards show links up to {rules.URL_MAX}" in problems_of(
        week(f"[reading] [X](https://example.org/{'a' * 600})"))


def test_bad_due_times_and_estimates_say_what_to_write() -> None:
    text = problems_of(week("[reading] A (due: +7d 10:00)", "[reading] B (due: friday)", "[reading] C (0 min)",
                            "[reading] D (due: +1d 25:00)"))
    assert "line 4: +7d is after the unit's last day; a 7-day unit runs from +0d to +6d" in text
    assert "line 5: `friday` is not a due time; write `due: end of week`, or `due: +5d 18:00`" in text
    assert "line 6: an estimate is 1 minute to 100 hours, not 0 minutes." in text
    assert "line 7: `25:00` is not a time of day" in text


def test_stray_text_nested_bullets_two_links_and_bare_urls_are_refused() -> None:
    text = problems_of("# P\n## Week 1: A\nSome prose here\n\n- [reading] [A](https://a.org) and [B](https://b.org)\n"
                       "    - nested\n\n- see https://example.org\n")
    assert "line 3: this text is outside any bullet; start an item with `- `, a goal with `> `" in text
    assert "line 5: the item holds 2 links; an item has one link" in text
    assert "line 6: nested bullets are not used in plans" in text
    assert "line 8: write the link as `[title](https://…)`" in text


def test_every_problem_is_reported_and_the_message_fits_a_discord_message() -> None:
    with pytest.raises(PlanFileError) as caught:
        read_plan(week(*(f"[redaing] Item {n}" for n in range(40))).encode())
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert len(error.problems) == 40 and len(str(error)) <= 2000
    assert str(error).startswith("The plan file was not imported; nothing was changed. Fix these 40 problems")
    assert str(error).rstrip().endswith("more.") and "… and " in str(error)


# YAML and JSON ----------------------------------------------------------------------------------
YAML_PLAN = """\
title: Plan
topic: MLOps
unit_days: 2 weeks
units:
  - title: No
    goals: Know things
    items:
      - kind: reading
        title: Rules
        url: https://example.org/rules
        minutes: 1 h 30 min
        due: {day: 13, time: "18:00"}
        optional: true
      - "[video] A talk (20 min)"
"""


def test_yaml_reads_the_same_structure_and_keeps_plain_text_as_written() -> None:
    doc = read_plan(YAML_PLAN.encode(), filename="plan.yaml")
    assert doc == PlanDoc("Plan", "", (UnitDoc(1, "No", ("Know things",), (
        ItemDoc(ItemKind.READING, "Rules", "https://example.org/rules", False, 90, Due(13, 1080)),
        ItemDoc(ItemKind.VIDEO, "A talk", minutes=20))),), 14, None, "mlops")
    assert read_plan(YAML_PLAN.encode()) == doc  # sniffed without a file name


def test_yaml_anchors_and_aliases_are_refused_before_anything_is_built() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n" for n in range(8))
    text = problems_of(laughs, "plan.yml")
    assert "line 1: YAML anchors (`&name`) and aliases (`*name`) are not accepted" in text
    assert "line 2" in text


def test_yaml_tags_are_refused_and_plain_values_stay_text() -> None:
    text = problems_of('title: P\nunits: !!python/object/apply:os.system ["echo hi"]\n', "p.yaml")
    assert "line 2: YAML tags such as `tag:yaml.org,2002:python/object/apply:os` are not accepted" in text
    assert "YAML tags such as `!foo`" in problems_of("title: !foo x\nunits: []\n", "p.yaml")
    doc = read_plan(b"title: 2021-01-01\nunits:\n  - title: 3.10\n    items: [{title: yes}]\n", filename="p.yml")
    assert (doc.title, doc.units[0].title, doc.units[0].items[0].title) == ("2021-01-01", "3.10", "yes")


@pytest.mark.parametrize(("text", "name"), [
    ("# Plan\n## Week 1: A\n", None), ("# comment\ntitle: P\nunits:\n  - title: A\n", "plan.txt"),
    ('{"title": "P", "units": [{"title": "A"}]}', None), ("---\ntitle: P\nweeks:\n  - title: A\n", None),
    ("title: P\nunits:\n  - title: A\n", "plan.YAML"),
])
def test_the_format_comes_from_the_extension_or_the_first_lines(text: str, name: str | None) -> None:
    doc = read_plan(text.encode(), filename=name)
    assert (doc.title, doc.units[0].title) in (("Plan", "A"), ("P", "A"))


def test_yaml_problems_name_their_lines_and_unknown_fields_get_a_suggestion() -> None:
    text = problems_of("title: P\nunits:\n  - title: A\n    items:\n      - title: x\n        dew: end of week\n"
                       "        kind: redaing\n      - kind: video\n", "p.yaml")
    assert "line 6: unknown field `dew` in an item; did you mean `due`?" in text
    assert "line 7: unknown kind [redaing]" in text
    assert "line 8: the item's title is missing" in text


def test_yaml_syntax_errors_and_several_documents_are_refused() -> None:
    assert "line 2: this is not valid YAML" in problems_of("title: P\n  units: [\n", "p.yaml")
    assert "more than one YAML document" in problems_of("title: P\n---\ntitle: Q\n", "p.yaml")


def test_json_problems_name_the_unit_and_item() -> None:
    data = {"title": "P", "units": [{"title": "A", "items": [{"title": "x", "kind": "redaing"}]}]}
    assert "unit 1, item 1, `kind`: unknown kind [redaing]" in problems_of(json.dumps(data), "p.json")
    assert "line 1: this is not valid JSON" in problems_of('{"title": ', "p.json")
    assert "the key `title` is given twice" in problems_of('{"title": "a", "title": "b", "units": []}')


# Examples ---------------------------------------------------------------------------------------
# The course's tentative syllabus as issue 10 publishes it: each week's title, then its topics.
CS329S_SYLLABUS = [
    ("Overview of ML systems design", "When to use ML; ML in research vs. in production; ML systems vs. traditional "
     "software; ML production myths; ML applications; case studies"),
    ("Iterative process", "Principles of a good ML system; the iterative process; scoping the project"),
    ("Data management", "Challenges of real-world data; collecting, storing and handling massive data; layers of the "
     "data pipeline; data processor and monitor; data controller; data storage; data ingestion and database "
     "engines"),
    ("Creating training datasets", "Feature engineering; data labeling; data leakage; partitioning, slicing and "
     "sampling"),
    ("Building and training models", "Baselines; model selection; training, debugging and experiment tracking; "
     "distributed training; evaluation and benchmarking; AutoML"),
    ("Deployment", "Inference constraints; model compression and optimization; training vs. serving skew; concept "
     "drift; server-side vs. client-side ML; releasing strategies; deployment evaluation"),
    ("Project milestone and discussion", "Ethical concerns"),
    ("Monitoring and maintenance", "What to monitor; metrics, logging, tags and alerts; updates and rollbacks; "
     "iterative improvement"),
    ("Hardware and infrastructure", "Architectural choices; hardware design; edge devices; clouds vs. private data "
     "centers; the future of high-performance computing"),
    ("Integrating ML into business", "Model performance vs. business goals vs. user experience; team structure; "
     "why ML projects fail; best practices; the state of ML in production"),
]


def test_the_example_weeks_and_their_topics_are_the_courses_syllabus() -> None:
    doc = read_example("ml-systems-design")
    weeks = [(unit.title, [i.title for i in unit.items if i.kind is ItemKind.DISCUSSION]) for unit in doc.units]
    expected = [(title, [t[0].upper() + t[1:] for t in topics.split("; ")]) for title, topics in CS329S_SYLLABUS]
    assert weeks == expected


def test_the_ml_systems_design_example_follows_the_course() -> None:
    assert "ml-systems-design" in list_examples()
    doc = read_example("ml-systems-design")
    items = [item for unit in doc.units for item in unit.items]
    assert len(doc.units) == 10 and doc.unit_days == 7 and doc.topic == "mlops"
    assert doc.units[2].title == "Data management" and doc.units[6].title == "Project milestone and discussion"
    assert sum(item.kind is ItemKind.ASSIGNMENT for item in items) == 3
    assert [unit.number for unit in doc.units if any(i.kind is ItemKind.PROJECT for i in unit.items)] == [7]
    assert all(any(i.kind is ItemKind.DISCUSSION for i in unit.items) for unit in doc.units)
    assert all(any(i.kind is ItemKind.READING for i in unit.items) for unit in doc.units)


def test_the_example_links_only_to_starter_library_resources_under_a_seeded_topic() -> None:
    library = json.loads((ROOT / "data" / "resources.json").read_text())
    known = {resource["url"] for resources in library.values() for resource in resources}
    doc = read_example("ml-systems-design")
    links = {item.url for unit in doc.units for item in unit.items if item.url}
    assert links and links <= known
    assert doc.topic in {topic["slug"] for topic in json.loads((ROOT / "data" / "topics.json").read_text())}


@pytest.mark.parametrize("name", ["../resources", "ml-systems-design.md", "/etc/passwd", "nope", ""])
def test_only_plain_example_names_are_read(name: str) -> None:
    with pytest.raises(NotFound, match="the examples are: `ml-systems-design`"):
        read_example(name)


def test_an_example_directory_holds_only_what_list_examples_shows(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n## Week 1: X\n")
    (tmp_path / "notes.txt").write_text("not a plan")
    assert list_examples(tmp_path) == ["a"]
    assert read_example("A", tmp_path).title == "A"
    with pytest.raises(NotFound):
        read_example("notes", tmp_path)


# Round trips ------------------------------------------------------------------------------------
_SPICY = st.sampled_from([
    "[", "]", "(", ")", "#", "##", "`", "\\", ":", ">", "-", "*", "+", "!", "_", "<", "|", "&", "\\(",
    "(optional)", " (30 min)", "(due: end of week)", "(due: +1d 10:00)", "[reading]", "[x](https://a.org)",
    "https://example.org", "Topic: x", "Goal: y", "1.", "🎉", "é", "中文", "\u00a0", "\u200b", "Week 3:", " ", "\t",
])
_PLAIN = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029"), max_size=10)


def _line(limit: int) -> st.SearchStrategy[str]:
    return (st.lists(st.one_of(_PLAIN, _SPICY), min_size=1, max_size=6).map("".join)
            .map(lambda text: text.replace("\t", " ").strip()).filter(lambda text: 0 < len(text) <= limit))


_URL = st.builds(
    lambda host, path: f"https://{host}.org/{path}",
    st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
    st.text(alphabet=string.ascii_letters + string.digits + "()[]_~-.%/?=&#!$'*+,;:@é", max_size=30))
_SLUG = st.from_regex(rules.SLUG, fullmatch=True)


@st.composite
def _plans(draw: st.DrawFn) -> PlanDoc:
    days = draw(st.integers(1, 28))
    due = st.builds(Due, st.integers(0, days - 1), st.integers(0, END_OF_DAY_MINUTE))
    item = st.builds(ItemDoc, st.sampled_from(list(ItemKind)), _line(rules.ITEM_TITLE_MAX),
                     st.none() | _URL, st.booleans(), st.none() | st.integers(1, rules.MAX_MINUTES), st.none() | due)
    units = draw(st.lists(st.tuples(_line(rules.UNIT_TITLE_MAX), st.lists(_line(rules.GOAL_MAX), max_size=3),
                                    st.lists(item, max_size=4)), min_size=1, max_size=3))
    description = rules.normal_description(draw(st.lists(_line(80) | st.just(""), max_size=4).map("\n".join)))
    return PlanDoc(draw(_line(rules.PLAN_TITLE_MAX)), description,
                   tuple(UnitDoc(n, title, tuple(goals), tuple(items)) for n, (title, goals, items)
                         in enumerate(units, start=1)),
                   days, draw(st.none() | _SLUG), draw(st.none() | _SLUG))


@settings(max_examples=300, deadline=None)
@given(_plans())
def test_markdown_export_reads_back_to_the_same_plan(doc: PlanDoc) -> None:
    assert read_plan(plan_to_markdown(doc).encode()) == doc


@settings(max_examples=150, deadline=None)
@given(_plans())
def test_yaml_and_json_exports_read_back_to_the_same_plan(doc: PlanDoc) -> None:
    assert read_plan(plan_to_yaml(doc).encode(), filename="plan.yaml") == doc
    assert read_plan(plan_to_json(doc).encode(), filename="plan.json") == doc


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PLAIN, _SPICY, st.sampled_from(["\n", "\n## Week 1: A\n", "\n- ", "\n> ", "# "])),
                max_size=30).map("".join))
def test_any_text_is_a_plan_or_a_plan_file_error(text: str) -> None:
    try:
        doc = read_plan(text.encode())
    except PlanFileError as error:
        assert error.problems and len(str(error)) <= 2000
    else:
        assert read_plan(plan_to_markdown(doc).encode()) == doc


def test_the_example_round_trips_through_every_format() -> None:
    doc = read_example("ml-systems-design")
    assert read_plan(plan_to_markdown(doc).encode()) == doc
    assert read_plan(plan_to_yaml(doc).encode(), filename="x.yml") == doc
    assert read_plan(plan_to_json(doc).encode()) == doc

"""An application's answers: parsed from what people typed, then scored with every reason shown."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from bot.errors import InvalidInput
from bot.gate.config import ScoringRules
from bot.text import clean_text, counted

# What the modal accepts (Discord allows 4000 per input; these keep a review card within one embed).
TOPICS_MAX = 300
BACKGROUND_MAX = 1000
GOALS_MAX = 1000
HOURS_MAX_CHARS = 20
LINK_MAX = 300
HOURS_PER_WEEK_MAX = 168

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_TOPIC_SEPARATORS = re.compile(r"[,;\n/|]+")
# Characters a URL may hold (RFC 3986), so a link cannot smuggle markdown or spaces into a card.
_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


@dataclass(frozen=True)
class Answers:
    """What an applicant said, cleaned and checked."""

    topics_text: str
    background: str
    goals: str
    hours_per_week: int
    link: str | None

    @property
    def topic_words(self) -> list[str]:
        """The topics as typed, split on commas, semicolons, slashes or new lines."""
        return [part.strip() for part in _TOPIC_SEPARATORS.split(self.topics_text) if part.strip()]


@dataclass(frozen=True)
class ScoreReason:
    rule: str
    detail: str
    points: int
    met: bool


@dataclass(frozen=True)
class Score:
    total: int
    maximum: int
    reasons: tuple[ScoreReason, ...]

    def reasons_json(self) -> str:
        return json.dumps([asdict(reason) for reason in self.reasons])

    @staticmethod
    def reasons_from_json(text: str) -> tuple[ScoreReason, ...]:
        return tuple(ScoreReason(**item) for item in json.loads(text))



def parse_hours(text: str) -> int:
    """Hours per week as people type them: ``6``, ``6h``, ``about 5``, ``5-10`` (the lower end counts)."""
    cleaned = text.replace("\x00", "").strip()
    match = _NUMBER.search(cleaned)
    if match is None:
        raise InvalidInput("Hours per week must be a number, such as `6` or `5-10`.")
    hours = int(float(match.group().replace(",", ".")))
    if hours > HOURS_PER_WEEK_MAX:
        raise InvalidInput(f"A week has {HOURS_PER_WEEK_MAX} hours; give the hours you can really commit.")
    return hours


def parse_link(text: str) -> str | None:
    """An optional http(s) link; ``github.com/me`` gets ``https://`` added."""
    cleaned = text.replace("\x00", "").strip()
    if not cleaned:
        return None
    if len(cleaned) > LINK_MAX:
        raise InvalidInput(f"The link is {len(cleaned)} characters; keep it to {LINK_MAX}.")
    if "://" not in cleaned:
        cleaned = "https://" + cleaned
    if not _URL_CHARS.match(cleaned):
        raise InvalidInput("The link has spaces or characters a URL cannot hold; paste it as your browser shows it.")
    try:
        parts = urlsplit(cleaned)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unclosed [IPv6] bracket
        host = ""
    if not host or "." not in host or parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput("The link must be a web address such as `https://github.com/you`.")
    return cleaned


def parse_answers(*, topics: str, background: str, goals: str, hours: str, link: str) -> Answers:
    """Check the modal's five answers; raises :class:`InvalidInput` naming the first problem."""
    return Answers(
        topics_text=clean_text(topics, "the topics you are interested in", TOPICS_MAX, required=True),
        background=clean_text(background, "your background", BACKGROUND_MAX, required=True),
        goals=clean_text(goals, "what you want to learn or build", GOALS_MAX, required=True),
        hours_per_week=parse_hours(clean_text(hours, "the hours per week", HOURS_MAX_CHARS, required=True)),
        link=parse_link(link),
    )


def account_age(days: int) -> str:
    """How old an account is, for people: "less than a day old", "1 day old", "12 days old"."""
    if days <= 0:  # clocks differ by a little, so a brand-new account may come out below zero
        return "less than a day old"
    return f"{counted(days, 'day')} old"


def score_application(answers: Answers, *, topics_chosen: int, account_age_days: int,
                      rules: ScoringRules) -> Score:
    """Score with each rule as a reason, met or not, so reviewers see exactly how the total came about."""
    reasons = (
        _length_reason("background", "Background", answers.background, rules),
        _length_reason("goals", "Learning goals", answers.goals, rules),
        ScoreReason("hours", f"Commits {answers.hours_per_week} h/week ({rules.hours_threshold} needed)",
                    rules.hours_points, answers.hours_per_week >= rules.hours_threshold),
        ScoreReason("topics", f"Chose {topics_chosen} of the server's topics (1 needed)",
                    rules.topic_points, topics_chosen > 0),
        ScoreReason("account_age", f"Account is {account_age(account_age_days)} ({rules.account_age_days} needed)",
                    rules.account_age_points, account_age_days >= rules.account_age_days),
        ScoreReason("link", "Gave a GitHub or portfolio link" if answers.link else "No link given",
                    rules.link_points, answers.link is not None),
    )
    return Score(total=sum(r.points for r in reasons if r.met), maximum=rules.maximum, reasons=reasons)


def _length_reason(rule: str, label: str, text: str, rules: ScoringRules) -> ScoreReason:
    return ScoreReason(rule, f"{label}: {len(text)} characters ({rules.answer_min_chars} needed)",
                       rules.answer_points, len(text) >= rules.answer_min_chars)

"""The gate's settings per guild: roles, channels, deadlines, anti-spam and score rules."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime

from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row
from bot.errors import InvalidInput, NotFound
from bot.guild_config import set_setting

MEMBER_ROLE_KEY = "gate.member_role"
NEWCOMER_ROLE_KEY = "gate.newcomer_role"

# (lowest, highest) accepted for each number a moderator sets.
LIMITS = {
    "min_account_age_days": (0, 365),
    "apply_within_days": (1, 90),
    "inactive_days": (1, 3650),
    "reapply_cooldown_days": (0, 365),
    "antispam_max_links": (0, 50),
    "antispam_max_mentions": (2, 50),
}
SCORE_LIMITS = (0, 100)
ANSWER_CHARS_LIMITS = (0, 1000)
HOURS_LIMITS = (0, 168)


@dataclass(frozen=True)
class ScoringRules:
    """How an application is scored. Each rule met adds its points; every rule is shown as a reason."""

    answer_min_chars: int = 100      # background and goals each score when at least this long
    answer_points: int = 2
    hours_threshold: int = 5         # hours per week committed
    hours_points: int = 2
    topic_points: int = 1            # at least one of the server's topics chosen
    account_age_days: int = 30
    account_age_points: int = 1
    link_points: int = 1             # a GitHub or portfolio link given
    approve_threshold: int = 7       # with auto_approve, a score at least this high is approved at once

    @property
    def maximum(self) -> int:
        return (2 * self.answer_points + self.hours_points + self.topic_points + self.account_age_points
                + self.link_points)

    def to_json(self) -> str:
        """Only the rules that differ from the defaults, so new defaults reach old guilds."""
        default = ScoringRules()
        return json.dumps({k: v for k, v in asdict(self).items() if getattr(default, k) != v}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ScoringRules:
        known = {f.name for f in fields(cls)}
        values = {k: int(v) for k, v in json.loads(text or "{}").items() if k in known}
        return cls(**values)


@dataclass(frozen=True)
class GateConfig:
    guild_id: int
    newcomer_role_id: int
    member_role_id: int
    review_channel_id: int
    welcome_channel_id: int | None
    min_account_age_days: int
    apply_within_days: int
    inactive_days: int
    auto_approve: bool
    kick_unapplied: bool
    reapply_cooldown_days: int
    antispam_enabled: bool
    antispam_max_links: int
    antispam_max_mentions: int
    scoring: ScoringRules
    configured_at: datetime
    configured_by: int


class GateNotSetUp(NotFound):
    """The guild has no gate yet."""

    def __init__(self) -> None:
        super().__init__("The membership gate is not set up here; someone with Manage Server can run `/gate setup`.")


def _config(row: Row) -> GateConfig:
    return GateConfig(
        guild_id=row["guild_id"],
        newcomer_role_id=row["newcomer_role_id"],
        member_role_id=row["member_role_id"],
        review_channel_id=row["review_channel_id"],
        welcome_channel_id=row["welcome_channel_id"],
        min_account_age_days=row["min_account_age_days"],
        apply_within_days=row["apply_within_days"],
        inactive_days=row["inactive_days"],
        auto_approve=bool(row["auto_approve"]),
        kick_unapplied=bool(row["kick_unapplied"]),
        reapply_cooldown_days=row["reapply_cooldown_days"],
        antispam_enabled=bool(row["antispam_enabled"]),
        antispam_max_links=row["antispam_max_links"],
        antispam_max_mentions=row["antispam_max_mentions"],
        scoring=ScoringRules.from_json(row["scoring"]),
        configured_at=from_db(row["configured_at"]),
        configured_by=row["configured_by"],
    )


def check_range(name: str, value: int, limits: tuple[int, int]) -> int:
    low, high = limits
    if not low <= value <= high:
        raise InvalidInput(f"`{name}` must be between {low} and {high}; you gave {value}.")
    return value


async def get_gate_config(db: Database, guild_id: int) -> GateConfig | None:
    row = await db.fetchone("SELECT * FROM gate_config WHERE guild_id = ?", (guild_id,))
    return None if row is None else _config(row)


async def require_gate_config(db: Database, guild_id: int) -> GateConfig:
    config = await get_gate_config(db, guild_id)
    if config is None:
        raise GateNotSetUp()
    return config


async def setup_gate(db: Database, clock: Clock, *, guild_id: int, configured_by: int, newcomer_role_id: int,
                     member_role_id: int, review_channel_id: int, welcome_channel_id: int | None = None,
                     min_account_age_days: int = 7, apply_within_days: int = 7, inactive_days: int = 45,
                     auto_approve: bool = False, kick_unapplied: bool = False,
                     reapply_cooldown_days: int | None = None) -> GateConfig:
    """Create or replace the gate's roles, channels and deadlines; score and anti-spam rules are kept."""
    if newcomer_role_id == member_role_id:
        raise InvalidInput("The newcomer role and the member role must be two different roles.")
    check_range("min_account_age_days", min_account_age_days, LIMITS["min_account_age_days"])
    check_range("apply_within_days", apply_within_days, LIMITS["apply_within_days"])
    check_range("inactive_days", inactive_days, LIMITS["inactive_days"])
    if reapply_cooldown_days is not None:
        check_range("reapply_cooldown_days", reapply_cooldown_days, LIMITS["reapply_cooldown_days"])
    async with db.transaction():
        await db.execute(
            "INSERT INTO gate_config (guild_id, newcomer_role_id, member_role_id, review_channel_id, "
            "welcome_channel_id, min_account_age_days, apply_within_days, inactive_days, auto_approve, "
            "kick_unapplied, reapply_cooldown_days, configured_at, configured_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, 7), ?, ?) "
            "ON CONFLICT (guild_id) DO UPDATE SET newcomer_role_id = excluded.newcomer_role_id, "
            "member_role_id = excluded.member_role_id, review_channel_id = excluded.review_channel_id, "
            "welcome_channel_id = excluded.welcome_channel_id, "
            "min_account_age_days = excluded.min_account_age_days, "
            "apply_within_days = excluded.apply_within_days, inactive_days = excluded.inactive_days, "
            "auto_approve = excluded.auto_approve, kick_unapplied = excluded.kick_unapplied, "
            "reapply_cooldown_days = COALESCE(?, reapply_cooldown_days), "
            "configured_at = excluded.configured_at, configured_by = excluded.configured_by",
            (guild_id, newcomer_role_id, member_role_id, review_channel_id, welcome_channel_id,
             min_account_age_days, apply_within_days, inactive_days, int(auto_approve), int(kick_unapplied),
             reapply_cooldown_days, to_db(clock.now()), configured_by, reapply_cooldown_days),
        )
        await set_setting(db, guild_id, MEMBER_ROLE_KEY, str(member_role_id))
        await set_setting(db, guild_id, NEWCOMER_ROLE_KEY, str(newcomer_role_id))
    return await require_gate_config(db, guild_id)


async def set_antispam(db: Database, guild_id: int, *, enabled: bool | None = None, max_links: int | None = None,
                       max_mentions: int | None = None) -> GateConfig:
    """Change the anti-spam switches; ``None`` keeps a value."""
    config = await require_gate_config(db, guild_id)
    if max_links is not None:
        check_range("max_links", max_links, LIMITS["antispam_max_links"])
    if max_mentions is not None:
        check_range("max_mentions", max_mentions, LIMITS["antispam_max_mentions"])
    await db.execute(
        "UPDATE gate_config SET antispam_enabled = ?, antispam_max_links = ?, antispam_max_mentions = ? "
        "WHERE guild_id = ?",
        (int(config.antispam_enabled if enabled is None else enabled),
         config.antispam_max_links if max_links is None else max_links,
         config.antispam_max_mentions if max_mentions is None else max_mentions, guild_id),
    )
    return await require_gate_config(db, guild_id)


async def set_scoring(db: Database, guild_id: int, **changes: int | None) -> GateConfig:
    """Change score rules by name (see :class:`ScoringRules`); ``None`` keeps a value."""
    config = await require_gate_config(db, guild_id)
    known = {f.name for f in fields(ScoringRules)}
    updates: dict[str, int] = {}
    for name, value in changes.items():
        if name not in known:
            raise InvalidInput(f"There is no score rule `{name}`; the rules are: {', '.join(sorted(known))}.")
        if value is None:
            continue
        if name == "answer_min_chars":
            limits = ANSWER_CHARS_LIMITS
        elif name == "hours_threshold":
            limits = HOURS_LIMITS
        else:
            limits = SCORE_LIMITS
        updates[name] = check_range(name, value, limits)
    rules = replace(config.scoring, **updates)
    await db.execute("UPDATE gate_config SET scoring = ? WHERE guild_id = ?", (rules.to_json(), guild_id))
    return await require_gate_config(db, guild_id)


async def configured_guild_ids(db: Database) -> list[int]:
    """Every guild whose gate is set up (the periodic follow-up visits each)."""
    return [row["guild_id"] for row in await db.fetchall("SELECT guild_id FROM gate_config")]


class ConfigCache:
    """Gate settings kept in memory for the per-message path; the database stays the source of truth.

    Whoever changes the settings calls :meth:`forget` so the next read goes to the database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._configs: dict[int, GateConfig | None] = {}

    def cached(self, guild_id: int) -> tuple[bool, GateConfig | None]:
        """``(known, config)`` without I/O; ``known`` is False when it must be loaded first."""
        if guild_id in self._configs:
            return True, self._configs[guild_id]
        return False, None

    async def get(self, guild_id: int) -> GateConfig | None:
        known, config = self.cached(guild_id)
        if not known:
            config = await get_gate_config(self._db, guild_id)
            self._configs[guild_id] = config
        return config

    def forget(self, guild_id: int) -> None:
        self._configs.pop(guild_id, None)

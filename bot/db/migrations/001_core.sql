-- 001_core: guilds seen and seeded, per-guild settings, topics, member participation.

CREATE TABLE guilds (
    guild_id     INTEGER PRIMARY KEY,
    installed_at TEXT NOT NULL           -- ISO 8601, UTC: first time the bot saw the guild
);

-- Which first-sight seeders (starter topics, starter library, FEED_URLS…) have run per guild, so
-- a feature added later still seeds guilds the bot already knew.
CREATE TABLE guild_seeds (
    guild_id  INTEGER NOT NULL,
    seeder    TEXT    NOT NULL,
    seeded_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, seeder)
) WITHOUT ROWID;

-- Per-guild settings as keys; each feature owns keys with its own prefix ("sessions.…").
CREATE TABLE guild_settings (
    guild_id INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (guild_id, key)
) WITHOUT ROWID;

CREATE TABLE topics (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    slug        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    channel_id  INTEGER,
    role_id     INTEGER,
    created_at  TEXT    NOT NULL,
    UNIQUE (guild_id, slug)
);

-- One row per member per UTC day; counts only, never message content.
CREATE TABLE participation_daily (
    guild_id          INTEGER NOT NULL,
    user_id           INTEGER NOT NULL,
    day               TEXT    NOT NULL,   -- YYYY-MM-DD, UTC
    messages          INTEGER NOT NULL DEFAULT 0,
    resources_shared  INTEGER NOT NULL DEFAULT 0,
    upvotes_received  INTEGER NOT NULL DEFAULT 0,
    sessions_attended INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, user_id, day)
) WITHOUT ROWID;

CREATE INDEX participation_by_day ON participation_daily (guild_id, day);

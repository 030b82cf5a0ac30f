-- 007_plans: study plans. A plan is a syllabus of units (weeks) with items; members enrol, mark
-- items done and check in each week; the bot posts each week's card once (claimed in plans_posts).

CREATE TABLE plans (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    slug        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    topic_id    INTEGER REFERENCES topics (id) ON DELETE SET NULL,
    channel_id  INTEGER,                          -- where week cards go; NULL: the topic's channel
    timezone    TEXT,                             -- IANA name; NULL: the server's
    unit_days   INTEGER NOT NULL DEFAULT 7 CHECK (unit_days BETWEEN 1 AND 28),
    status      TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'paused', 'finished')),
    start_local TEXT,                             -- 'YYYY-MM-DDTHH:MM', unit 1's wall-clock start in the
                                                  -- plan's timezone: the anchor that keeps 09:00 across DST
    paused_at   TEXT,                             -- ISO 8601 UTC, while paused
    created_by  INTEGER,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    UNIQUE (guild_id, slug)
);

CREATE TABLE plans_units (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    plan_id  INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    number   INTEGER NOT NULL CHECK (number >= 1),  -- 1-based, in order
    title    TEXT    NOT NULL,
    goals    TEXT    NOT NULL DEFAULT '',           -- one goal per line
    UNIQUE (plan_id, number)
);

CREATE TABLE plans_items (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    plan_id     INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    unit_id     INTEGER NOT NULL REFERENCES plans_units (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 1),  -- order within the unit
    kind        TEXT    NOT NULL CHECK (kind IN ('reading', 'video', 'exercise', 'assignment', 'project',
                                                 'discussion')),
    title       TEXT    NOT NULL,
    url         TEXT,
    required    INTEGER NOT NULL DEFAULT 1,
    minutes     INTEGER CHECK (minutes IS NULL OR minutes > 0),  -- estimate
    due_day     INTEGER,                          -- 0-based day within the unit; NULL: no due time
    due_minute  INTEGER CHECK (due_minute IS NULL OR due_minute BETWEEN 0 AND 1439),  -- local wall time
    resource_id INTEGER REFERENCES resources (id) ON DELETE SET NULL,  -- the library entry for url
    UNIQUE (unit_id, position)
);
CREATE INDEX plans_items_by_plan ON plans_items (plan_id);

-- The cohort: who joined a plan. Leaving sets left_at and keeps the history.
CREATE TABLE plans_enrolments (
    guild_id  INTEGER NOT NULL,
    plan_id   INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL,
    joined_at TEXT    NOT NULL,
    left_at   TEXT,
    PRIMARY KEY (plan_id, user_id)
) WITHOUT ROWID;
CREATE INDEX plans_enrolments_by_user ON plans_enrolments (guild_id, user_id);

-- A member's choices across the guild's plans.
CREATE TABLE plans_member_settings (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    remind_dm      INTEGER NOT NULL DEFAULT 0,   -- deadline reminders by DM instead of in the thread
    share_progress INTEGER NOT NULL DEFAULT 0,   -- others may see /plan progress for this member
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

CREATE TABLE plans_progress (
    guild_id INTEGER NOT NULL,
    plan_id  INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    item_id  INTEGER NOT NULL REFERENCES plans_items (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL,
    done_at  TEXT    NOT NULL,
    PRIMARY KEY (item_id, user_id)
) WITHOUT ROWID;
CREATE INDEX plans_progress_by_plan ON plans_progress (plan_id, user_id);

CREATE TABLE plans_checkins (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    plan_id    INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    unit_id    INTEGER NOT NULL REFERENCES plans_units (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    did        TEXT    NOT NULL DEFAULT '',
    next       TEXT    NOT NULL DEFAULT '',
    blockers   TEXT    NOT NULL DEFAULT '',
    private    INTEGER NOT NULL DEFAULT 0,
    message_id INTEGER,                          -- the card posted in the week's thread
    created_at TEXT    NOT NULL,
    UNIQUE (unit_id, user_id)
);

-- Everything the plan posts, claimed before it is sent so nothing goes out twice (kill -9
-- included). ``key`` names the post within the plan: 'card:<unit>', 'checkin:<unit>',
-- 'deadline:<unit>:<day>:<minute>', 'deadline-dm:<unit>:<day>:<minute>:<user>', 'catchup:<from>-<to>'.
CREATE TABLE plans_posts (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    plan_id    INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    unit_id    INTEGER REFERENCES plans_units (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    user_id    INTEGER,                          -- the member a DM went to
    -- claimed → sent | failed; skipped: too late, or backfilled; lost: claimed by a process that died
    -- before it was marked (never resent: at most once)
    status     TEXT    NOT NULL DEFAULT 'claimed' CHECK (status IN ('claimed', 'sent', 'skipped', 'failed', 'lost')),
    claimed_at TEXT    NOT NULL,
    sent_at    TEXT,
    channel_id INTEGER,
    message_id INTEGER,
    thread_id  INTEGER,                          -- the week's discussion thread (for 'card:' posts)
    UNIQUE (plan_id, key)
);

-- 003_sessions: study sessions, series, RSVPs, planned deliveries (reminders…), voice attendance.

-- A repeating series: the rule that makes each next occurrence. Occurrences are rows in `sessions`.
CREATE TABLE sessions_series (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    repeat       TEXT    NOT NULL CHECK (repeat IN ('weekly', 'biweekly', 'monthly')),
    timezone     TEXT    NOT NULL,          -- IANA name; occurrences keep this wall time
    anchor_local TEXT    NOT NULL,          -- first occurrence's local wall time, ISO without offset
    until_at     TEXT,                      -- ISO 8601 UTC; no occurrence starts after it
    cancelled_at TEXT,
    created_at   TEXT    NOT NULL
);

CREATE TABLE sessions (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    topic_id         INTEGER REFERENCES topics(id) ON DELETE SET NULL,
    series_id        INTEGER REFERENCES sessions_series(id) ON DELETE SET NULL,
    occurrence       INTEGER NOT NULL DEFAULT 0,   -- 0, 1, 2 … within its series
    title            TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    host_id          INTEGER NOT NULL,
    starts_at        TEXT    NOT NULL,             -- ISO 8601 UTC
    ends_at          TEXT    NOT NULL,             -- ISO 8601 UTC, after starts_at
    timezone         TEXT    NOT NULL,             -- the organiser's, for the calendar and the series
    capacity         INTEGER CHECK (capacity IS NULL OR capacity > 0),
    voice_channel_id INTEGER,
    channel_id       INTEGER,                      -- where the card and reminders go
    message_id       INTEGER,                      -- the announcement card
    ping_role        INTEGER NOT NULL DEFAULT 0,
    native_event     INTEGER NOT NULL DEFAULT 0,   -- keep a Discord scheduled event in step
    native_event_id  INTEGER,
    status           TEXT    NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    cancel_reason    TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    UNIQUE (series_id, occurrence)
);

CREATE INDEX sessions_by_start ON sessions (guild_id, status, starts_at);

CREATE TABLE sessions_rsvps (
    session_id    INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('going', 'maybe', 'no', 'waitlist')),
    answered_at   TEXT    NOT NULL,                -- ISO 8601 UTC, last change
    seq           INTEGER NOT NULL,                -- answer order within the session; the waitlist is served by it
    PRIMARY KEY (session_id, user_id)
) WITHOUT ROWID;

-- Everything the bot sends on its own for a session: card, reminders, "starting now", recap.
-- A row is claimed (claimed_at) before sending and marked (sent_at, outcome) after: at most once.
CREATE TABLE sessions_deliveries (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    guild_id   INTEGER NOT NULL,
    kind       TEXT    NOT NULL,                   -- announce | remind-1440m | start | recap
    due_at     TEXT    NOT NULL,                   -- ISO 8601 UTC
    claimed_at TEXT,
    sent_at    TEXT,
    outcome    TEXT,                               -- sent | late | cancelled | failed | lost
    PRIMARY KEY (session_id, kind, due_at)
) WITHOUT ROWID;

CREATE INDEX sessions_deliveries_pending ON sessions_deliveries (due_at) WHERE claimed_at IS NULL;

-- Per member, per guild: their timezone (/timezone set) and whether reminders come by DM.
CREATE TABLE sessions_members (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    timezone  TEXT,
    remind_dm INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Time members spent in voice channels, from voice state updates; left_at is NULL while inside.
CREATE TABLE sessions_voice_intervals (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    joined_at  TEXT    NOT NULL,
    left_at    TEXT
);

CREATE INDEX sessions_voice_by_channel ON sessions_voice_intervals (guild_id, channel_id, joined_at);
CREATE UNIQUE INDEX sessions_voice_open ON sessions_voice_intervals (guild_id, user_id) WHERE left_at IS NULL;

-- Who attended, written once when the recap is made.
CREATE TABLE sessions_attendance (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    seconds    INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
) WITHOUT ROWID;

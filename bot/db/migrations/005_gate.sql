-- 005_gate: the membership gate (config, newcomers, applications, prunes) and participation totals.

-- One row per guild that has set the gate up with /gate setup. The two roles are also stored as the
-- guild settings gate.member_role and gate.newcomer_role, which other features read.
CREATE TABLE gate_config (
    guild_id              INTEGER PRIMARY KEY,
    newcomer_role_id      INTEGER NOT NULL,
    member_role_id        INTEGER NOT NULL,
    review_channel_id     INTEGER NOT NULL,
    welcome_channel_id    INTEGER,
    min_account_age_days  INTEGER NOT NULL DEFAULT 7,
    apply_within_days     INTEGER NOT NULL DEFAULT 7,
    inactive_days         INTEGER NOT NULL DEFAULT 45,
    auto_approve          INTEGER NOT NULL DEFAULT 0,
    kick_unapplied        INTEGER NOT NULL DEFAULT 0,
    reapply_cooldown_days INTEGER NOT NULL DEFAULT 7,
    antispam_enabled      INTEGER NOT NULL DEFAULT 1,
    antispam_max_links    INTEGER NOT NULL DEFAULT 3,   -- more links than this from a newcomer is spam
    antispam_max_mentions INTEGER NOT NULL DEFAULT 5,   -- this many user/role mentions or more is spam
    scoring               TEXT    NOT NULL DEFAULT '{}', -- JSON: the score rules that differ from the defaults
    configured_at         TEXT    NOT NULL,              -- ISO 8601, UTC
    configured_by         INTEGER NOT NULL
);

-- Everyone who joined while the gate was set up: welcome, reminder, kick or listing to reviewers.
CREATE TABLE gate_members (
    guild_id           INTEGER NOT NULL,
    user_id            INTEGER NOT NULL,
    joined_at          TEXT    NOT NULL,
    account_created_at TEXT    NOT NULL,
    welcomed_at        TEXT,              -- set once membership screening cleared and the welcome went out
    reminded_at        TEXT,              -- the one reminder to apply
    listed_at          TEXT,              -- 3 days after the reminder, without kick_unapplied: listed to reviewers
    kicked_at          TEXT,
    left_at            TEXT,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

CREATE INDEX gate_members_waiting ON gate_members (guild_id, welcomed_at) WHERE left_at IS NULL;

CREATE TABLE gate_applications (
    id                 INTEGER PRIMARY KEY,
    guild_id           INTEGER NOT NULL,
    user_id            INTEGER NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'approved', 'rejected', 'withdrawn')),
    topics_text        TEXT    NOT NULL,  -- the topics as typed
    background         TEXT    NOT NULL,
    goals              TEXT    NOT NULL,
    hours_per_week     INTEGER NOT NULL,
    link               TEXT,
    account_created_at TEXT    NOT NULL,
    score              INTEGER NOT NULL,
    score_reasons      TEXT    NOT NULL,  -- JSON list of {rule, detail, points, met}: shown as computed
    submitted_at       TEXT    NOT NULL,
    review_channel_id  INTEGER,
    review_message_id  INTEGER,
    decided_at         TEXT,
    decided_by         INTEGER,           -- the reviewer; the bot's own id for an auto-approval
    decision_reason    TEXT
);

CREATE UNIQUE INDEX gate_one_open_application ON gate_applications (guild_id, user_id) WHERE status = 'open';
CREATE INDEX gate_applications_by_member ON gate_applications (guild_id, user_id, submitted_at);

-- The guild topics an application chose (the free text stays in topics_text).
CREATE TABLE gate_application_topics (
    application_id INTEGER NOT NULL REFERENCES gate_applications (id) ON DELETE CASCADE,
    guild_id       INTEGER NOT NULL,
    topic_id       INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, topic_id)
) WITHOUT ROWID;

-- What an applicant typed when the form's answers were refused (hours "lots", a broken link), so the
-- next form opens filled in. One per member; gone once they apply, and after 7 days (privacy.py).
CREATE TABLE gate_application_drafts (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    topics_text TEXT    NOT NULL,  -- each answer exactly as typed
    background  TEXT    NOT NULL,
    goals       TEXT    NOT NULL,
    hours       TEXT    NOT NULL,
    link        TEXT    NOT NULL,
    saved_at    TEXT    NOT NULL,  -- ISO 8601, UTC
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

-- Questions reviewers asked with "Ask", and the applicant's reply.
CREATE TABLE gate_questions (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    application_id INTEGER NOT NULL REFERENCES gate_applications (id) ON DELETE CASCADE,
    asked_by       INTEGER NOT NULL,
    question       TEXT    NOT NULL,
    asked_at       TEXT    NOT NULL,
    dm_delivered   INTEGER NOT NULL DEFAULT 0,
    answer         TEXT,
    answered_at    TEXT
);

CREATE INDEX gate_questions_by_application ON gate_questions (application_id);

-- A prune waiting for its invoker's confirmation (kept afterwards as the record of what was done).
CREATE TABLE gate_prunes (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    invoker_id  INTEGER NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('demote', 'kick')),
    days        INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'running', 'done', 'cancelled', 'expired')),
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    channel_id  INTEGER,
    message_id  INTEGER,
    finished_at TEXT
);

CREATE TABLE gate_prune_members (
    prune_id    INTEGER NOT NULL REFERENCES gate_prunes (id) ON DELETE CASCADE,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    last_active TEXT    NOT NULL,          -- YYYY-MM-DD as shown in the list
    outcome     TEXT,                      -- what happened when confirmed (demoted, kicked, skipped: …)
    PRIMARY KEY (prune_id, user_id)
) WITHOUT ROWID;

-- Per-member totals of participation_daily, kept in step by triggers so that the inactivity
-- report reads one row per member instead of summing every day of everyone. A day counts as
-- active when some counter is positive (an upvote taken back leaves a -1 that is not activity).
CREATE TABLE gate_participation_totals (
    guild_id          INTEGER NOT NULL,
    user_id           INTEGER NOT NULL,
    last_day          TEXT,               -- YYYY-MM-DD, UTC, of the last active day; NULL: none yet
    recorded_days     INTEGER NOT NULL,
    messages          INTEGER NOT NULL,
    resources_shared  INTEGER NOT NULL,
    upvotes_received  INTEGER NOT NULL,
    sessions_attended INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

INSERT INTO gate_participation_totals (guild_id, user_id, last_day, recorded_days, messages, resources_shared,
                                       upvotes_received, sessions_attended)
SELECT guild_id, user_id,
       MAX(CASE WHEN messages > 0 OR resources_shared > 0 OR upvotes_received > 0 OR sessions_attended > 0
                THEN day END),
       COUNT(*), SUM(messages), SUM(resources_shared), SUM(upvotes_received), SUM(sessions_attended)
FROM participation_daily GROUP BY guild_id, user_id;

CREATE TRIGGER gate_totals_on_insert AFTER INSERT ON participation_daily
BEGIN
    INSERT INTO gate_participation_totals (guild_id, user_id, last_day, recorded_days, messages, resources_shared,
                                           upvotes_received, sessions_attended)
    VALUES (NEW.guild_id, NEW.user_id,
            CASE WHEN NEW.messages > 0 OR NEW.resources_shared > 0 OR NEW.upvotes_received > 0
                      OR NEW.sessions_attended > 0 THEN NEW.day END,
            1, NEW.messages, NEW.resources_shared, NEW.upvotes_received, NEW.sessions_attended)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        last_day = CASE WHEN excluded.last_day IS NULL THEN last_day
                        WHEN last_day IS NULL OR excluded.last_day > last_day THEN excluded.last_day
                        ELSE last_day END,
        recorded_days = recorded_days + 1,
        messages = messages + excluded.messages,
        resources_shared = resources_shared + excluded.resources_shared,
        upvotes_received = upvotes_received + excluded.upvotes_received,
        sessions_attended = sessions_attended + excluded.sessions_attended;
END;

CREATE TRIGGER gate_totals_on_update AFTER UPDATE ON participation_daily
BEGIN
    UPDATE gate_participation_totals SET
        last_day = CASE WHEN NOT (NEW.messages > 0 OR NEW.resources_shared > 0 OR NEW.upvotes_received > 0
                                  OR NEW.sessions_attended > 0) THEN last_day
                        WHEN last_day IS NULL OR NEW.day > last_day THEN NEW.day
                        ELSE last_day END,
        messages = messages + NEW.messages - OLD.messages,
        resources_shared = resources_shared + NEW.resources_shared - OLD.resources_shared,
        upvotes_received = upvotes_received + NEW.upvotes_received - OLD.upvotes_received,
        sessions_attended = sessions_attended + NEW.sessions_attended - OLD.sessions_attended
    WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id;
END;

CREATE TRIGGER gate_totals_on_delete AFTER DELETE ON participation_daily
BEGIN
    UPDATE gate_participation_totals SET
        last_day = (SELECT MAX(day) FROM participation_daily
                    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id
                      AND (messages > 0 OR resources_shared > 0 OR upvotes_received > 0 OR sessions_attended > 0)),
        recorded_days = recorded_days - 1,
        messages = messages - OLD.messages,
        resources_shared = resources_shared - OLD.resources_shared,
        upvotes_received = upvotes_received - OLD.upvotes_received,
        sessions_attended = sessions_attended - OLD.sessions_attended
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
    DELETE FROM gate_participation_totals
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND recorded_days <= 0;
END;

-- 008_buddies: study buddies. Members opt in with topics and a note; each round pairs them (trios
-- where needed) in a private thread, checks back halfway and counts a confirmed meeting as
-- participation. A round and its groups are written in one transaction before anything is posted;
-- each thread and check-back is claimed before it is sent, so a restart resumes without repeats.

CREATE TABLE buddies_settings (
    guild_id        INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,             -- where the private threads are created
    cadence         TEXT    NOT NULL DEFAULT 'weekly' CHECK (cadence IN ('weekly', 'biweekly', 'monthly')),
    weekday         INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),   -- 0 = Monday
    hour            INTEGER NOT NULL DEFAULT 9 CHECK (hour BETWEEN 0 AND 23),     -- the server's wall time
    group_size      INTEGER NOT NULL DEFAULT 2 CHECK (group_size IN (2, 3)),
    cooldown_rounds INTEGER NOT NULL DEFAULT 4 CHECK (cooldown_rounds BETWEEN 1 AND 26),
    anchor_local    TEXT    NOT NULL,             -- 'YYYY-MM-DDTHH:MM': the first scheduled round, wall time
    threads_problem TEXT,                         -- why private threads failed last time; NULL: they worked
    configured_by   INTEGER,
    configured_at   TEXT    NOT NULL
) WITHOUT ROWID;

-- Who takes part. Leaving deletes the row (and its topics); pausing and skipping keep it.
CREATE TABLE buddies_optins (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    note         TEXT    NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    joined_at    TEXT    NOT NULL,
    paused_until TEXT,                            -- ISO 8601 UTC; not matched before then
    skip_next    INTEGER NOT NULL DEFAULT 0,      -- sit out the next round only
    rounds_taken INTEGER NOT NULL DEFAULT 0,      -- rounds this member was grouped in (history is purged)
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;

CREATE TABLE buddies_optin_topics (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    PRIMARY KEY (guild_id, user_id, topic_id),
    FOREIGN KEY (guild_id, user_id) REFERENCES buddies_optins (guild_id, user_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- A round: 'proposed' is an organiser's dry run waiting for Confirm (expires_at); 'posting' has its
-- groups fixed and threads being created; 'posted' has them all; 'checked' had its check-back.
CREATE TABLE buddies_rounds (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    seed         INTEGER NOT NULL,                -- the matcher's jitter: the round can be replayed
    status       TEXT    NOT NULL CHECK (status IN ('proposed', 'expired', 'cancelled', 'posting', 'posted',
                                                    'checked')),
    scheduled_at TEXT,                            -- the cadence slot it ran for; NULL: run by hand
    invoker_id   INTEGER,                         -- who ran it by hand
    created_at   TEXT    NOT NULL,
    expires_at   TEXT,                            -- a proposal's confirm deadline
    ran_at       TEXT,                            -- when its groups were fixed
    checkback_at TEXT,                            -- halfway to the next round
    message_channel_id INTEGER,                   -- the preview message, to disable its buttons
    message_id   INTEGER,
    UNIQUE (guild_id, scheduled_at)
);
CREATE INDEX buddies_rounds_by_guild ON buddies_rounds (guild_id, status, ran_at);

CREATE TABLE buddies_groups (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    round_id        INTEGER NOT NULL REFERENCES buddies_rounds (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    thread_status   TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (thread_status IN ('pending', 'claimed', 'created', 'dm', 'alone', 'failed')),
    thread_id       INTEGER,
    checkback_status TEXT   NOT NULL DEFAULT 'pending'
                    CHECK (checkback_status IN ('pending', 'claimed', 'sent', 'skipped')),
    checkback_message_id INTEGER,
    UNIQUE (round_id, position)
);
CREATE INDEX buddies_groups_by_thread ON buddies_groups (thread_id);

-- The primary key keeps anyone from being in two groups of one round.
CREATE TABLE buddies_members (
    guild_id    INTEGER NOT NULL,
    round_id    INTEGER NOT NULL REFERENCES buddies_rounds (id) ON DELETE CASCADE,
    group_id    INTEGER NOT NULL REFERENCES buddies_groups (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    repeat      INTEGER NOT NULL DEFAULT 0,       -- met someone in the group within the cooldown
    answer      TEXT CHECK (answer IN ('yes', 'not_yet', 'no')),
    answered_at TEXT,
    left_at     TEXT,                             -- left the server during the round
    PRIMARY KEY (round_id, user_id)
) WITHOUT ROWID;
CREATE INDEX buddies_members_by_group ON buddies_members (group_id);
CREATE INDEX buddies_members_by_user ON buddies_members (guild_id, user_id);

-- One direct message to one member about one group, claimed before it is sent, so a restart resumes
-- a group told by DM (or its check-back) without telling anyone twice. 'intro': their buddies, when
-- there is no thread (or they cannot see it); 'alone': no one else was in the round; 'checkback':
-- "Did you meet?" for a group told by DM.
CREATE TABLE buddies_dms (
    guild_id   INTEGER NOT NULL,
    group_id   INTEGER NOT NULL REFERENCES buddies_groups (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('intro', 'alone', 'checkback')),
    status     TEXT    NOT NULL DEFAULT 'claimed' CHECK (status IN ('claimed', 'sent', 'failed')),
    message_id INTEGER,
    claimed_at TEXT    NOT NULL,
    PRIMARY KEY (group_id, user_id, kind)
) WITHOUT ROWID;
CREATE INDEX buddies_dms_by_user ON buddies_dms (guild_id, user_id);

-- 010_web: the web companion. Per-server page settings, members' secret calendar links (hashes
-- only), and calendar versions so a subscribed calendar's SEQUENCE and DTSTAMP change only when
-- the event does.

-- A server's public page: off until an organiser turns it on; the slug stays reserved when off.
CREATE TABLE web_guilds (
    guild_id   INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,            -- lower-case letters, digits and dashes
    enabled    INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT    NOT NULL
);

-- One personal calendar link per member, across servers. Only the SHA-256 of the token is kept;
-- /calendar reset replaces the row, so the old link stops working. guild_id: where it was made.
CREATE TABLE web_calendar_tokens (
    user_id    INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL
);

-- How often, and when last, an event that a calendar shows changed: kind 'session' (one
-- occurrence), 'series' (the repeating rule) or 'plan' (a plan's due times). No row: never
-- changed (sequence 0, stamped when created). Triggers keep it; no feature code has to remember.
CREATE TABLE web_calendar_versions (
    kind       TEXT    NOT NULL CHECK (kind IN ('session', 'series', 'plan')),
    id         INTEGER NOT NULL,
    guild_id   INTEGER NOT NULL,
    sequence   INTEGER NOT NULL,
    changed_at TEXT    NOT NULL,                   -- ISO 8601 UTC
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TRIGGER web_session_changed
AFTER UPDATE OF title, description, starts_at, ends_at, timezone, status, topic_id ON sessions
WHEN old.title IS NOT new.title OR old.description IS NOT new.description
  OR old.starts_at IS NOT new.starts_at OR old.ends_at IS NOT new.ends_at
  OR old.timezone IS NOT new.timezone OR old.status IS NOT new.status OR old.topic_id IS NOT new.topic_id
BEGIN
    INSERT INTO web_calendar_versions (kind, id, guild_id, sequence, changed_at)
    VALUES ('session', new.id, new.guild_id, 1, new.updated_at)
    ON CONFLICT (kind, id) DO UPDATE SET sequence = sequence + 1, changed_at = excluded.changed_at;
END;

CREATE TRIGGER web_series_changed AFTER UPDATE OF until_at, cancelled_at ON sessions_series
WHEN old.until_at IS NOT new.until_at OR old.cancelled_at IS NOT new.cancelled_at
BEGIN
    INSERT INTO web_calendar_versions (kind, id, guild_id, sequence, changed_at)
    VALUES ('series', new.id, new.guild_id, 1,
            COALESCE(new.cancelled_at, (SELECT MAX(updated_at) FROM sessions WHERE series_id = new.id),
                     new.created_at))
    ON CONFLICT (kind, id) DO UPDATE SET sequence = sequence + 1, changed_at = excluded.changed_at;
END;

CREATE TRIGGER web_plan_changed
AFTER UPDATE OF title, status, start_local, paused_at, unit_days, timezone ON plans
WHEN old.title IS NOT new.title OR old.status IS NOT new.status OR old.start_local IS NOT new.start_local
  OR old.paused_at IS NOT new.paused_at OR old.unit_days IS NOT new.unit_days OR old.timezone IS NOT new.timezone
BEGIN
    INSERT INTO web_calendar_versions (kind, id, guild_id, sequence, changed_at)
    VALUES ('plan', new.id, new.guild_id, 1, new.updated_at)
    ON CONFLICT (kind, id) DO UPDATE SET sequence = sequence + 1, changed_at = excluded.changed_at;
END;

CREATE TRIGGER web_plan_item_changed AFTER UPDATE OF title, url, due_day, due_minute ON plans_items
BEGIN
    INSERT INTO web_calendar_versions (kind, id, guild_id, sequence, changed_at)
    VALUES ('plan', new.plan_id, new.guild_id, 1, (SELECT updated_at FROM plans WHERE id = new.plan_id))
    ON CONFLICT (kind, id) DO UPDATE SET sequence = sequence + 1, changed_at = excluded.changed_at;
END;

-- The web library lists every topic at once (the bot's lists are per topic): best or newest first.
CREATE INDEX web_resources_top ON resources (guild_id, votes DESC, id DESC) WHERE removed_at IS NULL;
CREATE INDEX web_resources_new ON resources (guild_id, id DESC) WHERE removed_at IS NULL;

-- A counter per server that moves whenever anything a calendar.ics is made of changes (sessions,
-- series, topic names), so answering "not modified" costs one row read instead of a scan.
CREATE TABLE web_calendar_changes (
    guild_id INTEGER PRIMARY KEY,
    changes  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER web_changes_session_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO web_calendar_changes (guild_id, changes) VALUES (new.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER web_changes_session_update AFTER UPDATE ON sessions BEGIN
    INSERT INTO web_calendar_changes (guild_id, changes) VALUES (new.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER web_changes_session_delete AFTER DELETE ON sessions BEGIN
    INSERT INTO web_calendar_changes (guild_id, changes) VALUES (old.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER web_changes_series_update AFTER UPDATE ON sessions_series BEGIN
    INSERT INTO web_calendar_changes (guild_id, changes) VALUES (new.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER web_changes_topic_insert AFTER INSERT ON topics BEGIN
    INSERT INTO web_calendar_changes (guild_id, changes) VALUES (new.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER web_changes_topic_update AFTER UPDATE ON topics BEGIN
    INSERT INTO web_calendar_changes (guild_id, changes) VALUES (new.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER web_changes_topic_delete AFTER DELETE ON topics BEGIN
    INSERT INTO web_calendar_changes (guild_id, changes) VALUES (old.guild_id, 1)
    ON CONFLICT (guild_id) DO UPDATE SET changes = changes + 1;
END;

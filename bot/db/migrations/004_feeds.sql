-- 004_feeds: RSS/Atom feeds, the entries each feed has already seen, and the posts waiting to go out.

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    url              TEXT    NOT NULL,
    title            TEXT    NOT NULL DEFAULT '',
    site_url         TEXT,                       -- the feed's own <link>, for "… and N more"
    channel_id       INTEGER,                    -- NULL: the topic's channel, else the announcements channel
    topic_id         INTEGER REFERENCES topics(id) ON DELETE SET NULL,
    include_filter   TEXT    NOT NULL DEFAULT '',
    exclude_filter   TEXT    NOT NULL DEFAULT '',
    mention_role_id  INTEGER,
    status           TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
    disabled_reason  TEXT,
    needs_baseline   INTEGER NOT NULL DEFAULT 0, -- 1: the next good fetch marks everything seen, posts nothing
    etag             TEXT,                       -- validators of the last 200, never empty strings
    last_modified    TEXT,
    body_hash        TEXT,                       -- sha256 of the last body parsed
    failures         INTEGER NOT NULL DEFAULT 0, -- consecutive
    failing_since    TEXT,
    last_error       TEXT,
    next_check_at    TEXT    NOT NULL,           -- ISO 8601, UTC
    last_checked_at  TEXT,
    last_entry_title TEXT,                       -- the last new entry announced
    last_entry_at    TEXT,
    created_by       INTEGER,
    created_at       TEXT    NOT NULL,
    UNIQUE (guild_id, url)
);

CREATE INDEX feeds_due ON feeds (status, next_check_at);

-- Hashed identities (guid, else link, else title+date) of every entry a feed has shown us.
CREATE TABLE feeds_seen (
    feed_id       INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guild_id      INTEGER NOT NULL,
    identity_hash TEXT    NOT NULL,
    seen_at       TEXT    NOT NULL,              -- last time the entry was in the feed
    PRIMARY KEY (feed_id, identity_hash)
) WITHOUT ROWID;

-- Posts decided on but not yet confirmed sent. A row is deleted only after Discord accepted the
-- message, so a crash re-sends at most the one message that was in flight.
CREATE TABLE feeds_outbox (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    feed_id         INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('entry', 'more', 'disabled')),
    payload         TEXT    NOT NULL,            -- JSON
    mention_role_id INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL
);

-- 009_reviews: projects and peer review. Organisers (or a study plan's assignment and project
-- items) create assignments; members submit a link; at the due time (or /assignment close) each
-- submission gets reviewers from the other submitters, drawn from a stored seed; reviewers score a
-- rubric and write comments; authors see the results. What the bot sends is planned in
-- reviews_notices and claimed before it is sent, so nothing goes out twice.

CREATE TABLE reviews_assignments (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    title            TEXT    NOT NULL,
    topic_id         INTEGER REFERENCES topics (id) ON DELETE SET NULL,
    due_at           TEXT    NOT NULL,                 -- ISO 8601 UTC: submissions after it are late
    review_days      INTEGER NOT NULL DEFAULT 7 CHECK (review_days BETWEEN 1 AND 60),
    reviewers        INTEGER NOT NULL DEFAULT 3 CHECK (reviewers BETWEEN 1 AND 10),
    rubric           TEXT    NOT NULL,                 -- JSON list of criterion names, 1 to 5
    reveal_reviewers INTEGER NOT NULL DEFAULT 0,
    accept_late      INTEGER NOT NULL DEFAULT 1,
    status           TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'reviewing', 'closed')),
    seed             INTEGER,                          -- the reviewer draw's seed, kept for audit
    assigned_at      TEXT,                             -- when reviewers were assigned
    review_ends_at   TEXT,                             -- assigned_at + review_days
    closed_at        TEXT,                             -- the round was closed: no more reviews
    shortfall        INTEGER NOT NULL DEFAULT 0,       -- reviews that could not be assigned
    channel_id       INTEGER,                          -- where the assignment's card is
    message_id       INTEGER,
    thread_id        INTEGER,                          -- the assignment's thread (from the card)
    plan_item_id     INTEGER UNIQUE REFERENCES plans_items (id) ON DELETE SET NULL,
    created_by       INTEGER,                          -- the organiser; NULL: from a study plan or forgotten
    created_at       TEXT    NOT NULL
);
CREATE INDEX reviews_assignments_by_guild ON reviews_assignments (guild_id, status);

-- One submission per member per assignment; replacing it before the due time rewrites the row.
CREATE TABLE reviews_submissions (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    assignment_id       INTEGER NOT NULL REFERENCES reviews_assignments (id) ON DELETE CASCADE,
    user_id             INTEGER NOT NULL,
    url                 TEXT    NOT NULL,
    note                TEXT    NOT NULL DEFAULT '',
    public              INTEGER NOT NULL DEFAULT 0,
    late                INTEGER NOT NULL DEFAULT 0,
    submitted_at        TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    showcase_channel_id INTEGER,
    showcase_message_id INTEGER,
    UNIQUE (assignment_id, user_id)
);

-- Members (organisers included) who offered to review when there are too few submitters.
CREATE TABLE reviews_volunteers (
    guild_id      INTEGER NOT NULL,
    assignment_id INTEGER NOT NULL REFERENCES reviews_assignments (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL,
    volunteered_at TEXT   NOT NULL,
    PRIMARY KEY (assignment_id, user_id)
) WITHOUT ROWID;

-- One row per (submission, reviewer): assigned, then drafted (scores and comments saved as the
-- reviewer goes, so a refused submit loses nothing), then submitted. reviewer_id is NULL once the
-- reviewer asked to be forgotten: the author keeps the feedback.
CREATE TABLE reviews_reviews (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    assignment_id INTEGER NOT NULL REFERENCES reviews_assignments (id) ON DELETE CASCADE,
    submission_id INTEGER NOT NULL REFERENCES reviews_submissions (id) ON DELETE CASCADE,
    reviewer_id   INTEGER,
    source        TEXT    NOT NULL CHECK (source IN ('peer', 'volunteer', 'late')),
    assigned_at   TEXT    NOT NULL,
    scores        TEXT    NOT NULL DEFAULT '[]',       -- JSON: one score (1-5 or null) per criterion
    works         TEXT    NOT NULL DEFAULT '',         -- "what works"
    improve       TEXT    NOT NULL DEFAULT '',         -- "what to improve"
    submitted_at  TEXT,                                -- NULL: still a draft
    late          INTEGER NOT NULL DEFAULT 0,          -- submitted after the review window
    helpful_at    TEXT,                                -- the author marked it helpful
    UNIQUE (submission_id, reviewer_id)
);
CREATE INDEX reviews_reviews_by_reviewer ON reviews_reviews (assignment_id, reviewer_id);

-- Everything the bot sends on its own for an assignment, planned as rows and claimed before it is
-- sent (claim -> send -> mark, as bot/claims.py describes). ``key`` names it within the assignment:
-- 'card', 'assigned:<user>[:<n>]', 'remind-48h:<user>', 'remind-6h:<user>', 'results:<submission>',
-- 'shortfall[:<n>]'.
CREATE TABLE reviews_notices (
    guild_id      INTEGER NOT NULL,
    assignment_id INTEGER NOT NULL REFERENCES reviews_assignments (id) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    user_id       INTEGER,                              -- who it is for (NULL: the channel, organisers)
    due_at        TEXT    NOT NULL,
    claimed_at    TEXT,
    sent_at       TEXT,
    outcome       TEXT,                                 -- sent | fallback | skipped | failed | lost
    PRIMARY KEY (assignment_id, key)
) WITHOUT ROWID;
CREATE INDEX reviews_notices_pending ON reviews_notices (due_at) WHERE claimed_at IS NULL;

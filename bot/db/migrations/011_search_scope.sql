-- 011_search_scope: the guild and removal filter of /resource search, answered from a small index.
--
-- A search keeps the newest matches that are live in the guild; each match FTS5 finds was checked
-- by reading its whole row in resources (title, note, …) for guild_id and removed_at. This index
-- holds just those facts (and topic_id, for the topic filter) by id, so the check reads a few
-- small index pages instead (measured at 100,000 resources: 0.18 ms of SQLite CPU per search down
-- to 0.07 ms).
CREATE INDEX resources_live ON resources (id, guild_id, topic_id) WHERE removed_at IS NULL;

-- 006_participation_learning: the learning features count as participation too.
-- Study plans (items done, check-ins), study buddies (meetings confirmed) and peer review
-- (submissions, reviews given, reviews marked helpful) each get a counter per member per day, and
-- the gate's totals and "active day" rule include them, so the inactivity review sees a learner who
-- only works through the plan as active.

ALTER TABLE participation_daily ADD COLUMN plan_items_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participation_daily ADD COLUMN checkins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participation_daily ADD COLUMN buddy_meetings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participation_daily ADD COLUMN submissions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participation_daily ADD COLUMN reviews_given INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participation_daily ADD COLUMN helpful_marks INTEGER NOT NULL DEFAULT 0;

ALTER TABLE gate_participation_totals ADD COLUMN plan_items_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_participation_totals ADD COLUMN checkins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_participation_totals ADD COLUMN buddy_meetings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_participation_totals ADD COLUMN submissions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_participation_totals ADD COLUMN reviews_given INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_participation_totals ADD COLUMN helpful_marks INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER gate_totals_on_insert;
DROP TRIGGER gate_totals_on_update;
DROP TRIGGER gate_totals_on_delete;

CREATE TRIGGER gate_totals_on_insert AFTER INSERT ON participation_daily
BEGIN
    INSERT INTO gate_participation_totals (guild_id, user_id, last_day, recorded_days, messages, resources_shared,
                                           upvotes_received, sessions_attended, plan_items_done, checkins,
                                           buddy_meetings, submissions, reviews_given, helpful_marks)
    VALUES (NEW.guild_id, NEW.user_id,
            CASE WHEN NEW.messages > 0 OR NEW.resources_shared > 0 OR NEW.upvotes_received > 0
                      OR NEW.sessions_attended > 0 OR NEW.plan_items_done > 0 OR NEW.checkins > 0
                      OR NEW.buddy_meetings > 0 OR NEW.submissions > 0 OR NEW.reviews_given > 0
                      OR NEW.helpful_marks > 0 THEN NEW.day END,
            1, NEW.messages, NEW.resources_shared, NEW.upvotes_received, NEW.sessions_attended,
            NEW.plan_items_done, NEW.checkins, NEW.buddy_meetings, NEW.submissions, NEW.reviews_given,
            NEW.helpful_marks)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        last_day = CASE WHEN excluded.last_day IS NULL THEN last_day
                        WHEN last_day IS NULL OR excluded.last_day > last_day THEN excluded.last_day
                        ELSE last_day END,
        recorded_days = recorded_days + 1,
        messages = messages + excluded.messages,
        resources_shared = resources_shared + excluded.resources_shared,
        upvotes_received = upvotes_received + excluded.upvotes_received,
        sessions_attended = sessions_attended + excluded.sessions_attended,
        plan_items_done = plan_items_done + excluded.plan_items_done,
        checkins = checkins + excluded.checkins,
        buddy_meetings = buddy_meetings + excluded.buddy_meetings,
        submissions = submissions + excluded.submissions,
        reviews_given = reviews_given + excluded.reviews_given,
        helpful_marks = helpful_marks + excluded.helpful_marks;
END;

CREATE TRIGGER gate_totals_on_update AFTER UPDATE ON participation_daily
BEGIN
    UPDATE gate_participation_totals SET
        last_day = CASE WHEN NOT (NEW.messages > 0 OR NEW.resources_shared > 0 OR NEW.upvotes_received > 0
                                  OR NEW.sessions_attended > 0 OR NEW.plan_items_done > 0 OR NEW.checkins > 0
                                  OR NEW.buddy_meetings > 0 OR NEW.submissions > 0 OR NEW.reviews_given > 0
                                  OR NEW.helpful_marks > 0) THEN last_day
                        WHEN last_day IS NULL OR NEW.day > last_day THEN NEW.day
                        ELSE last_day END,
        messages = messages + NEW.messages - OLD.messages,
        resources_shared = resources_shared + NEW.resources_shared - OLD.resources_shared,
        upvotes_received = upvotes_received + NEW.upvotes_received - OLD.upvotes_received,
        sessions_attended = sessions_attended + NEW.sessions_attended - OLD.sessions_attended,
        plan_items_done = plan_items_done + NEW.plan_items_done - OLD.plan_items_done,
        checkins = checkins + NEW.checkins - OLD.checkins,
        buddy_meetings = buddy_meetings + NEW.buddy_meetings - OLD.buddy_meetings,
        submissions = submissions + NEW.submissions - OLD.submissions,
        reviews_given = reviews_given + NEW.reviews_given - OLD.reviews_given,
        helpful_marks = helpful_marks + NEW.helpful_marks - OLD.helpful_marks
    WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id;
END;

CREATE TRIGGER gate_totals_on_delete AFTER DELETE ON participation_daily
BEGIN
    UPDATE gate_participation_totals SET
        last_day = (SELECT MAX(day) FROM participation_daily
                    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id
                      AND (messages > 0 OR resources_shared > 0 OR upvotes_received > 0 OR sessions_attended > 0
                           OR plan_items_done > 0 OR checkins > 0 OR buddy_meetings > 0 OR submissions > 0
                           OR reviews_given > 0 OR helpful_marks > 0)),
        recorded_days = recorded_days - 1,
        messages = messages - OLD.messages,
        resources_shared = resources_shared - OLD.resources_shared,
        upvotes_received = upvotes_received - OLD.upvotes_received,
        sessions_attended = sessions_attended - OLD.sessions_attended,
        plan_items_done = plan_items_done - OLD.plan_items_done,
        checkins = checkins - OLD.checkins,
        buddy_meetings = buddy_meetings - OLD.buddy_meetings,
        submissions = submissions - OLD.submissions,
        reviews_given = reviews_given - OLD.reviews_given,
        helpful_marks = helpful_marks - OLD.helpful_marks
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
    DELETE FROM gate_participation_totals
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND recorded_days <= 0;
END;

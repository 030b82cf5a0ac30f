"""Study sessions: schedule, RSVP, remind, take attendance, export calendars.

The feature is a package of small modules:

* ``timeparse`` – times, durations and reminder offsets as members type them;
* ``recurrence`` – when the occurrences of a repeating series fall (DST-correct);
* ``model`` – the values (``Session``, ``RsvpResult`` …) and errors;
* ``store`` – scheduling, editing, cancelling, and growing a series;
* ``rsvp`` – answers and the waitlist;
* ``members`` – a member's timezone and DM preference;
* ``settings`` – per-guild reminder offsets and attendance minutes;
* ``deliveries`` – what the bot sends on its own, claimed before sending (at most once);
* ``jobs`` – scheduler jobs derived from the deliveries, and what a job does;
* ``attendance`` – voice intervals and who attended;
* ``ics`` – the iCalendar export.
"""

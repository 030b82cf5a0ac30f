"""The membership gate: applications and review, newcomer follow-up, inactivity review, privacy.

Modules, one concern each:

* ``config``       — the gate's per-guild settings (``/gate setup``) and the score rules.
* ``scoring``      — parsing an application's answers and scoring them, with reasons.
* ``applications`` — one open application per member, decisions, reviewers' questions.
* ``newcomers``    — joins, the welcome, the reminder, and who is due a kick or a listing.
* ``inactivity``   — the inactivity report and the prunes that act on it.
* ``profile``      — a learner's engagement card.
* ``antispam``     — the newcomer anti-spam rules (pure functions).
* ``privacy``      — every table that holds user data; export, forget, retention.
"""

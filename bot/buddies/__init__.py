"""Study buddies: rounds of pairs (or trios) matched by topic and time zone, who meet and say so.

``model`` holds the dataclasses and errors; ``matching`` groups a pool (pure) and ``repair`` takes
avoidable repeats out of its trios; ``cadence`` says when rounds fall; ``store`` keeps settings and
opt-ins; ``rounds`` makes and writes a round (preview, confirm, schedule); ``posting`` claims its
threads, DMs and check-backs and records answers and leavers; ``history`` shows past rounds and
purges them; ``intro`` gathers what a group's first message says.
Nothing here imports discord.
"""

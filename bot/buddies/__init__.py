"""Study buddies: rounds of pairs (or trios) matched by topic and time zone, who meet and say so.

``matching`` groups a pool (pure), ``cadence`` says when rounds fall, ``store`` keeps settings,
opt-ins and rounds, ``rounds`` runs a round from proposal to check-back, ``intro`` gathers what a
group's first message says. Nothing here imports discord.
"""

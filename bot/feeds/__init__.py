"""RSS/Atom feeds: fetch politely, post each new entry once, never flood.

* :mod:`.policy` the limits and timings, in one place; :mod:`.problems` why a feed cannot be read;
* :mod:`.fetch` conditional HTTP with the SSRF guard; :mod:`.parse` bytes to entries (feedparser);
* :mod:`.reader` the two together for one URL; :mod:`.entries` identity, age and keyword filters;
* :mod:`.render` HTML to Discord markdown; :mod:`.store` the tables; :mod:`.poller` the poll cycle
  and the outbox; :mod:`.manage` what the commands do; :mod:`.cli` ``python -m bot feed preview``.
"""

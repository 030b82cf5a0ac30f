"""``make demo``: Cohort against the local Discord stand-in, with a demo community and its web page.

Nothing here needs a Discord application: the stand-in (tests/standin) plays Discord on 127.0.0.1,
the real bot connects to it, and the demo community (bot/demo.py) is filled in. Then the web page
is at http://127.0.0.1:8080/g/demo until Ctrl-C. ``WEB_PORT`` picks another port.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from bot.config import load_settings
from bot.demo import seed_demo_community
from bot.runner import open_bot
from tests.standin import StandIn

READY_TIMEOUT = 30


async def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    standin = StandIn(guild_name="Browser ML Learners (demo)")
    await standin.start()
    workdir = Path(tempfile.mkdtemp(prefix="cohort-demo-"))
    settings = load_settings({
        **standin.env,
        "DATABASE_PATH": str(workdir / "demo.db"),
        "DISCORD_GUILD_ID": str(standin.guild_id),
        "WEB_PORT": os.environ.get("WEB_PORT", "8080"),
        "FEED_ALLOW_PRIVATE": "1",
        "LOG_LEVEL": "WARNING",
    }, dotenv_path=None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with open_bot(settings, guild_ready_timeout=0.05) as bot:
            runner = asyncio.create_task(bot.start(settings.token))
            await asyncio.wait_for(bot.guilds_seeded.wait(), READY_TIMEOUT)
            if not bot.web.running:
                print(f"The web companion could not listen on port {settings.web_port}; run "
                      "`WEB_PORT=8081 make demo` to use another port.", file=sys.stderr)
                return 1
            people = [standin.alice, standin.bob, standin.carol]
            slug = await seed_demo_community(bot.db, bot.clock, standin.guild_id, host_id=standin.admin.id,
                                             member_ids=[p.id for p in people], channel_id=standin.general.id,
                                             guild_name=standin.guild.name)
            print(f"\nCohort demo is running against the local Discord stand-in (data in {workdir}).")
            print(f"Open {bot.web.links.guild_links(slug)['home']}")
            print("Press Ctrl-C to stop.\n", flush=True)
            await asyncio.wait({runner, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED)
            await bot.close()
            await asyncio.wait_for(runner, 10)
    finally:
        await standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

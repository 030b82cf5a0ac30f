"""/config through the stand-in."""

from __future__ import annotations

from typing import Any

from bot import guild_config
from bot.core import CohortBot
from tests.e2e import any_text


async def test_admin_sets_channels_role_and_timezone(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("config channel", user=standin.admin, kind="announcements",
                                options={"channel": standin.announcements})
    assert reply.ephemeral and "announcements channel is now" in reply.text
    await standin.slash("config channel", user=standin.admin, kind="mod_log", options={"channel": standin.mod_log})
    await standin.slash("config organizer-role", user=standin.admin, role=standin.moderator_role)
    await standin.slash("config timezone", user=standin.admin, tz="europe/berlin")
    config = await guild_config.get_config(bot.db, standin.guild_id)
    assert config.announcements_channel_id == standin.announcements.id
    assert config.mod_log_channel_id == standin.mod_log.id
    assert config.organizer_role_id == standin.moderator_role.id
    assert config.timezone == "Europe/Berlin"
    shown = await standin.slash("config show", user=standin.admin)
    assert "Europe/Berlin" in shown.text and f"<#{standin.announcements.id}>" in shown.text
    standin.assert_clean()


async def test_timezone_autocomplete_offers_berlin(standin: Any, bot: CohortBot) -> None:
    choices = await standin.autocomplete("config timezone", focused="tz", user=standin.admin, tz="berl")
    assert choices[0]["value"] == "Europe/Berlin"


async def test_unknown_timezone_is_refused(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("config timezone", user=standin.admin, tz="Mars/Olympus")
    assert reply.ephemeral and "not a timezone" in reply.text
    assert (await guild_config.get_config(bot.db, standin.guild_id)).timezone == "UTC"


async def test_a_plain_member_is_refused(standin: Any, bot: CohortBot) -> None:
    reply = await standin.slash("config show", user=standin.alice)
    assert reply.ephemeral and "Manage Server" in reply.text


async def test_any_text_as_a_timezone_or_reminder_offsets_is_taken_or_refused(standin: Any, bot: CohortBot) -> None:
    role = await standin.add_role("Pingable")
    taken = refused = 0
    for text in [*any_text.texts(standin, role, 8), "asia/TOKYO", "24h,15m"]:
        reply = await standin.slash("config timezone", user=standin.admin, tz=text)
        assert reply.ephemeral and reply.text and "went wrong" not in reply.text, text
        stored = (await guild_config.get_config(bot.db, standin.guild_id)).timezone
        if "timezone is now" in reply.text:
            taken += 1
            assert stored in guild_config.timezone_names() and f"**{stored}**" in reply.text, text
        else:
            refused += 1
        offsets = await standin.slash("config reminders", user=standin.admin, offsets=text)
        assert offsets.ephemeral and offsets.text and "went wrong" not in offsets.text, text
        for reply_text in (reply.text, offsets.text):
            assert not any_text.UNESCAPED_MENTION.search(any_text.outside_code(reply_text)), reply_text
    assert taken and refused
    any_text.assert_no_pings(standin)
    standin.assert_clean()

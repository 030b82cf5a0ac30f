"""Tests of the Discord stand-in itself, driven by a tiny real discord.py bot.

The bot here is deliberately not Cohort: it proves the stand-in speaks Discord
well enough for discord.py (login, sync, READY/GUILD_CREATE, interactions,
components, modals, REST errors, RESUME).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.standin import StandIn, Upload

pytestmark = pytest.mark.asyncio

TOPICS = ["mlops", "ml-theory", "rust", "statistics"]


class ConfirmView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content=f"Confirmed by {interaction.user.name}", view=None)


class LevelSelect(discord.ui.View):
    @discord.ui.select(custom_id="level", options=[discord.SelectOption(label=x, value=x) for x in ("easy", "hard")])
    async def level(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.send_message(f"level {select.values[0]}", ephemeral=True)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Your feedback", custom_id="feedback_text",
                                                           max_length=200)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks for: {self.text.value}", ephemeral=True)


class TopicGroup(app_commands.Group, name="topic", description="Topics"):
    @app_commands.command(name="join", description="Join a topic")
    async def join(self, interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(f"{interaction.user.name} joined {topic}", view=ConfirmView())

    @join.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if t.startswith(current)]

    @app_commands.command(name="feedback", description="Give feedback")
    async def feedback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @app_commands.command(name="slow", description="Answer after thinking")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done slowly", embed=discord.Embed(title="Report", description="all good"))

    @app_commands.command(name="level", description="Pick a level")
    async def level(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Pick one", view=LevelSelect(), ephemeral=True)

    @app_commands.command(name="grant", description="Give a role")
    async def grant(self, interaction: discord.Interaction, member: discord.Member, role: discord.Role) -> None:
        try:
            await member.add_roles(role)
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"forbidden {exc.code}", ephemeral=True)
            return
        await interaction.response.send_message(f"gave {role.name} to {member.name}")

    @app_commands.command(name="upload", description="Echo a file")
    async def upload(self, interaction: discord.Interaction, file: discord.Attachment, count: int = 1) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename} x{count}",
                                                file=discord.File(io.BytesIO(data[::-1]), "rev.txt"))


class TinyBot(commands.Bot):
    def __init__(self, guild_id: int) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.guild_id = guild_id
        self.joined: list[discord.Member] = []
        self.seen_messages: list[discord.Message] = []

    async def setup_hook(self) -> None:
        self.tree.add_command(TopicGroup())
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py sleeps 5 s before every re-IDENTIFY; not needed against the stand-in

    async def on_member_join(self, member: discord.Member) -> None:
        self.joined.append(member)

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)


@pytest.fixture
async def tiny_bot(standin: StandIn) -> AsyncIterator[TinyBot]:
    with standin.patch_discord():
        bot = TinyBot(standin.guild_id)
        await bot.login(standin.token)
        task = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        try:
            yield bot
        finally:
            await bot.close()
            await asyncio.wait_for(task, 5)


async def eventually(check: Any, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# --- start-up -------------------------------------------------------------------------------------


async def test_fixture_starts_fast() -> None:
    started = time.perf_counter()
    async with StandIn() as standin:
        assert standin.api_url.startswith("http://127.0.0.1:")
    assert time.perf_counter() - started < 0.5


async def test_login_and_sync_are_recorded(standin: StandIn, tiny_bot: TinyBot) -> None:
    paths = [(r.method, r.path) for r in standin.requests]
    assert paths[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    sync = standin.requests_to("PUT", f"/applications/{standin.application_id}/guilds/{standin.guild_id}/commands")
    assert len(sync) == 1 and sync[0].status == 200
    (topic,) = sync[0].json
    assert topic["name"] == "topic"
    assert {o["name"] for o in topic["options"]} == {"join", "feedback", "slow", "level", "grant", "upload"}
    (echoed,) = sync[0].response
    assert echoed["id"] and echoed["application_id"] == str(standin.application_id)
    assert tiny_bot.application_id == standin.application_id
    assert tiny_bot.user is not None and tiny_bot.user.id == standin.bot_user_id
    standin.assert_clean()


async def test_ready_and_guild_create_fill_the_cache(standin: StandIn, tiny_bot: TinyBot) -> None:
    guild = tiny_bot.get_guild(standin.guild_id)
    assert guild is not None
    assert guild.chunked and guild.member_count == len(standin.guild.members) == 7
    alice = guild.get_member(standin.alice.id)
    assert alice is not None and alice.name == "alice"
    assert guild.get_member(standin.owner.id).guild_permissions.administrator  # type: ignore[union-attr]
    assert guild.me.top_role.id == standin.bot_role.id
    assert {c.name for c in guild.channels} == {"general", "announcements", "mod-log", "Study Room"}
    assert isinstance(guild.get_channel(standin.voice.id), discord.VoiceChannel)
    sent = [f.t for f in standin.frames if f.direction == "to_bot" and f.op == 0]
    assert sent[:2] == ["READY", "GUILD_CREATE"]
    identify = next(f for f in standin.frames if f.direction == "from_bot" and f.op == 2)
    assert identify.d["intents"] == tiny_bot.intents.value
    assert not [f for f in standin.frames if f.direction == "from_bot" and f.op == 8]  # no chunk request needed


# --- interactions -----------------------------------------------------------------------------------


async def test_slash_subcommand_reply_and_button_click(standin: StandIn, tiny_bot: TinyBot) -> None:
    reply = await standin.slash("topic join", user=standin.alice, topic="mlops")
    assert reply.type == 4 and not reply.ephemeral
    assert reply.content == "alice joined mlops"
    assert reply.component_ids == ["confirm"]
    assert [m.id for m in standin.messages_in(standin.general)] == [reply.message_id]

    clicked = await standin.click(reply, "confirm", user=standin.bob)
    assert clicked.type == 7
    assert clicked.content == "Confirmed by bob" and clicked.components == []
    (message,) = standin.messages_in(standin.general)
    assert message.content == "Confirmed by bob" and message.edited
    standin.assert_clean()


async def test_autocomplete_returns_the_choices(standin: StandIn, tiny_bot: TinyBot) -> None:
    choices = await standin.autocomplete("topic join", focused="topic", user=standin.alice, topic="ml")
    assert [c["value"] for c in choices] == ["mlops", "ml-theory"]


async def test_modal_opened_and_submitted(standin: StandIn, tiny_bot: TinyBot) -> None:
    opened = await standin.slash("topic feedback", user=standin.carol)
    assert opened.type == 9 and opened.modal is not None
    assert opened.modal.field_ids == ["feedback_text"]
    answer = await standin.submit_modal(opened.modal.custom_id, {"feedback_text": "great"}, user=standin.carol)
    assert answer.ephemeral and answer.content == "Thanks for: great"
    assert standin.messages_in(standin.general) == []  # ephemeral replies are not in the channel
    reopened = await standin.slash("topic feedback", user=standin.carol)
    assert reopened.modal is not None
    with pytest.raises(ValueError):  # Discord's client enforces max_length
        await standin.submit_modal(reopened.modal.custom_id, {"feedback_text": "x" * 201}, user=standin.carol)


async def test_deferred_reply_waits_for_the_followup(standin: StandIn, tiny_bot: TinyBot) -> None:
    reply = await standin.slash("topic slow", user=standin.alice)
    assert reply.type == 5 and reply.deferred
    assert reply.content == "done slowly"
    assert "all good" in reply.text and "Report" in reply.text
    assert reply.followups == []  # the first followup replaced the "thinking" message


async def test_select_menu_on_ephemeral_message(standin: StandIn, tiny_bot: TinyBot) -> None:
    menu = await standin.slash("topic level", user=standin.bob)
    assert menu.ephemeral
    with pytest.raises(ValueError):
        await standin.click(menu, "level", user=standin.bob, values=["impossible"])
    picked = await standin.click(menu, "level", user=standin.bob, values=["hard"])
    assert picked.content == "level hard"


async def test_user_and_role_options_and_hierarchy(standin: StandIn, tiny_bot: TinyBot) -> None:
    helper = await standin.add_role("Helper")
    reply = await standin.slash("topic grant", user=standin.admin, member=standin.bob, role=helper)
    assert reply.content == "gave Helper to bob"
    request = await standin.wait_for_request(method="PUT", path="/guilds/*/members/*/roles/*")
    assert request.path == f"/guilds/{standin.guild_id}/members/{standin.bob.id}/roles/{helper.id}"
    guild = tiny_bot.get_guild(standin.guild_id)
    assert guild is not None
    await eventually(lambda: helper.id in [r.id for r in guild.get_member(standin.bob.id).roles])  # type: ignore[union-attr]

    above = await standin.add_role("Council", above=standin.bot_role)
    denied = await standin.slash("topic grant", user=standin.admin, member=standin.bob, role=above)
    assert denied.content == "forbidden 50013"
    assert helper.id in standin.bob.roles and above.id not in standin.bob.roles

    await standin.move_role(above, below=standin.bot_role)
    await eventually(lambda: guild.get_role(above.id) < guild.me.top_role)  # type: ignore[operator]
    allowed = await standin.slash("topic grant", user=standin.admin, member=standin.bob, role=above)
    assert allowed.content == "gave Council to bob"


async def test_attachment_option_and_file_reply(standin: StandIn, tiny_bot: TinyBot) -> None:
    reply = await standin.slash("topic upload", user=standin.alice, file=Upload("notes.txt", b"abc"), count=2)
    assert reply.content == "notes.txt x2"
    (file,) = reply.attachments
    assert file.filename == "rev.txt" and file.data == b"cba"
    with pytest.raises(TypeError):
        await standin.slash("topic upload", user=standin.alice, file=("a.txt", b"x"), count="two")


# --- REST behaviour ---------------------------------------------------------------------------------


async def test_invalid_body_is_answered_400_50035(standin: StandIn, tiny_bot: TinyBot) -> None:
    if not standin.rest.has_validator:
        pytest.skip("tests/standin/validation.py is not available")
    channel = tiny_bot.get_channel(standin.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(embed=discord.Embed(title="x" * 300))
    assert caught.value.status == 400 and caught.value.code == 50035
    (failure,) = standin.validation_failures
    assert failure.request.path == f"/channels/{standin.general.id}/messages"
    assert "title" in str(failure)
    assert standin.messages_in(standin.general) == []


async def test_dm_to_closed_dms_is_forbidden_50007(standin: StandIn, tiny_bot: TinyBot) -> None:
    standin.set_dms_open(standin.bob, False)
    bob = tiny_bot.get_user(standin.bob.id)
    assert bob is not None
    with pytest.raises(discord.Forbidden) as caught:
        await bob.send("hello")
    assert caught.value.code == 50007

    alice = tiny_bot.get_user(standin.alice.id)
    assert alice is not None
    await alice.send("welcome!")
    assert [m.content for m in standin.dms_to(standin.alice)] == ["welcome!"]


async def test_channel_messages_files_and_edits(standin: StandIn, tiny_bot: TinyBot) -> None:
    channel = tiny_bot.get_channel(standin.general.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("report", file=discord.File(io.BytesIO(b"data"), "r.csv"))
    assert sent.attachments[0].filename == "r.csv"
    assert await sent.attachments[0].read() == b"data"
    await sent.edit(content="report v2")
    fetched = await channel.fetch_message(sent.id)
    assert fetched.content == "report v2"
    (stored,) = standin.messages_in(standin.general)
    assert stored.content == "report v2" and stored.attachments[0].data == b"data"
    await sent.delete()
    assert standin.messages_in(standin.general) == []
    with pytest.raises(discord.NotFound) as caught:
        await channel.fetch_message(sent.id)
    assert caught.value.code == 10008

    mod_log = tiny_bot.get_channel(standin.mod_log.id)
    assert isinstance(mod_log, discord.TextChannel)
    await mod_log.send("bot may post here")  # its role is allowed by an overwrite
    await standin.set_overwrite(standin.mod_log, standin.bot_role, allow="view_channel", deny="send_messages")
    with pytest.raises(discord.Forbidden) as denied:
        await mod_log.send("no longer")
    assert denied.value.code == 50013


async def test_moderation_rules(standin: StandIn, tiny_bot: TinyBot) -> None:
    guild = tiny_bot.get_guild(standin.guild_id)
    assert guild is not None
    bob = guild.get_member(standin.bob.id)
    owner = guild.get_member(standin.owner.id)
    assert bob is not None and owner is not None
    await bob.timeout(dt.timedelta(minutes=10), reason="spam")
    assert standin.bob.is_timed_out()
    assert standin.requests_to("PATCH", "/guilds/*/members/*")[-1].reason == "spam"
    with pytest.raises(discord.HTTPException) as too_long:
        await bob.timeout(dt.timedelta(days=30))
    assert too_long.value.status == 400
    with pytest.raises(discord.Forbidden):
        await owner.kick()
    await bob.kick()
    assert standin.bob.id not in standin.guild.members
    await eventually(lambda: guild.get_member(standin.bob.id) is None)


async def test_scheduled_events(standin: StandIn, tiny_bot: TinyBot) -> None:
    guild = tiny_bot.get_guild(standin.guild_id)
    assert guild is not None
    start = discord.utils.utcnow() + dt.timedelta(hours=1)
    event = await guild.create_scheduled_event(
        name="Reading group", start_time=start, end_time=start + dt.timedelta(hours=1),
        entity_type=discord.EntityType.external, location="Library", privacy_level=discord.PrivacyLevel.guild_only,
    )
    assert event.location == "Library" and int(event.id) in standin.guild.scheduled_events
    await event.edit(name="Reading group (moved)")
    assert standin.guild.scheduled_events[event.id]["name"] == "Reading group (moved)"
    with pytest.raises(discord.HTTPException) as past:
        await guild.create_scheduled_event(
            name="Too late", start_time=start - dt.timedelta(hours=3), end_time=start,
            entity_type=discord.EntityType.external, location="x", privacy_level=discord.PrivacyLevel.guild_only,
        )
    assert past.value.code == 50035
    await event.delete()
    assert standin.guild.scheduled_events == {}


async def test_unimplemented_route_is_404_and_recorded(standin: StandIn, tiny_bot: TinyBot) -> None:
    with pytest.raises(discord.NotFound):
        await tiny_bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/webhooks", guild_id=1))
    assert [r.path for r in standin.unhandled] == ["/guilds/1/webhooks"]
    with pytest.raises(AssertionError):
        standin.assert_clean()


# --- gateway ------------------------------------------------------------------------------------------


async def test_member_join_and_pending_update(standin: StandIn, tiny_bot: TinyBot) -> None:
    dave = await standin.add_member("dave", pending=True)
    await eventually(lambda: [m.id for m in tiny_bot.joined] == [dave.id])
    assert tiny_bot.joined[0].pending
    await standin.update_member(dave, pending=False)
    guild = tiny_bot.get_guild(standin.guild_id)
    assert guild is not None
    await eventually(lambda: not guild.get_member(dave.id).pending)  # type: ignore[union-attr]


async def test_messages_and_voice_reach_the_bot(standin: StandIn, tiny_bot: TinyBot) -> None:
    await standin.send_message(standin.general, standin.alice, "hello there")
    await eventually(lambda: [m.content for m in tiny_bot.seen_messages] == ["hello there"])
    await standin.voice(standin.carol, standin.voice)
    guild = tiny_bot.get_guild(standin.guild_id)
    assert guild is not None
    await eventually(lambda: guild.get_member(standin.carol.id).voice is not None)  # type: ignore[union-attr]


@pytest.mark.parametrize("how", ["op7", "close"])
async def test_bot_resumes_after_reconnect(standin: StandIn, tiny_bot: TinyBot, how: str) -> None:
    assert await standin.reconnect(how) == "RESUMED"
    resume = [f for f in standin.frames if f.direction == "from_bot" and f.op == 6]
    assert len(resume) == 1 and resume[0].d["session_id"] == standin.gateway.session.id  # type: ignore[union-attr]
    reply = await standin.slash("topic join", user=standin.alice, topic="rust")
    assert reply.content == "alice joined rust"


async def test_invalidated_session_identifies_again(standin: StandIn, tiny_bot: TinyBot) -> None:
    assert await standin.reconnect("invalidate") == "READY"
    assert standin.gateway.identify_count == 2


async def _raw_connect(http: aiohttp.ClientSession, url: str) -> tuple[aiohttp.ClientWebSocketResponse, Any]:
    ws = await http.ws_connect(url)
    inflator = zlib.decompressobj()

    async def receive() -> dict[str, Any]:
        message = await ws.receive(timeout=2)
        if message.type is aiohttp.WSMsgType.BINARY:
            return json.loads(inflator.decompress(message.data))
        return json.loads(message.data)

    return ws, receive


@pytest.mark.parametrize("compress", [None, "zlib-stream"])
async def test_raw_gateway_resume_replays_missed_events(standin: StandIn, compress: str | None) -> None:
    query = "?v=10&encoding=json" + (f"&compress={compress}" if compress else "")
    guild_messages = 1 << 9
    async with aiohttp.ClientSession() as http:
        ws, receive = await _raw_connect(http, standin.gateway_url + query)
        assert (await receive())["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": standin.token, "intents": guild_messages, "properties": {}}})
        ready, guild_create = await receive(), await receive()
        assert ready["t"] == "READY" and guild_create["t"] == "GUILD_CREATE"
        members = guild_create["d"]["members"]
        assert [m["user"]["id"] for m in members] == [str(standin.bot_user_id)]  # no GUILD_MEMBERS intent
        assert guild_create["d"]["member_count"] == 7
        await ws.close()
        await standin.gateway.wait_for(lambda: not standin.gateway.connected, 2)

        await standin.send_message(standin.general, standin.alice, "while you were away")
        await standin.add_member("erin")
        assert standin.gateway.filtered[-1].t == "GUILD_MEMBER_ADD"  # needs GUILD_MEMBERS

        ws, receive = await _raw_connect(http, standin.resume_gateway_url + query)
        assert (await receive())["op"] == 10
        resume = {"token": standin.token, "session_id": ready["d"]["session_id"], "seq": guild_create["s"]}
        await ws.send_json({"op": 6, "d": resume})
        missed = await receive()
        assert missed["t"] == "MESSAGE_CREATE" and missed["s"] == guild_create["s"] + 1
        assert missed["d"]["content"] == ""  # no MESSAGE_CONTENT intent
        assert (await receive())["t"] == "RESUMED"
        await ws.send_json({"op": 1, "d": missed["s"]})
        assert (await receive())["op"] == 11
        await ws.close()


async def test_bad_token_is_rejected(standin: StandIn) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(standin.api_url + "/users/@me", headers={"Authorization": "Bot nope"}) as response:
            assert response.status == 401
            assert response.headers["Content-Type"] == "application/json"
        ws = await http.ws_connect(standin.gateway_url + "?v=10&encoding=json")
        await ws.receive_json()
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 0, "properties": {}}})
        closed = await ws.receive()
        assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == 4004

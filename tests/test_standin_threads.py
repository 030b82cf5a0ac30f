"""Thread support of the Discord stand-in, driven by a real discord.py client.

Covers the REST routes discord.py uses for threads (start from a message or without one, thread
members, edit/archive/delete), Discord's permission rules for them, private-thread visibility,
interactions inside threads and the THREAD_* gateway events reaching discord.py's cache.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.standin import FakeThread, StandIn

pytestmark = pytest.mark.asyncio


class ThreadView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Done", custom_id="done")
    async def done(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        kind = type(interaction.channel).__name__
        await interaction.response.edit_message(content=f"done by {interaction.user.name} in {kind}", view=None)


class ThreadBot(commands.Bot):
    def __init__(self, guild_id: int, *, members_intent: bool = True) -> None:
        intents = discord.Intents.default()
        intents.members = members_intent
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.guild_id = guild_id
        self.seen_messages: list[discord.Message] = []
        self.created: list[discord.Thread] = []
        self.invoked_in: list[discord.abc.GuildChannel | discord.Thread | None] = []

    async def setup_hook(self) -> None:
        @app_commands.command(name="where", description="Say where it was invoked")
        async def where(interaction: discord.Interaction) -> None:
            self.invoked_in.append(interaction.channel)  # type: ignore[arg-type]
            perms = interaction.app_permissions
            await interaction.response.send_message(
                f"in {type(interaction.channel).__name__} {interaction.channel_id} "
                f"send_in_threads={perms.send_messages_in_threads}",
                view=ThreadView(),
            )

        guild = discord.Object(self.guild_id)
        self.tree.add_command(where, guild=guild)
        await self.tree.sync(guild=guild)

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.created.append(thread)

    @property
    def guild(self) -> discord.Guild:
        guild = self.get_guild(self.guild_id)
        assert guild is not None
        return guild

    def text_channel(self, channel_id: int) -> discord.TextChannel:
        channel = self.guild.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        return channel


BotFactory = Callable[..., Awaitable[ThreadBot]]


@pytest.fixture
async def start_bot(standin: StandIn) -> AsyncIterator[BotFactory]:
    running: list[tuple[ThreadBot, asyncio.Task[None]]] = []

    async def start(**kwargs: Any) -> ThreadBot:
        bot = ThreadBot(standin.guild_id, **kwargs)
        await bot.login(standin.token)
        task = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        running.append((bot, task))
        return bot

    with standin.patch_discord():
        try:
            yield start
        finally:
            for bot, task in running:
                await bot.close()
                await asyncio.wait_for(task, 5)


@pytest.fixture
async def bot(start_bot: BotFactory) -> ThreadBot:
    return await start_bot()


async def eventually(check: Callable[[], Any], timeout: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
    return result


# --- creating threads ----------------------------------------------------------------------------


async def test_public_thread_from_a_message(standin: StandIn, bot: ThreadBot) -> None:
    general = bot.text_channel(standin.general.id)
    card = await general.send("Week 3 card")
    thread = await card.create_thread(name="Week 3 · Data management")

    assert thread.id == card.id  # a message's thread shares its id
    assert thread.type is discord.ChannelType.public_thread and thread.parent_id == standin.general.id
    assert thread.owner_id == standin.bot_user_id and not thread.archived
    (fake,) = standin.threads(standin.general)
    assert fake.id == thread.id and fake.name == "Week 3 · Data management" and fake.type == 11
    assert standin.threads(standin.announcements) == []
    assert [m.id for m in standin.thread_members(fake)] == [standin.bot_user_id]

    created = standin.events_sent("THREAD_CREATE")[-1]
    assert created["newly_created"] is True and created["member"]["user_id"] == str(standin.bot_user_id)
    cached = await eventually(lambda: bot.guild.get_thread(thread.id))
    assert cached.name == "Week 3 · Data management" and cached.me is not None
    assert bot.created and bot.created[0].id == thread.id
    starter = standin.message(card.id)
    assert starter.payload["thread"]["id"] == str(thread.id) and starter.flags & 32  # HAS_THREAD

    with pytest.raises(discord.HTTPException) as again:
        await card.create_thread(name="Week 3 again")
    assert again.value.status == 400 and again.value.code == 160004
    assert len(standin.threads()) == 1

    post = await thread.send("Discuss here")
    edited = await post.edit(content="Discuss here, please")
    assert [m.content for m in standin.messages_in(thread)] == [edited.content]
    assert fake.message_count == 1 and fake.last_message_id == post.id
    assert len(standin.messages_in(thread, include_system=True)) == 2  # + the thread starter message (type 21)
    assert [m.id for m in standin.messages_in(standin.general)] == [card.id]
    standin.validation_failures.clear()  # the deliberate 160004
    standin.assert_clean()


async def test_private_thread_with_members(standin: StandIn, bot: ThreadBot) -> None:
    general = bot.text_channel(standin.general.id)
    thread = await general.create_thread(name="Buddies: alice & bob", type=discord.ChannelType.private_thread,
                                         invitable=False, auto_archive_duration=10080)
    body = standin.requests_to("POST", "/channels/*/threads")[-1].json
    assert body["type"] == 12 and body["invitable"] is False and body["auto_archive_duration"] == 10080
    fake = standin.thread(thread.id)
    assert fake.is_private and not fake.invitable and fake.auto_archive_duration == 10080
    assert thread.type is discord.ChannelType.private_thread and thread.invitable is False
    assert not standin.messages_in(standin.general, include_system=True)  # no "started a thread" for private ones

    await thread.add_user(discord.Object(standin.alice.id))
    await thread.add_user(discord.Object(standin.bob.id))
    await thread.add_user(discord.Object(standin.bob.id))  # already in: no second event
    assert [m.name for m in standin.thread_members(thread)] == ["Cohort", "alice", "bob"]
    assert len(standin.events_sent("THREAD_MEMBERS_UPDATE")) == 3  # the bot (creator), alice, bob

    cached = await eventually(lambda: bot.guild.get_thread(thread.id))
    await eventually(lambda: {m.id for m in cached.members} == {standin.alice.id, standin.bob.id})
    assert cached.me is not None
    assert standin.events_sent("THREAD_MEMBERS_UPDATE")[-1]["member_count"] == 3
    assert (await bot.fetch_channel(thread.id)).member_count == 3  # type: ignore[union-attr]
    fetched = await thread.fetch_members()
    assert {m.id for m in fetched} == {standin.bot_user_id, standin.alice.id, standin.bob.id}

    await thread.remove_user(discord.Object(standin.bob.id))
    await eventually(lambda: {m.id for m in cached.members} == {standin.alice.id})
    assert [m.name for m in standin.thread_members(thread)] == ["Cohort", "alice"]
    with pytest.raises(discord.NotFound) as gone:
        await thread.fetch_member(standin.bob.id)
    assert gone.value.code == 10007
    standin.assert_clean()


async def test_thread_without_a_message_is_announced_in_the_parent(standin: StandIn, bot: ThreadBot) -> None:
    general = bot.text_channel(standin.general.id)
    thread = await general.create_thread(name="Assignment 2", type=discord.ChannelType.public_thread)
    (notice,) = standin.messages_in(standin.general, include_system=True)
    assert notice.payload["type"] == 18 and notice.content == "Assignment 2"
    assert notice.payload["message_reference"]["channel_id"] == str(thread.id)
    assert standin.messages_in(standin.general) == []


async def test_names_and_archive_durations_are_validated(standin: StandIn, bot: ThreadBot) -> None:
    general = bot.text_channel(standin.general.id)
    with pytest.raises(discord.HTTPException) as long_name:
        await general.create_thread(name="x" * 101, type=discord.ChannelType.public_thread)
    assert long_name.value.status == 400 and long_name.value.code == 50035
    with pytest.raises(discord.HTTPException) as duration:
        await general.create_thread(name="ok", type=discord.ChannelType.public_thread,
                                    auto_archive_duration=30)  # type: ignore[arg-type]
    assert duration.value.status == 400
    voice = bot.guild.get_channel(standin.voice.id)
    assert isinstance(voice, discord.VoiceChannel)
    route = discord.http.Route("POST", "/channels/{channel_id}/threads", channel_id=voice.id)
    with pytest.raises(discord.HTTPException) as wrong_type:
        await bot.http.request(route, json={"name": "no", "type": 11})
    assert wrong_type.value.code == 50024
    assert standin.threads() == []
    assert {f.request.path for f in standin.validation_failures} == {f"/channels/{standin.general.id}/threads",
                                                                      f"/channels/{standin.voice.id}/threads"}


# --- permissions --------------------------------------------------------------------------------


async def test_the_bot_role_has_the_thread_permissions(standin: StandIn, bot: ThreadBot) -> None:
    perms = bot.guild.me.guild_permissions
    assert perms.create_public_threads and perms.create_private_threads
    assert perms.send_messages_in_threads and perms.manage_threads


async def test_thread_permissions_can_be_taken_away(standin: StandIn, bot: ThreadBot) -> None:
    general = bot.text_channel(standin.general.id)
    await standin.set_overwrite(standin.general, standin.bot_role, deny=["create_private_threads"])
    await eventually(lambda: not general.permissions_for(bot.guild.me).create_private_threads)
    with pytest.raises(discord.Forbidden) as private:
        await general.create_thread(name="secret", type=discord.ChannelType.private_thread)
    assert private.value.code == 50013
    public = await general.create_thread(name="open", type=discord.ChannelType.public_thread)

    await standin.set_overwrite(standin.general, standin.bot_role, deny=["send_messages_in_threads"])
    with pytest.raises(discord.Forbidden) as send:
        await public.send("hello")
    assert send.value.code == 50013
    await general.send("the channel itself still works")  # Send Messages is a different permission

    await standin.set_overwrite(standin.general, standin.bot_role, deny=["create_public_threads"])
    message = await general.send("card")
    with pytest.raises(discord.Forbidden):
        await message.create_thread(name="no")
    assert [t.name for t in standin.threads()] == ["open"]


async def test_adding_members_follows_discords_rules(standin: StandIn, bot: ThreadBot) -> None:
    mod_log = bot.text_channel(standin.mod_log.id)
    staff = await mod_log.create_thread(name="staff", type=discord.ChannelType.private_thread)
    with pytest.raises(discord.Forbidden) as cannot_see:
        await staff.add_user(discord.Object(standin.alice.id))  # alice cannot view #mod-log
    assert cannot_see.value.code == 50001
    await staff.add_user(discord.Object(standin.moderator.id))
    assert [m.name for m in standin.thread_members(staff)] == ["Cohort", "moderator"]

    # A non-invitable private thread someone else owns: without Manage Threads the bot may not add.
    await standin.set_overwrite(standin.general, standin.bot_role, deny=["manage_threads"])
    closed = await standin.create_thread(standin.general, "alice's", by=standin.alice, private=True, invitable=False)
    await standin.add_thread_member(closed, standin.bot_member, by=standin.alice)
    with pytest.raises(discord.Forbidden) as not_owner:
        await bot.http.add_user_to_thread(closed.id, standin.carol.id)
    assert not_owner.value.code == 50013
    with pytest.raises(PermissionError):
        await standin.add_thread_member(closed, standin.carol, by=standin.bob)  # bob cannot even see it
    with pytest.raises(discord.Forbidden) as remove:
        await bot.http.remove_user_from_thread(closed.id, standin.alice.id)
    assert remove.value.code == 50013
    assert [m.name for m in standin.thread_members(closed)] == ["alice", "Cohort"]


async def test_private_threads_are_visible_to_members_and_moderators_only(standin: StandIn, bot: ThreadBot) -> None:
    await standin.set_overwrite(standin.general, standin.bot_role, deny=["manage_threads"])
    await eventually(lambda: not bot.text_channel(standin.general.id).permissions_for(bot.guild.me).manage_threads)
    thread = await standin.create_thread(standin.general, "alice & carol", by=standin.alice, private=True)
    await standin.add_thread_member(thread, standin.carol, by=standin.alice)
    assert standin.events_sent("THREAD_CREATE") == []  # the bot cannot see it
    assert bot.guild.get_thread(thread.id) is None
    with pytest.raises(discord.Forbidden) as hidden:
        await bot.fetch_channel(thread.id)
    assert hidden.value.code == 50001
    with pytest.raises(discord.Forbidden):
        await bot.http.send_message(thread.id, params=discord.http.handle_message_parameters(content="hi"))

    with pytest.raises(PermissionError):
        await standin.send_message(thread, standin.bob, "let me in")
    with pytest.raises(PermissionError):
        await standin.slash("where", user=standin.bob, channel=thread)
    await standin.send_message(thread, standin.admin, "moderating")  # Manage Threads sees every thread
    assert standin.admin.id in {m.id for m in standin.thread_members(thread)}  # posting joins

    await standin.add_thread_member(thread, standin.bot_member, by=standin.alice)
    joined = standin.events_sent("THREAD_CREATE")[-1]
    assert "newly_created" not in joined and joined["member"]["user_id"] == str(standin.bot_user_id)
    cached = await eventually(lambda: bot.guild.get_thread(thread.id))
    assert cached.type is discord.ChannelType.private_thread and cached.me is not None
    fetched = await bot.fetch_channel(thread.id)
    assert isinstance(fetched, discord.Thread) and fetched.owner_id == standin.alice.id
    standin.assert_clean()


# --- using threads -------------------------------------------------------------------------------


async def test_interactions_inside_a_thread(standin: StandIn, bot: ThreadBot) -> None:
    thread = await standin.create_thread(standin.general, "study", by=standin.alice, private=True)
    reply = await standin.slash("where", user=standin.alice, channel=thread)
    assert reply.text == f"in Thread {thread.id} send_in_threads=True"
    assert isinstance(bot.invoked_in[-1], discord.Thread)
    assert [m.id for m in standin.messages_in(thread)] == [reply.message_id]
    assert reply.message is not None and reply.message.channel_id == thread.id

    with pytest.raises(PermissionError):
        await standin.click(reply, "done", user=standin.bob)  # not in the private thread
    clicked = await standin.click(reply, "done", user=standin.alice)
    assert clicked.content == "done by alice in Thread"
    standin.assert_clean()


async def test_members_post_in_a_thread(standin: StandIn, bot: ThreadBot) -> None:
    thread = await standin.create_thread(standin.general, "Assignment 1 reviews", by=standin.owner)
    posted = await standin.send_message(thread, standin.bob, "my review")
    seen = await eventually(lambda: [m for m in bot.seen_messages if m.id == posted.id])
    assert isinstance(seen[0].channel, discord.Thread) and seen[0].content == "my review"
    assert [m.name for m in standin.thread_members(thread)] == ["owner", "bob"]
    cached = await eventually(lambda: bot.guild.get_thread(thread.id))
    await eventually(lambda: {m.id for m in cached.members} == {standin.owner.id, standin.bob.id})

    await standin.set_overwrite(standin.general, standin.everyone_role, deny=["send_messages_in_threads"])
    with pytest.raises(PermissionError):
        await standin.send_message(thread, standin.carol, "me too")
    await standin.send_message(standin.general, standin.carol, "the channel still works")


async def test_archive_lock_and_delete(standin: StandIn, bot: ThreadBot) -> None:
    general = bot.text_channel(standin.general.id)
    thread = await general.create_thread(name="week 1", type=discord.ChannelType.public_thread)
    post = await thread.send("notes")
    await eventually(lambda: bot.guild.get_thread(thread.id))

    archived = await thread.edit(archived=True)
    assert archived.archived and standin.thread(thread).archived
    assert standin.events_sent("THREAD_UPDATE")[-1]["thread_metadata"]["archived"] is True
    await eventually(lambda: bot.guild.get_thread(thread.id) is None)  # discord.py drops archived threads
    assert standin.threads(include_archived=False) == []
    with pytest.raises(discord.HTTPException) as edit:
        await post.edit(content="late edit")
    assert edit.value.code == 50083
    with pytest.raises(discord.HTTPException) as rename:
        await thread.edit(name="renamed while archived")
    assert rename.value.code == 50083

    await thread.send("back again")  # a message unarchives the thread
    assert not standin.thread(thread).archived
    await eventually(lambda: bot.guild.get_thread(thread.id))

    await standin.update_thread(thread, archived=True, locked=True)
    await standin.set_overwrite(standin.general, standin.bot_role, deny=["manage_threads"])
    with pytest.raises(discord.HTTPException) as locked:
        await thread.send("locked out")
    assert locked.value.code == 50083
    await standin.set_overwrite(standin.general, standin.bot_role)  # back to the role's permissions
    await thread.edit(archived=False, locked=False)

    await thread.delete()
    assert standin.threads() == []
    assert standin.events_sent("THREAD_DELETE")[-1]["id"] == str(thread.id)
    await eventually(lambda: bot.guild.get_thread(thread.id) is None)
    standin.validation_failures.clear()  # the deliberate 50083s
    standin.assert_clean()


# --- gateway --------------------------------------------------------------------------------------


async def test_guild_create_holds_the_active_threads(standin: StandIn, start_bot: BotFactory) -> None:
    public = await standin.create_thread(standin.general, "open", by=standin.alice)
    private = await standin.create_thread(standin.general, "closed", by=standin.bob, private=True)
    news_channel = await standin.add_channel("news", type="announcement")
    joined = await standin.create_thread(news_channel, "news", by=standin.owner)
    await standin.add_thread_member(joined, standin.bot_member)
    old = await standin.create_thread(standin.general, "old", by=standin.alice)
    await standin.update_thread(old, archived=True)

    bot = await start_bot()
    (guild_create,) = standin.events_sent("GUILD_CREATE")
    assert {t["name"] for t in guild_create["threads"]} == {"open", "closed", "news"}
    assert joined.type == 10  # announcement channels get announcement threads
    assert bot.guild.get_thread(public.id) is not None and bot.guild.get_thread(private.id) is not None
    assert bot.guild.get_thread(old.id) is None
    news = bot.guild.get_thread(joined.id)
    assert news is not None and news.me is not None and bot.guild.get_thread(public.id).me is None  # type: ignore[union-attr]


async def test_without_the_members_intent_only_the_bots_own_membership_arrives(
    standin: StandIn, start_bot: BotFactory
) -> None:
    standin.gateway.disallowed_intents = discord.Intents(members=True).value
    bot = await start_bot(members_intent=False)
    thread = await bot.text_channel(standin.general.id).create_thread(name="t", type=discord.ChannelType.public_thread)
    await thread.add_user(discord.Object(standin.alice.id))
    sent = standin.events_sent("THREAD_MEMBERS_UPDATE")
    assert [[m["user_id"] for m in e["added_members"]] for e in sent] == [[str(standin.bot_user_id)]]
    assert [f.t for f in standin.gateway.filtered] == ["THREAD_MEMBERS_UPDATE"]
    assert [m.name for m in standin.thread_members(thread)] == ["Cohort", "alice"]
    with pytest.raises(discord.Forbidden) as intent:
        await thread.fetch_members()  # needs the privileged intent enabled
    assert intent.value.code == 50001


async def test_joining_and_leaving(standin: StandIn, bot: ThreadBot) -> None:
    thread = await standin.create_thread(standin.general, "open", by=standin.alice)
    cached = await eventually(lambda: bot.guild.get_thread(thread.id))
    assert cached.me is None
    await cached.join()
    assert standin.events_sent("THREAD_MEMBER_UPDATE")[-1]["user_id"] == str(standin.bot_user_id)
    await eventually(lambda: cached.me is not None)
    assert [m.name for m in standin.thread_members(thread)] == ["alice", "Cohort"]
    await cached.leave()
    assert [m.name for m in standin.thread_members(thread)] == ["alice"]
    assert standin.events_sent("THREAD_MEMBERS_UPDATE")[-1]["removed_member_ids"] == [str(standin.bot_user_id)]

    await standin.remove_member(standin.alice)
    assert standin.thread_members(thread) == []
    active = await bot.guild.active_threads()
    assert [t.id for t in active] == [thread.id]
    assert isinstance(standin.thread(thread.id), FakeThread)
    standin.assert_clean()

"""A local Discord (REST + Gateway) that the real discord.py connects to, for end-to-end tests.

Start with ``StandIn`` (see README.md in this folder)::

    from tests.standin import StandIn
"""

from .core import StandIn
from .gateway import Frame
from .interactions import InteractionRejected, InteractionTimeout, ModalSpec, Reply, Upload
from .server import RecordedRequest, ValidationFailure
from .state import FakeChannel, FakeMember, FakeRole, FakeThread, FakeUser, SentMessage, StoredFile, permission_value

__all__ = [
    "FakeChannel",
    "FakeMember",
    "FakeRole",
    "FakeThread",
    "FakeUser",
    "Frame",
    "InteractionRejected",
    "InteractionTimeout",
    "ModalSpec",
    "RecordedRequest",
    "Reply",
    "SentMessage",
    "StandIn",
    "StoredFile",
    "Upload",
    "ValidationFailure",
    "permission_value",
]

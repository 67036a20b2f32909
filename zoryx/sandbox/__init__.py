"""The sandbox Discord: a local server speaking Discord's gateway and REST protocols."""

from .app_validation import ClientRefusal
from .connect import SandboxVersionError, check_discord_version, use_sandbox
from .driver import InteractionHandle, Sandbox, SandboxUser
from .server import SandboxServer
from .uploads import Upload
from .views import InteractionResult, SandboxMessage
from .world_scale import scale_guild_world
from .worlds import WORLDS, backup_world, demo_world, empty_world, scale_world

__all__ = [
    "WORLDS",
    "ClientRefusal",
    "InteractionHandle",
    "InteractionResult",
    "Sandbox",
    "SandboxMessage",
    "SandboxServer",
    "SandboxUser",
    "SandboxVersionError",
    "Upload",
    "backup_world",
    "check_discord_version",
    "demo_world",
    "empty_world",
    "scale_guild_world",
    "scale_world",
    "use_sandbox",
]

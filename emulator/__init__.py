"""A local emulator of the Tencent Cloud CVM API (2017-03-12), for image tags the Tag API (2018-08-13), and for launch
configurations the Auto Scaling API (2018-04-19)."""

from .config import EmulatorConfig
from .server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer"]

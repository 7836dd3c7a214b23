"""A local emulator of the Tencent Cloud CVM API (2017-03-12), for tests and the `local` stack."""

from emulator.models import EmulatorConfig
from emulator.server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer"]

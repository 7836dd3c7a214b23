"""CVM custom images as Pulumi resources: `cvm_images` when installed (pyproject.toml), `components` in this repo.

GoldenImage is loaded on first use: it needs the bridged tencentcloud package, which the provider process
(which imports this package to unpickle CvmImageProvider) has no use for.
"""

from typing import Any

from .families import latest_image
from .provider import CvmImageProvider
from .resource import CvmImage, CvmImageArgs
from .stack_config import BuilderArgs, GoldenImageArgs

__all__ = ["CvmImage", "CvmImageArgs", "CvmImageProvider", "GoldenImage", "GoldenImageArgs", "BuilderArgs", "latest_image"]


def __getattr__(name: str) -> Any:
    if name == "GoldenImage":
        from .golden_image import GoldenImage

        return GoldenImage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

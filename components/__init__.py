"""CVM custom images as Pulumi resources.

GoldenImage is loaded on first use: it needs the bridged tencentcloud package, which the provider process
(which imports this package to unpickle CvmImageProvider) has no use for.
"""

from typing import Any

from .provider import CvmImageProvider
from .resource import CvmImage, CvmImageArgs

__all__ = ["CvmImage", "CvmImageArgs", "CvmImageProvider", "GoldenImage", "GoldenImageArgs", "BuilderArgs"]


def __getattr__(name: str) -> Any:
    if name in ("GoldenImage", "GoldenImageArgs", "BuilderArgs"):
        from . import golden_image

        return getattr(golden_image, name)
    raise AttributeError(f"module 'components' has no attribute {name!r}")

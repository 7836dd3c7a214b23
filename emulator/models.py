"""The emulated services' state, by concern (moto's models.py, split):

- config.py: EmulatorConfig and its tunables, regions, the account
- timeline.py: clock-driven states and ids
- instances.py, images.py, imaging.py (CreateImage), tags.py: each resource's state and actions
- backend.py: CvmBackend, the regions behind one lock, persistence, denials, the control view

This module keeps the names other code imports from here.
"""

from .backend import CvmBackend, Region, seeded_regions
from .config import ACCOUNT_UIN, ERAS, REGIONS, TUNABLE_CONFIG, EmulatorConfig
from .images import IMAGE_ID, PUBLIC_IMAGES, Image
from .imaging import ImageRequest
from .instances import (
    DEFAULT_IMAGE_ID, DISK_TYPES, INSTANCE_ID, INSTANCE_STATES, SEED_REGION, SEED_ZONE, Instance, LaunchRequest,
)
from .filters import Filters

__all__ = [
    "ACCOUNT_UIN", "DEFAULT_IMAGE_ID", "DISK_TYPES", "ERAS", "Filters", "IMAGE_ID", "INSTANCE_ID", "INSTANCE_STATES",
    "PUBLIC_IMAGES", "REGIONS", "SEED_REGION", "SEED_ZONE", "TUNABLE_CONFIG", "CvmBackend", "EmulatorConfig",
    "Image", "ImageRequest", "Instance", "LaunchRequest", "Region", "seeded_regions",
]

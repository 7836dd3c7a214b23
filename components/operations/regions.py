"""The regions of one provider process: the home region and every region copies go to, each with its API and its
poller, and the regions the account has (DescribeRegions)."""

import threading
from dataclasses import dataclass

from ..cloud.client import CvmApi
from ..cloud.retry import Deadline
from ..waiting.poller import ImagePoller, Reporter
from .images import ImageService


@dataclass(frozen=True)
class Region:
    """One region's API, its poller (the one poller of that region) and image operations."""

    api: CvmApi
    images: ImageService


class Regions:
    """The home region and, made on first use, every region copies go to. Thread-safe; one per provider process."""

    def __init__(self, home: ImageService, api: CvmApi, report: Reporter) -> None:
        self.home = Region(api, home)
        self._report = report
        self._others: dict[str, Region] = {}
        self._lock = threading.Lock()
        self._asking = threading.Lock()
        self._available: list[str] | None = None
        self._asked = False

    def __getitem__(self, name: str) -> Region:
        if name == self.home.api.region:
            return self.home
        with self._lock:
            if name not in self._others:
                api = self.home.api.in_region(name)
                self._others[name] = Region(api, ImageService(api, ImagePoller(api, report=self._report)))
            return self._others[name]

    def available(self, deadline: Deadline) -> list[str] | None:
        """The account's regions (DescribeRegions), asked once per process; None when the API does not say."""
        with self._asking:
            if not self._asked:
                self._available, self._asked = self.home.api.available_regions(deadline), True
            return self._available

"""The stock provider host, for the baseline: CvmImageProvider served with the host's 4-worker cap in place.

The provider server imports this module when it first unpickles a StockCvmImageProvider (pickled by reference,
like CvmImageProvider). Importing it imports components.provider first, whose `host.adapt()` lifts the cap; the
last line of this module then sets the gRPC server's pool back to the stock `ThreadPoolExecutor(max_workers=4)`.
Check, diff, create and the poller are CvmImageProvider's own code: only the number of workers differs.
"""

import gc
from concurrent.futures import ThreadPoolExecutor

from components.provider import CvmImageProvider

STOCK_MAX_WORKERS = 4  # `futures.ThreadPoolExecutor(max_workers=4)` in pulumi/dynamic/__main__.py


class StockCvmImageProvider(CvmImageProvider):
    """CvmImageProvider as the stock host serves it: at most 4 operations at once."""


def restore_stock_cap() -> None:
    """Put every gRPC server pool of this process back to 4 workers (none outside the provider server)."""
    for obj in gc.get_objects():
        if type(obj).__module__ == "grpc._server" and type(obj).__name__ == "_Server":
            pool = obj._state.thread_pool
            if isinstance(pool, ThreadPoolExecutor):
                pool._max_workers = STOCK_MAX_WORKERS


restore_stock_cap()

"""`python -m emulator`: serve the CVM, Tag, Auto Scaling and STS APIs; the first stdout line is the URL, printed once
it accepts."""

import argparse
import signal
import threading

from .config import ERAS, EmulatorConfig
from .server import EmulatorServer


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument("--secret-id", default=defaults.secret_id)
    parser.add_argument("--secret-key", default=defaults.secret_key)
    parser.add_argument("--image-build-seconds", type=float, default=defaults.image_build_seconds)
    parser.add_argument("--image-copy-seconds", type=float, default=defaults.image_copy_seconds,
                        help="SyncImages: how long each copy takes (the source is SYNCING meanwhile)")
    parser.add_argument("--instance-transition-seconds", type=float, default=defaults.instance_transition_seconds)
    parser.add_argument("--image-quota", type=int, default=defaults.image_quota)
    parser.add_argument("--state", metavar="PATH", help="keep the state in this JSON file across restarts")
    parser.add_argument("--no-image-id", action="store_true", help="CreateImage answers only RequestId (the seed API)")
    parser.add_argument("--api-era", choices=ERAS, default=defaults.api_era,
                        help="today's CVM API (default) or the 2018 seed's CreateImage "
                        "(Reboot, soft shutdown, no lags)")
    parser.add_argument("--image-visibility-lag-seconds", type=float, default=defaults.image_visibility_lag_seconds,
                        help="a new image stays out of DescribeImages this long (today's era; 0 = at once)")
    parser.add_argument("--tag-binding-lag-seconds", type=float, default=defaults.tag_binding_lag_seconds,
                        help="CreateImage's TagSpecification tags are bound this long after it "
                        "(today's era; 0 = at once)")
    parser.add_argument("--sts-credential-seconds", type=float, default=defaults.sts_credential_seconds,
                        help="STS: temporary credentials expire after min(DurationSeconds, this)")
    parser.add_argument("--fault-seed", type=_seed, default=None, metavar="N",
                        help="seed of the fault rules' dice, to replay a run's faults (default: drawn, and shown "
                        "by GET /_emulator/faults)")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        image_build_seconds=args.image_build_seconds,
        image_copy_seconds=args.image_copy_seconds,
        instance_transition_seconds=args.instance_transition_seconds,
        image_quota=args.image_quota,
        create_image_returns_image_id=not args.no_image_id,
        api_era=args.api_era,
        image_visibility_lag_seconds=args.image_visibility_lag_seconds,
        tag_binding_lag_seconds=args.tag_binding_lag_seconds,
        sts_credential_seconds=args.sts_credential_seconds,
        secret_id=args.secret_id,
        secret_key=args.secret_key,
        state_path=args.state,
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with EmulatorServer(args.host, args.port, config_from(args), fault_seed=args.fault_seed) as server:
        print(server.url, flush=True)
        stopping.wait()


if __name__ == "__main__":
    main()

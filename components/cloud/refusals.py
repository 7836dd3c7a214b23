"""What the provider refuses or reports itself, with no API error behind it (a call not sent, a name another image
holds, something still launching from an image): the same message shape as the translator's in errors.py."""

from .errors import CvmImageError, ImageRef, failure, not_sent


def refused_running(instance_id: str, ref: ImageRef) -> CvmImageError:
    return not_sent(
        "CreateImage", ref,
        f"instance {instance_id} is RUNNING and reboot is false, so it may not be stopped for the image, and "
        "CreateImage would image it live. Set one of: reboot: true (the provider stops the instance with a soft "
        "shutdown, images it and starts it again; add force_poweroff: true to force a power-off when the soft shutdown "
        "fails), or live_image: true (image it while it runs: data not yet flushed to disk may be missing from the "
        "image), or stop the instance first. Then run `pulumi up` again."
    )


def stop_failed(instance_id: str, ref: ImageRef, state: str, forced: bool, said: str) -> CvmImageError:
    """A stop the provider sent has failed (the cloud shows it only in DescribeInstances): the task ends, no image made,
    as the seed has it for a failed soft shutdown without ForcePoweroff."""
    cloud = f" (the cloud says: {said.strip().rstrip('.')})" if said.strip() else ""
    if forced:
        what, fix = "stop of instance", "Check the instance in the console, or stop it yourself"
    else:
        what, fix = "soft shutdown of instance", (
            "Set force_poweroff: true to force a power-off when the soft shutdown fails, or find out why its operating "
            "system does not shut down (a service that blocks shutdown, no ACPI support)"
        )
    return not_sent(
        "CreateImage", ref,
        f"the {what} {instance_id} failed{cloud}, and it is {state} again "
        f"(StopInstances StopType {'SOFT_FIRST' if forced else 'SOFT'}, LatestOperationState FAILED). No image was "
        f"made. {fix}, then run `pulumi up` again."
    )


def unknown_regions(ref: ImageRef, unknown: list[str], available: list[str]) -> CvmImageError:
    return not_sent(
        "SyncImages", ref,
        f"copy_to_regions names {', '.join(unknown)}, which DescribeRegions "
        f"does not list for this account. Available regions: {', '.join(available)}. The image itself is kept; correct "
        "copy_to_regions, then run `pulumi up` again."
    )


def name_taken(ref: ImageRef, image_id: str, state: str | None, made_by: str, copy_region: str | None = None) -> CvmImageError:
    """The name belongs to an image this resource cannot prove it made (in a copy region: `copy_region`): say which and
    who made it, never take it."""
    held = f"image {image_id} ({state}) already has this name, {made_by}, so this resource neither takes it over nor deletes it"
    if copy_region:
        return failure(
            "SyncImages", ref, "InvalidImageName.Duplicate",
            f"{held}. Choose another image_name, or remove {copy_region} from copy_to_regions, or delete or rename that "
            "image yourself",
        )
    return failure(
        "CreateImage", ref, "InvalidImageName.Duplicate",
        f"{held}. Choose another image_name; or take the image over with adopt_image: {image_id} (the stack then "
        "owns it, and `pulumi destroy` deletes it); or delete or rename it yourself",
    )


_DETACH = (
    "Detach them first: terminate those instances or launch them from another image, and point those launch template "
    "versions and launch configurations at another image (or delete them)"
)


def destroy_in_use(ref: ImageRef, in_use: list[str], total: int) -> CvmImageError:
    """Deleting the resource's images would break what launches from them: which images, by what, and the ways out."""
    return not_sent(
        "DeleteImages", ref,
        f"something still launches from {len(in_use)} of its {total} "
        f"image(s) (the current one, its retained versions and their copies), so none of them was deleted. In use: "
        f"{'; '.join(in_use)}. {_DETACH}, then run `pulumi destroy` again. To keep the images instead, give the "
        "resource the option retain_on_delete=True and run `pulumi up` before `pulumi destroy` (every version stays "
        "in place); to delete them anyway, set delete_in_use: true."
    )


def copy_in_use(ref: ImageRef, in_use: list[str]) -> CvmImageError:
    """A copy of a region removed from copy_to_regions still has something launching from it."""
    return not_sent(
        "DeleteImages", ref,
        f"something still launches from its copy in a region removed "
        f"from copy_to_regions, so no copy was deleted and the stack keeps the region. In use: {'; '.join(in_use)}. "
        f"{_DETACH}, then run `pulumi up` again; or keep the region in copy_to_regions; or set delete_in_use: true "
        "to delete the copy anyway."
    )

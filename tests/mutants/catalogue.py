"""The planted bugs: each replaces one exact text in one file, and names the test files or node ids that must all fail
with it in place. ISSUE_22 holds the survivors issue 22 lists, mapped onto today's code (a gap that lives in two
places of the code has a mutant for each); ISSUE_19 the promises of versions (nothing in use is deleted, the count is
kept); the others guard the translations, limits, builder states, oracles and timing fixes of issue 22, and a few
neighbours. A mutant whose text is gone is reported not-applicable: update it (or drop it, if the behaviour went away)
in the change that moved the code."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str  # what the planted bug does, in a few words
    path: str  # relative to the repository
    find: str  # exact text, present once
    replace: str
    tests: tuple[str, ...]  # every one of these must fail


C = "tests/components/"
NAME_HOLDERS = C + "test_name_holders.py::"
IN_PLACE = C + "test_in_place_updates.py::"
LIMITS = C + "test_limits.py::"
CODES = C + "test_error_codes.py::"
READINESS = C + "test_readiness.py::"
SHARED_HOLD = C + "test_shared_builder_hold.py::test_the_first_create_done_leaves_the_builder_stopped_for_the_second"
CREATION_ONLY = (
    C + "test_diff.py::test_creation_only_settings_are_no_change",
    "tests/cli/test_cli_diff.py::test_creation_only_flags_change_nothing",
)


def _translation(code: str, test: str) -> Mutant:
    """The translator loses its fix for `code`: the API's own words (or a neighbour's fix) are shown instead."""
    return Mutant(
        f"no-fix-for-{code}", f"{code} is shown without its fix", "components/cloud/errors.py",
        f'"{code}":', f'"{code}-no-longer":', (CODES + test,),
    )


ISSUE_22 = [
    Mutant(
        "reboot-false-stops-if-forced", "reboot: false with force_poweroff: true stops a RUNNING builder HARD",
        "components/operations/power.py", "if inputs.reboot is False:", "if inputs.reboot is False and not inputs.force_poweroff:",
        (C + "test_running_builder.py::test_reboot_false_refuses_a_running_builder_even_with_force_poweroff",),
    ),
    Mutant(
        "retag-only-new-keys", "a tag whose value alone changes is not set again",
        "components/operations/images.py", "if old.get(key) != value}", "if key not in old}",
        (IN_PLACE + "test_a_tag_whose_value_alone_changes_is_set_through_the_tag_api",),
    ),
    Mutant(
        "update-retags-only-on-new-keys", "update calls retag only when the set of keys differs",
        "components/operations/lifecycle.py", "if old_tags != new_tags:", "if set(old_tags) != set(new_tags):",
        (IN_PLACE + "test_a_tag_whose_value_alone_changes_is_set_through_the_tag_api",),
    ),
    Mutant(
        "any-instance-is-this-resources", "an image of this resource made from another instance is taken over",
        "components/operations/ownership.py",
        "return Maker.THIS_RESOURCE if bound_tags(image).get(MARKER_TAG_KEY) == instance_id else Maker.THIS_RESOURCE_ELSEWHERE",
        "return Maker.THIS_RESOURCE",
        (NAME_HOLDERS + "test_an_image_of_this_resource_from_another_instance_is_replaced_not_taken_over",
         NAME_HOLDERS + "test_a_building_image_of_this_resource_from_another_instance_is_refused_naming_that_instance"),
    ),
    Mutant(
        "no-owner-tag-grace", "an image found without marks is judged at once, though its tags may still bind",
        "components/operations/images.py",
        "unmarked = owner_tag(images[0]) is None and tags_may_be_pending(images[0])", "unmarked = False",
        (NAME_HOLDERS + "test_after_a_lost_create_answer_the_image_is_recognised_once_its_tags_bind",),
    ),
    Mutant(
        "owner-tag-grace-too-short", "the owner-tag grace ends before late tags bind",
        "components/operations/facts.py", "TAG_GRACE_SECONDS = 6.0", "TAG_GRACE_SECONDS = 1.0",
        (NAME_HOLDERS + "test_after_a_lost_create_answer_the_image_is_recognised_once_its_tags_bind",),
    ),
    Mutant(
        "copy-of-ignored", "a same-name image in a copy region that copies another source is taken as the copy",
        "components/operations/copies.py",
        'return marker_of(candidate) == instance_id and tags.get(COPY_OF_TAG_KEY) == image["ImageId"]',
        "return marker_of(candidate) == instance_id",
        (NAME_HOLDERS + "test_an_image_in_a_copy_region_that_copies_another_image_is_not_taken_as_the_copy",),
    ),
    Mutant(
        "rename-while-still-shared", "removing every share and renaming in one update renames the image still shared",
        "components/operations/distribution.py", "if old_accounts or accounts else nullcontext()", "if accounts else nullcontext()",
        (IN_PLACE + "test_removing_every_share_and_renaming_in_one_update",),
    ),
    Mutant(
        "starting-not-retried", "UnsupportedOperation.InstanceStateStarting is no longer retried",
        "components/cloud/retry.py", '"Starting", "Stopping",', '"Stopping",',
        (C + "test_retry_policy.py::test_an_instance_busy_or_in_transition_is_waited_out[STARTING-"
         "UnsupportedOperation.InstanceStateStarting]",),
    ),
    Mutant(
        "live-image-replaces", "a change of live_image replaces the image",
        "components/model/inputs.py", "live_image: Annotated[FlexibleBool | None, Effect.CREATION]",
        "live_image: Annotated[FlexibleBool | None, Effect.REPLACE]", CREATION_ONLY,
    ),
    Mutant(
        "wait-for-poweroff-replaces", "a change of wait_for_poweroff replaces the image",
        "components/model/inputs.py", "wait_for_poweroff: Annotated[FlexibleBool | None, Effect.CREATION]",
        "wait_for_poweroff: Annotated[FlexibleBool | None, Effect.REPLACE]", CREATION_ONLY,
    ),
    Mutant(
        "second-create-does-not-join", "a second create from a builder another create holds stopped starts it, stops it again",
        "components/operations/power.py",
        "if not hold.stopped and self._join(instance_id):", "if hold.stopped and self._join(instance_id):",
        (C + "test_builder_power.py::test_two_creates_from_one_running_builder_stop_it_once_and_start_it_once", SHARED_HOLD),
    ),
    Mutant(
        "first-finisher-starts-builder", "of two creates from one builder, the first done starts it while the second holds it",
        "components/operations/power.py", "return not self._holds.get(instance_id)", "return True", (SHARED_HOLD,),
    ),
    Mutant(
        "missing-builder-waited-for", "wait_for_poweroff waits out the deadline for a builder that does not exist",
        "components/waiting/readiness.py",
        "return instance is None or instance.get", "return instance is not None and instance.get",
        (READINESS + "test_a_missing_builder_fails_at_once",),
    ),
    Mutant(
        "shutdown-builder-waited-for", "wait_for_poweroff waits out the deadline for a SHUTDOWN builder",
        "components/waiting/readiness.py", 'DEAD_STATES = ("LAUNCH_FAILED", "SHUTDOWN", "TERMINATING")',
        'DEAD_STATES = ("LAUNCH_FAILED", "TERMINATING")',
        (READINESS + "test_a_builder_that_can_never_power_off_fails_at_once[SHUTDOWN]",),
    ),
    Mutant(
        "terminating-builder-waited-for", "wait_for_poweroff waits out the deadline for a TERMINATING builder",
        "components/waiting/readiness.py", 'DEAD_STATES = ("LAUNCH_FAILED", "SHUTDOWN", "TERMINATING")',
        'DEAD_STATES = ("LAUNCH_FAILED", "SHUTDOWN")',
        (READINESS + "test_a_builder_that_can_never_power_off_fails_at_once[TERMINATING]",),
    ),
    Mutant(
        "claim-sets-only-the-claim", "tags not bound yet after CreateImage are left to bind late (only the claim is set)",
        "components/operations/images.py", "missing = {key: value for key, value in wanted.items() if bound.get(key) != value}",
        "missing = {CLAIM_TAG_KEY: claim}",
        (C + "test_today_api.py::test_three_second_lags_break_neither_create_nor_refresh",
         C + "test_today_api.py::test_tags_not_bound_yet_after_create_are_set_again_through_the_tag_api"),
    ),
]

V = "tests/engine/test_versions.py::"
USAGE = C + "test_usage.py::"
RETENTION = "components/operations/retention.py"

ISSUE_19 = [
    Mutant(
        "destroy-ignores-usage", "destroy deletes an image something still launches from",
        RETENTION, 'if not record.get("delete_in_use"):', "if False:",
        (V + "test_destroy_refuses_while_something_launches_from_an_image_then_finishes_once_it_is_gone",),
    ),
    Mutant(
        "pruning-ignores-usage", "a version beyond keep_previous is deleted although an instance launches from it",
        RETENTION, "if image_id in used:", "if False:",
        (V + "test_an_instance_keeps_its_version_past_pruning_and_the_up_after_it_is_gone_deletes_it",),
    ),
    Mutant(
        "replacement-deletes-in-use", "without keep_previous, a replacement deletes the old image while it is in use",
        RETENTION, "if policy.keep == 0 and not used:", "if policy.keep == 0:",
        (V + "test_without_keep_previous_an_image_in_use_is_retired_instead_of_deleted",),
    ),
    Mutant(
        "keeps-one-too-many", "pruning keeps keep_previous + 1 versions", RETENTION, "ordered[keep:]}", "ordered[keep + 1:]}",
        (V + "test_three_replacements_keep_one_previous_version",),
    ),
    Mutant(
        "replaced-image-always-deleted", "a replacement deletes the old image although keep_previous keeps it",
        RETENTION, "used = {} if policy.keep > 0 or policy.delete_in_use else", "policy = Policy(0, True)\n        used = {} if policy.keep > 0 or policy.delete_in_use else",
        (V + "test_three_replacements_keep_one_previous_version",
         V + "test_a_rollback_makes_a_retained_version_current_in_one_up_without_a_build"),
    ),
    Mutant(
        "terminating-instance-counts", "an instance being terminated still counts as launching from the image",
        "components/operations/usage.py", 'NOT_USING_STATES = ("TERMINATING", "LAUNCH_FAILED")', 'NOT_USING_STATES = ("LAUNCH_FAILED",)',
        (USAGE + "test_an_instance_on_its_way_out_or_never_launched_does_not_count[TERMINATING]",),
    ),
    Mutant(
        "copies-not-looked-up", "the copies of an image are not looked up before they are deleted",
        RETENTION, 'return [Located(home, str(record["image_id"]), by_family), *copies]',
        'return [Located(home, str(record["image_id"]), by_family)]',
        (V + "test_destroy_refuses_while_something_launches_from_an_image_then_finishes_once_it_is_gone[copy region]",),
    ),
    Mutant(
        "family-users-ignored", "a launch configuration that launches by the image's family does not count",
        "components/operations/usage.py", 'holder.configurations.append(f"{config_id} (by its image family {family})")',
        "pass",
        (USAGE + "test_launch_template_versions_and_launch_configurations_by_id_and_by_family",),
    ),
]

TRANSLATIONS = [
    _translation("InvalidRegion.NotFound", "test_a_region_that_does_not_exist"),
    _translation("InvalidAccountId.NotFound", "test_an_account_that_does_not_exist"),
    _translation("FailedOperation.AccountIsYourSelf", "test_sharing_with_the_stacks_own_account"),
    _translation("OverQuota", "test_sharing_with_more_than_500_accounts"),
    _translation("InvalidParameterValue.InvalidImageFamily", "test_a_family_the_api_refuses"),
    _translation("UnsupportedOperation.EncryptedImagesNotSupported", "test_sharing_an_encrypted_image"),
    _translation("AuthFailure.SignatureExpire", "test_a_clock_more_than_five_minutes_off"),
    _translation("UnauthorizedOperation.ImageNotBelongToAccount", "test_changing_a_public_image"),
]

LIMITS_AND_STATES = [
    Mutant(
        "account-id-leading-zero", "an account id with a leading zero is accepted", "components/model/inputs.py",
        'ACCOUNT_ID = re.compile(r"^[1-9][0-9]{4,19}$")', 'ACCOUNT_ID = re.compile(r"^[0-9][0-9]{4,19}$")',
        (LIMITS + "test_account_ids_are_5_to_20_digits_without_a_leading_zero",),
    ),
    Mutant(
        "account-id-21-digits", "an account id of 21 digits is accepted", "components/model/inputs.py",
        'ACCOUNT_ID = re.compile(r"^[1-9][0-9]{4,19}$")', 'ACCOUNT_ID = re.compile(r"^[1-9][0-9]{4,20}$")',
        (LIMITS + "test_account_ids_are_5_to_20_digits_without_a_leading_zero",),
    ),
    Mutant(
        "account-id-4-digits", "an account id of 4 digits is accepted", "components/model/inputs.py",
        'ACCOUNT_ID = re.compile(r"^[1-9][0-9]{4,19}$")', 'ACCOUNT_ID = re.compile(r"^[1-9][0-9]{3,19}$")',
        (LIMITS + "test_account_ids_are_5_to_20_digits_without_a_leading_zero",),
    ),
    Mutant(
        "family-of-60-refused", "a family of 60 characters is refused", "components/model/inputs.py",
        "if not 1 <= len(value) <= IMAGE_FAMILY_MAX:", "if not 1 <= len(value) < IMAGE_FAMILY_MAX:",
        (LIMITS + "test_a_family_is_at_most_60_characters",),
    ),
    Mutant(
        "family-of-61-accepted", "a family of 61 characters is accepted", "components/model/inputs.py",
        "IMAGE_FAMILY_MAX = 60", "IMAGE_FAMILY_MAX = 61", (LIMITS + "test_a_family_is_at_most_60_characters",),
    ),
    Mutant(
        "500-accounts-refused", "sharing with 500 accounts, the API's limit, is refused", "components/model/inputs.py",
        "if len(value) > SHARE_ACCOUNTS_MAX:", "if len(value) >= SHARE_ACCOUNTS_MAX:",
        (LIMITS + "test_at_most_500_accounts", LIMITS + "test_an_image_is_shared_with_500_accounts"),
    ),
    Mutant(
        "501-accounts-accepted", "sharing with 501 accounts passes check and fails at the API", "components/model/inputs.py",
        "SHARE_ACCOUNTS_MAX = 500", "SHARE_ACCOUNTS_MAX = 501", (LIMITS + "test_at_most_500_accounts",),
    ),
    Mutant(
        "launch-failed-builder-waited-for", "wait_for_poweroff waits out the deadline for a builder that failed to launch",
        "components/waiting/readiness.py", 'DEAD_STATES = ("LAUNCH_FAILED", "SHUTDOWN", "TERMINATING")',
        'DEAD_STATES = ("SHUTDOWN", "TERMINATING")', (READINESS + "test_a_builder_that_failed_to_launch_fails_at_once",),
    ),
    Mutant(
        "building-elsewhere-taken-over", "a building image of this resource from another instance is waited for and taken over",
        "components/operations/images.py", "maker is not Maker.THIS_RESOURCE:",
        "maker not in (Maker.THIS_RESOURCE, Maker.THIS_RESOURCE_ELSEWHERE):",
        (NAME_HOLDERS + "test_a_building_image_of_this_resource_from_another_instance_is_refused_naming_that_instance",),
    ),
    Mutant(
        "builder-started-under-another-hold", "the builder is started although another resource still holds it stopped",
        "components/operations/power.py", "start = last and (hold.stopped or mine) and not running and not records - {record_key(me)}",
        "start = last and (hold.stopped or mine) and not running",
        (C + "test_builder_power.py::test_a_builder_another_resource_also_holds_stopped_is_left_for_it_to_start",),
    ),
    Mutant(
        "data-disks-update-in-place", "a change of data_disk_ids updates in place instead of replacing",
        "components/model/inputs.py", "data_disk_ids: Annotated[list[str] | None, Effect.REPLACE]",
        "data_disk_ids: Annotated[list[str] | None, Effect.UPDATE]",
        (C + "test_diff.py", C + "test_field_table.py",
         C + "test_properties.py::test_diff_never_raises_and_follows_the_diff_table"),
    ),
]

TIMING = [
    Mutant(
        "poller-asks-first-page-only", "a poll of more than 100 images asks only for the first 100",
        "components/waiting/poller.py", "ids = sorted({w.resource_id for w in waiters})",
        "ids = sorted({w.resource_id for w in waiters})[:100]",
        (C + "test_paging.py::test_more_than_100_images_baking_at_once_are_all_polled",),
    ),
    Mutant(
        "backoff-sleep-not-cancellable", "a backoff sleep runs to its end after a Cancel",
        "components/cloud/cancel.py",
        "self.wait(threading.Event(), seconds)", "threading.Event().wait(seconds)\n        self.check()",
        (C + "test_cancel.py::test_a_retried_call_in_backoff_stops_sleeping_at_the_cancel",
         C + "test_cancel.py::test_a_backoff_sleep_ends_as_soon_as_the_update_is_cancelled"),
    ),
    Mutant(
        "backoff-without-jitter", "every client backs off in lockstep (exponential, no jitter)",
        "components/cloud/retry.py", "wait=wait_random_exponential(multiplier=0.25, max=max_wait),",
        "wait=lambda state: min(max_wait, 0.25 * 2 ** (state.attempt_number - 1)),",
        (C + "test_retry_policy.py::test_the_backoff_is_jittered_two_runs_wait_differently",),
    ),
    Mutant(
        "backoff-hundredfold-shorter", "the backoff starts at 2.5 ms instead of 250 ms",
        "components/cloud/retry.py", "multiplier=0.25,", "multiplier=0.0025,",
        (C + "test_retry_policy.py::test_permanent_throttling_is_backed_off_and_stops_at_the_deadline",
         C + "test_retry_policy.py::test_the_backoff_is_jittered_two_runs_wait_differently"),
    ),
]

MUTANTS: list[Mutant] = ISSUE_22 + ISSUE_19 + TRANSLATIONS + LIMITS_AND_STATES + TIMING

"""The emulator's settings (start flags, and the tunables the control API may change at run time) and fixed facts."""

from dataclasses import dataclass, replace
from typing import Any

# The regions and their names as CVM's DescribeRegions answers them: the 20 a real account's DescribeRegions listed
# (Cloud Custodian's recording, 2022-09, in its order), then the two finance regions the API's own example adds.
REGION_NAMES = {
    "ap-guangzhou": "华南地区(广州)", "ap-shanghai": "华东地区(上海)", "ap-nanjing": "华东地区(南京)",
    "ap-beijing": "华北地区(北京)", "ap-chengdu": "西南地区(成都)", "ap-chongqing": "西南地区(重庆)",
    "ap-hongkong": "港澳台地区(中国香港)", "ap-taipei": "港澳台地区(中国台北)", "ap-seoul": "亚太东北(首尔)",
    "ap-tokyo": "亚太东北(东京)", "ap-singapore": "亚太东南(新加坡)", "ap-bangkok": "亚太东南(曼谷)",
    "ap-jakarta": "亚太东南(雅加达)", "na-siliconvalley": "美国西部(硅谷)", "eu-frankfurt": "欧洲地区(法兰克福)",
    "eu-moscow": "欧洲地区(莫斯科)", "ap-mumbai": "亚太南部(孟买)", "na-ashburn": "美国东部(弗吉尼亚)",
    "sa-saopaulo": "南美地区(圣保罗)", "na-toronto": "北美地区(多伦多)",
    "ap-shanghai-fsi": "华东地区(上海金融)", "ap-shenzhen-fsi": "华南地区(深圳金融)",
}
REGIONS = tuple(REGION_NAMES)
ACCOUNT_UIN = "100000000001"  # the emulator's account: owner of every private image
SECOND_ACCOUNT_UIN = "200000000001"  # another account with a key of its own (sts.py), to test account guards
ERAS = ("today", "2018")  # which CVM API the emulator serves; see README "API eras"
TUNABLE_CONFIG = (
    "image_build_seconds", "instance_transition_seconds", "image_quota", "create_image_returns_image_id",
    "api_era", "image_visibility_lag_seconds", "tag_binding_lag_seconds", "image_copy_seconds",
    "sts_credential_seconds",
)


@dataclass
class EmulatorConfig:
    image_build_seconds: float = 3.0
    instance_transition_seconds: float = 1.0
    image_copy_seconds: float = 3.0  # SyncImages: each copy CREATING -> NORMAL, the source SYNCING -> NORMAL
    image_quota: int = 500
    create_image_returns_image_id: bool = True
    api_era: str = "today"
    # Eventual consistency of today's API (ignored in the 2018 era): a new image stays out of DescribeImages,
    # and the tags from CreateImage's TagSpecification stay unbound, for this long after CreateImage.
    image_visibility_lag_seconds: float = 1.0
    tag_binding_lag_seconds: float = 1.0
    secret_id: str = "AKIDEMULATOR00000000"
    secret_key: str = "emulator-secret-key"
    second_secret_id: str = "AKIDEMULATOR00000002"  # SECOND_ACCOUNT_UIN's key
    second_secret_key: str = "emulator-second-account-key"
    # STS: temporary credentials live min(DurationSeconds, this); the CVM role's min(7200, this).
    sts_credential_seconds: float = 43200.0
    cvm_role_name: str = "emulator-cvm-role"  # the role bound to the emulated CVM instance (metadata server)
    state_path: str | None = None

    def __post_init__(self) -> None:
        _check_tunable("api_era", self.api_era)

    @property
    def today(self) -> bool:
        return self.api_era == "today"

    @property
    def visibility_lag(self) -> float:
        return self.image_visibility_lag_seconds if self.today else 0.0

    @property
    def tag_lag(self) -> float:
        return self.tag_binding_lag_seconds if self.today else 0.0

    def tunables(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in TUNABLE_CONFIG}

    def with_changes(self, changes: Any) -> "EmulatorConfig":
        """A copy with the tunable settings in `changes`; ValueError says what is wrong."""
        if not isinstance(changes, dict) or set(changes) - set(TUNABLE_CONFIG):
            raise ValueError(f"config takes an object with keys among {list(TUNABLE_CONFIG)}")
        for name, value in changes.items():
            _check_tunable(name, value)
        return replace(self, **changes)


def _check_tunable(name: str, value: Any) -> None:
    if name == "api_era":
        if value not in ERAS:
            raise ValueError(f"`{name}` must be one of {list(ERAS)}")
    elif name == "create_image_returns_image_id":
        if not isinstance(value, bool):
            raise ValueError(f"`{name}` must be a boolean")
    elif name == "image_quota":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative integer")
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"`{name}` must be a non-negative number")

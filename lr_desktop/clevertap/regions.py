"""CleverTap regions (as Linkrunner's form labels them) and their API hosts."""

from __future__ import annotations

REGION_HOSTS: dict[str, str] = {
    "EU": "api.clevertap.com",  # CleverTap's default; eu1.api.clevertap.com also answers
    "IN": "in1.api.clevertap.com",
    "US": "us1.api.clevertap.com",
    "SG": "sg1.api.clevertap.com",
    "SK": "sk1.api.clevertap.com",
    "ID": "aps3.api.clevertap.com",
    "UAE": "mec1.api.clevertap.com",
}
REGIONS: tuple[str, ...] = tuple(REGION_HOSTS)


def host_for(region: str) -> str:
    try:
        return REGION_HOSTS[region.strip().upper()]
    except KeyError:
        raise ValueError(
            f"Unknown CleverTap region {region!r}; choose one of {', '.join(REGIONS)}"
        ) from None


def base_url(region: str) -> str:
    return f"https://{host_for(region)}"

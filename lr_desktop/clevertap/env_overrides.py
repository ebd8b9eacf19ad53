"""Which LR_CLEVERTAP_* variables are in force (`config.apply_env` honours them), so the
window can say that a sync uses them instead of what its form shows. Secrets are named,
never shown."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from lr_desktop.clevertap.config import ENV_PREFIX

# the form field each variable overrides, in the form's order; True: a secret
FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("PROJECT_ID", "project_id", False),
    ("PROJECT_TOKEN", "project_token", True),
    ("PASSCODE", "passcode", True),
    ("REGION", "region", False),
    ("MODE", "mode", False),
    ("PARTNER", "partner_name", False),
    ("ENDPOINT", "endpoint", False),
)


@dataclass(frozen=True)
class Override:
    variable: str  # e.g. LR_CLEVERTAP_PASSCODE
    field: str  # the CleverTapConfig attribute (or secret) it replaces
    shown: str  # what the form may show: the value, or "(secret)"


def overrides_in_force(environ: Mapping[str, str] | None = None) -> list[Override]:
    env = os.environ if environ is None else environ
    out = []
    for suffix, field, secret in FIELDS:
        value = (env.get(ENV_PREFIX + suffix) or "").strip()
        if value:
            out.append(Override(ENV_PREFIX + suffix, field, "(secret)" if secret else value))
    return out

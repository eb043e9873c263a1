"""Configuration, read from the environment (``WAYFINDING_*``) with defaults.

- ``WAYFINDING_DATABASE_URL`` (default ``sqlite:///wayfinding.db``): SQLAlchemy
  URL of the store (floor plan versions, closures, audit log);
- ``WAYFINDING_VENUE`` (default: the demo hospital): IMDF archive put in
  service by ``wayfinding demo`` when the store has no published version;
- ``WAYFINDING_ACTOR`` (default: the login name): who is recorded in the
  audit log for command-line actions.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from floorplans.data import DEMO_PATH


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WAYFINDING_", extra="ignore")

    database_url: str = "sqlite:///wayfinding.db"
    venue: Path = DEMO_PATH
    actor: str = Field(default_factory=_login)


def get_settings() -> Settings:
    return Settings()

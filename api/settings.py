"""Configuration, read from the environment (``WAYFINDING_*``) with defaults.

All settings, in one place:

- ``WAYFINDING_DATABASE_URL`` (default ``sqlite:///wayfinding.db``): SQLAlchemy
  URL of the store (floor plan versions, closures, audit log);
- ``WAYFINDING_VENUE`` (default: the demo hospital): IMDF archive served while
  the store has no published version, and put in service by ``wayfinding demo``;
- ``WAYFINDING_ACTOR`` (default: the login name): who is recorded in the
  audit log for command-line actions;
- ``WAYFINDING_HOST`` / ``WAYFINDING_PORT`` (``127.0.0.1`` / ``8000``): where
  ``wayfinding serve`` listens;
- ``WAYFINDING_PUBLIC_URL`` (default ``http://HOST:PORT``): the address phones
  reach the service at, written into QR codes (set it behind a proxy);
- ``WAYFINDING_LANGUAGES`` (default ``fr,en``): languages offered on the pages,
  the first is the default when the browser asks for none of them;
- ``WAYFINDING_REFRESH_S`` (default ``2``): how often a running server looks
  for a newly published plan or a closure;
- ``WAYFINDING_SPEECH_CACHE`` (default: a folder in the temp dir): WAV cache.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from pydantic import Field, field_validator
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
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str | None = None
    languages: str = "fr,en"
    refresh_s: float = Field(default=2.0, gt=0)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError(f"WAYFINDING_PUBLIC_URL must start with http:// or https://, not {v!r}")
        return v.rstrip("/") if v else v

    @property
    def language_list(self) -> list[str]:
        return [x.strip().lower() for x in self.languages.split(",") if x.strip()]

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def get_settings() -> Settings:
    return Settings()

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
- ``WAYFINDING_LANGUAGES`` (default ``fr,en,es``): languages offered on the pages,
  the first is the default when the browser asks for none of them;
- ``WAYFINDING_STAIRS_PENALTY_S`` (default ``60``): seconds of walking a default route
  must save before it takes stairs rather than a lift (0: the quickest way);
- ``WAYFINDING_REFRESH_S`` (default ``2``): how often a running server looks
  for a newly published plan or a closure;
- ``WAYFINDING_SPEECH_CACHE`` (default: a folder in the temp dir): WAV cache;
- ``WAYFINDING_MQTT_URL`` (default: none): the broker whose patient statuses
  the companion pages, the board and the care desk show live
  (``mqtt://HOST:PORT``); without it they refresh from the database;
- ``WAYFINDING_SITE`` (default ``demo``): the site name in the MQTT topics;
- ``WAYFINDING_SECRET_KEY`` (default: made once and kept in the database, so
  that replicas share it): signs the staff session cookies;
- ``WAYFINDING_TIMEZONE`` (default ``Europe/Paris``): the hospital's clock, for
  the times shown to companions and staff;
- ``WAYFINDING_COMPANION_HOURS`` (default ``24``): how long a companion link works
  (discharge ends it earlier);
- ``WAYFINDING_COMPANION_RATE`` / ``WAYFINDING_ADDRESS_RATE`` (default
  ``60/minute`` / ``1200/minute``): requests allowed per companion link and per
  client address on the companion pages (a hospital's guest Wi-Fi puts many
  companions behind one address);
- ``WAYFINDING_KIOSK_DIR`` (default ``~/.local/state/wayfinding-kiosk``): where a
  kiosk keeps its copy of the last published plan, to guide from when the
  store cannot be reached;
- ``WAYFINDING_KIOSK_ID`` (default: the venue's first kiosk): which kiosk
  feature this machine is (id or name);
- ``WAYFINDING_LOGIN_RATE`` / ``WAYFINDING_LOGIN_ADDRESS_RATE`` (default
  ``10/minute`` / ``100/minute``): wrong passwords allowed per account name from one
  client address, and per client address (a hospital's staff often share one),
  before logins from there are refused for a while; an account takes five times the
  first from all addresses together. Counted in the database, for every replica
  (``core/attempts.py``).
- ``WAYFINDING_TRUSTED_PROXIES`` (default: none): the addresses of the reverse proxies or
  load balancers in front of ``wayfinding serve`` (comma-separated IPs or networks, ``*``
  for any), whose ``X-Forwarded-For`` names the client; without it the header is ignored
  and the connecting address is the client's.
- ``WAYFINDING_KIOSK_ASK_ARRIVAL`` (default ``false``): this kiosk stands where visitors
  arrive (a service's waiting room): its welcome screen asks whether they found their
  way easily (yes / no, counted with the usage);
- ``WAYFINDING_UPLOAD_MAX_MB`` (default ``50``) and ``WAYFINDING_UPLOAD_MAX_POINTS``
  (default ``500000``): the largest plan archive the facilities pages accept, in
  megabytes as uploaded (it may unpack to four times that) and in coordinates;
- ``WAYFINDING_USAGE_DAYS`` (default ``400``): how long the daily usage counts
  (routes, searches, arrival answers: ``core/usage.py``) are kept; nothing in them
  identifies a person.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from floorplans.data import DEMO_PATH
from floorplans.upload import UploadLimits
from routing.profiles import DEFAULT_STAIRS_PENALTY_S


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
    languages: str = "fr,en,es"
    refresh_s: float = Field(default=2.0, gt=0)
    mqtt_url: str | None = None
    site: str = Field(default="demo", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    secret_key: str | None = Field(default=None, min_length=32)
    timezone: str = "Europe/Paris"
    stairs_penalty_s: float = Field(default=DEFAULT_STAIRS_PENALTY_S, ge=0, le=3600)
    companion_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    companion_rate: str = "60/minute"
    address_rate: str = "1200/minute"
    login_rate: str = "10/minute"
    login_address_rate: str = "100/minute"
    trusted_proxies: str = ""
    kiosk_dir: Path = Field(default_factory=lambda: Path.home() / ".local" / "state" / "wayfinding-kiosk")
    kiosk_id: str | None = None
    kiosk_ask_arrival: bool = False
    upload_max_mb: float = Field(default=50.0, gt=0, le=2048)
    upload_max_points: int = Field(default=500_000, ge=1000)
    usage_days: int = Field(default=400, ge=1, le=3650)

    @field_validator("mqtt_url")
    @classmethod
    def _broker(cls, v: str | None) -> str | None:
        if v:
            from tracker.mqtt import BrokerAddress

            BrokerAddress.parse(v)  # ValueError says what to write
        return v or None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}: write one like Europe/Paris") from None
        return v

    @field_validator("companion_rate", "address_rate", "login_rate", "login_address_rate")
    @classmethod
    def _rate(cls, v: str) -> str:
        from limits import parse

        try:
            parse(v)
        except ValueError:
            raise ValueError(f"rate {v!r}: write it like 60/minute or 5/second") from None
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError(f"WAYFINDING_PUBLIC_URL must start with http:// or https://, not {v!r}")
        return v.rstrip("/") if v else v

    @property
    def language_list(self) -> list[str]:
        return [x.strip().lower() for x in self.languages.split(",") if x.strip()]

    def upload_limits(self) -> UploadLimits:
        size = int(self.upload_max_mb * 1024 * 1024)
        return UploadLimits(max_bytes=size, max_unpacked=4 * size, max_points=self.upload_max_points)

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


def get_settings() -> Settings:
    return Settings()

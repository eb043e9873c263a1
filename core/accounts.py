"""Staff accounts: who may use the staff pages and API, with which roles.

- Roles: ``care`` (wristbands, the care desk), ``facilities`` (plans,
  closures), ``admin`` (accounts). A person may hold several; none implies
  another (an administrator does not see patients by being one).
- Passwords are hashed with Argon2id (argon2-cffi, its recommended
  parameters); a hash made with older parameters is upgraded at the next login.
- API keys for scripts: ``wf_<id>_<secret>``, shown once; only the SHA-256 of
  the key is stored (a key is 192 random bits: no slow hash needed).
- The secret that signs session cookies lives in the database when
  ``WAYFINDING_SECRET_KEY`` is not set, so that replicas share it.
- Every change to an account goes to the audit log in the same transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from database import Base, add_audit, from_db, make_engine, schema, to_db

ROLES = ("care", "facilities", "admin")
MIN_PASSWORD = 10
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")

_hasher = PasswordHasher()
#: Verified against when the name is unknown, so that a wrong name costs as long as a
#: wrong password (no telling which names exist).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserRow(Base):
    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[str] = mapped_column(String(64))  # comma-separated
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    #: Raised by a new password and by disabling: sessions signed in before no longer count.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiKeyRow(Base):
    __tablename__ = "staff_api_key"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SecretRow(Base):
    __tablename__ = "app_secret"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


@dataclass(slots=True, frozen=True)
class StaffUser:
    id: int
    name: str
    roles: frozenset[str]
    active: bool
    created_at: datetime
    #: The account's session epoch: a session signed in at another epoch has ended.
    epoch: int = 0

    def can(self, role: str) -> bool:
        return self.active and role in self.roles


class AccountError(ValueError):
    """An account operation that cannot be done (bad name, unknown role, short password...)."""


def _user(row: UserRow) -> StaffUser:
    return StaffUser(
        row.id,
        row.name,
        frozenset(r for r in row.roles.split(",") if r),
        row.active,
        from_db(row.created_at),
        row.session_epoch or 0,
    )


def _check_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise AccountError(f"role(s) {', '.join(unknown) or '(none)'}: choose among {', '.join(ROLES)}")
    return sorted(set(roles))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


def new_password() -> str:
    """A password to give a new account (about 100 bits), easy to read out."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


class AccountStore:
    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        schema.require_current(self.engine)  # migrated at process start (schema.connect)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    # -- accounts -------------------------------------------------------------------------------

    def add(self, name: str, roles: list[str], password: str, *, actor: str) -> StaffUser:
        name = name.strip().lower()
        if not name or len(name) > 64 or not set(name) <= NAME_CHARS:
            raise AccountError(
                f"account name {name!r}: use lower-case letters, digits, '.', '_' or '-' (at most 64)"
            )
        roles = _check_roles(roles)
        _check_password(password)
        try:
            with self._session.begin() as s:
                row = UserRow(
                    name=name,
                    roles=",".join(roles),
                    password_hash=_hasher.hash(password),
                    active=True,
                    created_at=to_db(datetime.now(UTC)),
                    created_by=actor,
                )
                s.add(row)
                s.flush()
                add_audit(s, actor, "add-account", f"account {name}", {"roles": roles})
                return _user(row)
        except IntegrityError:
            raise AccountError(f"account {name!r} exists already") from None

    def get(self, user_id: int) -> StaffUser | None:
        with self._session() as s:
            row = s.get(UserRow, user_id)
            return _user(row) if row else None

    def by_name(self, name: str) -> StaffUser | None:
        with self._session() as s:
            row = s.scalars(select(UserRow).where(UserRow.name == name.strip().lower())).first()
            return _user(row) if row else None

    def users(self) -> list[StaffUser]:
        with self._session() as s:
            return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]

    def set_password(self, name: str, password: str, *, actor: str) -> StaffUser:
        """A new password: every session of the account ends at its next request and its API
        keys are revoked (whoever knew the old password may have made one)."""
        _check_password(password)
        with self._session.begin() as s:
            row = self._row(s, name)
            row.password_hash = _hasher.hash(password)
            row.session_epoch = (row.session_epoch or 0) + 1
            revoked = self._revoke_keys(s, row)
            add_audit(
                s,
                actor,
                "set-password",
                f"account {row.name}",
                {"sessions_ended": True, "keys_revoked": revoked},
            )
            return _user(row)

    @staticmethod
    def _revoke_keys(s: Session, row: UserRow) -> int:
        now, n = to_db(datetime.now(UTC)), 0
        for key in s.scalars(
            select(ApiKeyRow).where(ApiKeyRow.user_id == row.id, ApiKeyRow.revoked_at.is_(None))
        ):
            key.revoked_at, n = now, n + 1
        return n

    def set_roles(self, name: str, roles: list[str], *, actor: str) -> StaffUser:
        """Give an account these roles. Nobody removes their own admin role, and the last
        active administrator keeps theirs: the accounts would have no one to manage them."""
        roles = _check_roles(roles)
        with self._session.begin() as s:
            row = self._row(s, name)
            old = [r for r in row.roles.split(",") if r]
            if "admin" in old and "admin" not in roles:
                if row.name == actor:
                    raise AccountError("you cannot remove your own admin role: ask another administrator")
                if row.active and self._admins(s) <= 1:
                    raise AccountError(f"{row.name} is the last active administrator: name another first")
            if sorted(old) != roles:
                row.roles = ",".join(roles)
                add_audit(s, actor, "set-roles", f"account {row.name}", {"roles": roles, "was": old})
            return _user(row)

    @staticmethod
    def _admins(s: Session) -> int:
        rows = s.scalars(select(UserRow).where(UserRow.active.is_(True)))
        return sum(1 for r in rows if "admin" in r.roles.split(","))

    def set_active(self, name: str, active: bool, *, actor: str) -> None:
        """Enable or disable an account. A disabled account's sessions end at its next
        request (each request reads the account again) and its API keys are revoked."""
        with self._session.begin() as s:
            row = self._row(s, name)
            if not active and row.name == actor:
                raise AccountError("you cannot disable your own account: ask another administrator")
            if not active and row.active and "admin" in row.roles.split(",") and self._admins(s) <= 1:
                raise AccountError(f"{row.name} is the last active administrator: name another first")
            row.active = active
            if not active:
                row.session_epoch = (row.session_epoch or 0) + 1
                self._revoke_keys(s, row)
            add_audit(s, actor, "enable-account" if active else "disable-account", f"account {row.name}", {})

    @staticmethod
    def _row(s: Session, name: str) -> UserRow:
        row = s.scalars(select(UserRow).where(UserRow.name == name.strip().lower())).first()
        if row is None:
            raise AccountError(f"no account {name!r}")
        return row

    # -- authentication ---------------------------------------------------------------------------

    def authenticate(self, name: str, password: str) -> StaffUser | None:
        """The active account if the password is right, else None (slow either way: Argon2)."""
        with self._session() as s:
            row = s.scalars(select(UserRow).where(UserRow.name == name.strip().lower()[:64])).first()
        if row is None or not row.active:
            with contextlib.suppress(VerificationError):
                _hasher.verify(_DUMMY_HASH, password)
            return None
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            with self._session.begin() as s:
                fresh = s.get(UserRow, row.id)
                if fresh is not None:
                    fresh.password_hash = _hasher.hash(password)
        return _user(row)

    def new_api_key(self, name: str, *, actor: str) -> str:
        """A new API key for the account, returned once."""
        with self._session.begin() as s:
            row = self._row(s, name)
            secret = secrets.token_urlsafe(24)
            key_row = ApiKeyRow(key_sha256="", user_id=row.id, created_at=to_db(datetime.now(UTC)))
            s.add(key_row)
            s.flush()
            key = f"wf_{key_row.id}_{secret}"
            key_row.key_sha256 = hashlib.sha256(key.encode()).hexdigest()
            add_audit(s, actor, "new-api-key", f"account {row.name}", {"key": key_row.id})
            return key

    def by_api_key(self, key: str) -> StaffUser | None:
        if not key.startswith("wf_") or len(key) > 100:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        with self._session() as s:
            found = s.execute(
                select(ApiKeyRow, UserRow)
                .join(UserRow, UserRow.id == ApiKeyRow.user_id)
                .where(ApiKeyRow.key_sha256 == digest, ApiKeyRow.revoked_at.is_(None))
            ).first()
        if found is None:
            return None
        user = _user(found[1])
        return user if user.active else None

    # -- a database made by the demo -------------------------------------------------------------

    def mark_demo_database(self) -> None:
        """Note that ``wayfinding demo`` made this database: only there does it make and reset
        its demo accounts (whose passwords are printed in the README)."""
        with contextlib.suppress(IntegrityError), self._session.begin() as s:
            s.add(SecretRow(name="demo-database", value=datetime.now(UTC).isoformat()))

    def is_demo_database(self) -> bool:
        with self._session() as s:
            return s.get(SecretRow, "demo-database") is not None

    # -- the session-signing secret ----------------------------------------------------------------

    def secret_key(self) -> str:
        """The key that signs staff session cookies: made once, shared by all replicas."""
        with self._session() as s:
            row = s.get(SecretRow, "session")
            if row is not None:
                return row.value
        try:
            with self._session.begin() as s:
                s.add(SecretRow(name="session", value=secrets.token_urlsafe(48)))
        except IntegrityError:
            pass  # another replica made it first: use theirs
        with self._session() as s:
            row = s.get(SecretRow, "session")
            assert row is not None
            return row.value

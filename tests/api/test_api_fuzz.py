"""schemathesis against /openapi.json: every operation, no 5xx, answers as documented.

The app is built at import (schemathesis parametrizes at collection time) on
a store of its own in a temporary folder.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from core.accounts import AccountStore
from core.service import WayfindingService
from core.settings import Settings
from floorplans import DEMO_PATH
from simulators.patients import tag_of
from tests.api.conftest import published_demo
from tracker.store import TrackerStore

_TMP = Path(tempfile.mkdtemp(prefix="wayfinding-fuzz-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
_URL = published_demo(_TMP / "w.db")
# The staff endpoints are fuzzed signed in (an API key with every role), not only refused.
_ACCOUNTS = AccountStore(_URL)
_ACCOUNTS.add("fuzz", ["care", "facilities", "admin"], "fuzz-password-1", actor="test")
AUTH = {"Authorization": f"Bearer {_ACCOUNTS.new_api_key('fuzz', actor='test')}"}
TrackerStore(_URL).register([tag_of(i) for i in range(1, 50)], actor="test")
APP = create_app(
    Settings(database_url=_URL, public_url="https://wayfinding.example.org", address_rate="100000/minute"),
    WayfindingService(database_url=_URL, venue_path=DEMO_PATH),
    watch=False,
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.auth()
class StaffKey:
    """The API key, given the schemathesis way: it then also checks that requests without it
    are refused."""

    def get(self, case: schemathesis.Case, ctx: object) -> str:
        return AUTH["Authorization"]

    def set(self, case: schemathesis.Case, data: str, ctx: object) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


CASES: Counter[str] = Counter()
ANSWERS: Counter[tuple[str, int]] = Counter()


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_fails_or_breaks_its_schema(case: schemathesis.Case) -> None:
    CASES[f"{case.method.upper()} {case.path}"] += 1
    response = case.call()
    ANSWERS[f"{case.method.upper()} {case.path}", response.status_code] += 1
    excluded = []
    if response.status_code in (404, 409, 410, 422) and "reason" in (response.json() or {}):
        # A well-formed request the data refuses (no way for the profile, a wristband not on
        # the list or already linked, an ended link): the reason is the documented answer,
        # not a valid request refused.
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded)


def test_every_operation_was_tried() -> None:
    """Runs after the cases above (same module, file order): each operation had many cases."""
    operations = {f"{m.upper()} {p}" for p, item in APP.openapi()["paths"].items() for m in item}
    tried = {op: CASES[op] for op in sorted(operations)}
    print(f"\nschemathesis: {sum(CASES.values())} cases in all; documented operations: {tried}")
    assert all(tried.values()), f"operations never tried: {[op for op, n in tried.items() if not n]}"
    assert sum(tried.values()) >= 500
    # The staff operations were fuzzed signed in, not only refused at the door.
    assert ANSWERS["GET /api/v1/staff/me", 200] and ANSWERS["GET /api/v1/staff/audit", 200]
    assert ANSWERS["GET /api/v1/staff/pathways/{pathway_id}/patients", 404]

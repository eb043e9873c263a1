"""Fixtures for routing tests: a router on the demo hospital, closures by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from floorplans import Venue
from floorplans.model import label_text
from routing import Router


@dataclass
class FakeClosure:
    """A closure as the floor plan store gives it (same attributes)."""

    feature_id: str
    feature_name: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    reopened_at: datetime | None = None


def closure(
    venue: Venue, name: str, *, hours: float = 2.0, reason: str = "maintenance", start_hours: float = -1.0
) -> FakeClosure:
    """Close the unit or relationship whose French name is *name*."""
    now = datetime.now(UTC)
    for table in (venue.relationships, venue.units):
        for fid, feat in table.items():
            if label_text(getattr(feat, "name", None), "fr") == name:
                return FakeClosure(
                    fid, name, reason, now + timedelta(hours=start_hours), now + timedelta(hours=hours)
                )
    raise KeyError(name)


@pytest.fixture(scope="session")
def demo_router(demo_venue: Venue) -> Router:
    return Router(demo_venue)


@pytest.fixture
def router(demo_venue: Venue) -> Router:
    """A router of one's own, for tests that close things."""
    return Router(demo_venue)

"""Facilities pages (role ``facilities``): plans, everyday changes and closures, in a browser.

- ``/staff/plans``: the versions (who, when, note), an upload form, compare any two.
- ``/staff/plans/{id}``: one version: its report grouped by severity with each
  problem numbered on the drawn floors, what it changes against the version in
  service, in words, and Publish / Discard (a draft), Roll back / Export.
- ``/staff/plans/edit``: the plan in service (or a draft); a click on a room
  selects it, and the changes a facilities office makes every week (a name, a
  synonym, a service moved, staff-only, a kiosk's facing, a door closed for
  good) each become a draft with its diff, published like any import.
- ``/staff/closures``: close a corridor, door, lift or room for a while, with a
  reason and an end, after seeing what it does to visitors' routes; reopen early.

Every change goes through :class:`floorplans.store.FloorPlanStore`, which writes
the audit log in the same transaction; after a publish or a closure this
process refreshes its snapshot at once (other replicas within their refresh
period), so phone pages and kiosks follow without a restart.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.facilities import closures, edits, plans

pages = APIRouter(include_in_schema=False)
for _module in (plans, edits, closures):
    pages.include_router(_module.pages)

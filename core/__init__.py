"""The core every front end uses, with no web framework and no Kivy: the wayfinding service
(the plan in service, its router and drawings, refreshed when facilities publish or close),
the settings read from the environment, staff accounts and the anonymous usage counts.

The web application (:mod:`api`), the touch kiosk (:mod:`kiosk_app`) and the command line
(:mod:`cli`) are thin adapters over it; none imports another.
"""

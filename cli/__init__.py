"""The ``wayfinding`` command line: one module per subject, each adding its subcommands to
the parser (:mod:`cli.main`) and holding their handlers.

- :mod:`cli.floorplan`: check, repair, draw, version, publish and close floor plans
- :mod:`cli.route`: directions and the printable signs
- :mod:`cli.serve`, :mod:`cli.kiosk`: the two front ends
- :mod:`cli.tracking`: BLE replay, calibration, tracker and ingest workers, simulated patients
- :mod:`cli.people`: wristband links, discharges, staff accounts, the list of wristbands
- :mod:`cli.db`: the database's schema
- :mod:`cli.demo`: everything at once on the demo hospital

Errors in what the user gave end with a one-line message on stderr and exit status 1
(:class:`cli.common.CommandError` and the errors :func:`cli.main.main` catches).
"""

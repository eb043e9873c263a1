"""``python -m cli``: the same as the ``wayfinding`` command."""

from cli.main import main

raise SystemExit(main())

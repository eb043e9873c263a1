""" "You are here" signs: printable posters (PDF) of the signs the plan calls for.

The signs themselves (where, which way, their codes) come from the plan through
:mod:`routing.signs`; this package prints them.
"""

from __future__ import annotations

from signage.pdf import SIZES, sign_url, signs_pdf

__all__ = ["SIZES", "sign_url", "signs_pdf"]

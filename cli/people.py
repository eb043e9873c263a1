"""People and wristbands: link a wristband to a pseudonymous patient, discharge, staff
accounts, the list of wristbands.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import CommandError, accounts_of, actor_of, tracker_store_of, venue_of
from core.settings import get_settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("link", help="link a wristband to a (pseudonymous) patient")
    p.add_argument("tag")
    p.add_argument("--patient", required=True, help="pseudonymous patient reference, no name")
    p.add_argument("--pathway", default="ambulatory-surgery")
    p.add_argument("--lang", default="fr", help="the companion's language")
    p.add_argument("--venue")
    p.set_defaults(func=cmd_link)

    p = sub.add_parser("discharge", help="end a wristband's link (and its companion link)")
    p.add_argument("tag")
    p.set_defaults(func=cmd_discharge)

    p = sub.add_parser("user", help="staff accounts (roles care, facilities, admin)")
    us = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = us.add_parser("add", help="add an account (a password is made and shown once)")
    q.add_argument("name")
    q.add_argument(
        "--role", action="append", required=True, choices=["care", "facilities", "admin"], help="repeatable"
    )
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    q = us.add_parser("list", help="list accounts")
    q = us.add_parser("key", help="a new API key for scripts (shown once)")
    q.add_argument("name")
    q = us.add_parser("password", help="set a new password (made and shown, or from standard input)")
    q.add_argument("name")
    q.add_argument("--password-stdin", action="store_true")
    for action in ("disable", "enable"):
        q = us.add_parser(
            action, help=f"{action} an account" + (" and revoke its keys" if action == "disable" else "")
        )
        q.add_argument("name")
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("wristband", help="the hospital's list of wristbands")
    ws = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = ws.add_parser("add", help="register wristbands (numbers, or --file with one per line)")
    q.add_argument("tags", nargs="*")
    q.add_argument("--file")
    q = ws.add_parser("list", help="list registered wristbands")
    p.set_defaults(func=cmd_wristband)


def cmd_link(args: argparse.Namespace) -> int:
    from tracker.store import LinkError

    venue = venue_of(args)
    if args.pathway not in venue.pathways:
        raise CommandError(
            f"no pathway {args.pathway!r}; the venue has {', '.join(venue.pathways) or 'none'}"
        )
    try:
        link, token = tracker_store_of(args).link(
            args.tag,
            patient_ref=args.patient,
            pathway_id=args.pathway,
            companion_lang=args.lang,
            actor=actor_of(args),
            companion_hours=get_settings().companion_hours,
            registered_only=True,
        )
    except LinkError as exc:
        hint = " (register it: wayfinding wristband add TAG)" if exc.code == "unknown-wristband" else ""
        raise CommandError(f"{exc}{hint}") from None
    print(
        f"link {link.id}: wristband {link.tag} -> patient {link.patient_ref} "
        f"({link.pathway_id}, companion in {link.companion_lang}), card code {link.short_code}"
    )
    print(f"companion link (give it once, it is not stored): {get_settings().base_url()}/c/{token}")
    return 0


def cmd_discharge(args: argparse.Namespace) -> int:
    from beacons.payloads import canonical_tag
    from tracker.store import LinkError

    store = tracker_store_of(args)
    tag = canonical_tag(args.tag)  # as linked, however it is typed
    link = next((lk for lk in store.active_links() if lk.tag == tag), None)
    if link is None:
        raise CommandError(f"wristband {args.tag!r} is not linked to anyone")
    try:
        store.discharge(link.id, actor=actor_of(args))
    except LinkError as exc:
        raise CommandError(str(exc)) from None
    print(f"link {link.id} ended: the companion link no longer works")
    return 0


def cmd_user(args: argparse.Namespace) -> int:
    """Staff accounts: add, list, key, password, disable, enable."""
    from core.accounts import AccountError, new_password

    accounts = accounts_of(args)
    try:
        if args.action == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else new_password()
            user = accounts.add(args.name, args.role, password, actor=actor_of(args))
            print(f"account {user.name} ({', '.join(sorted(user.roles))}) added")
            if not args.password_stdin:
                print(f"password (shown once, give it to {user.name} in person): {password}")
        elif args.action == "list":
            for u in accounts.users():
                state = "active" if u.active else "disabled"
                print(f"{u.name:24} {','.join(sorted(u.roles)):28} {state}")
        elif args.action == "key":
            key = accounts.new_api_key(args.name, actor=actor_of(args))
            print(f"API key for {args.name} (shown once; send it as 'Authorization: Bearer KEY'): {key}")
        elif args.action == "password":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else new_password()
            accounts.set_password(args.name, password, actor=actor_of(args))
            print(f"password of {args.name} changed" + ("" if args.password_stdin else f": {password}"))
        elif args.action in ("disable", "enable"):
            accounts.set_active(args.name, args.action == "enable", actor=actor_of(args))
            print(
                f"account {args.name} {args.action}d"
                + (" (its API keys revoked)" if args.action == "disable" else "")
            )
    except AccountError as exc:
        raise CommandError(str(exc)) from None
    return 0


def cmd_wristband(args: argparse.Namespace) -> int:
    """The hospital's list of wristbands: the care desk refuses a number not on it."""
    store = tracker_store_of(args)
    if args.action == "add":
        tags = [t.strip() for t in args.tags if t.strip()]
        if args.file:
            text = Path(args.file).read_text(encoding="utf-8")
            tags += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        bad = [t for t in tags if len(t) > 64]
        if bad:
            raise CommandError(f"wristband number too long (64 characters at most): {bad[0]!r}")
        if not tags:
            raise CommandError("no wristband given: write the numbers, or --file FILE (one per line)")
        new = store.register(tags, actor=actor_of(args))
        print(f"{new} wristband(s) added, {len(tags) - new} already registered")
    else:
        for tag in store.wristbands():
            print(tag)
    return 0

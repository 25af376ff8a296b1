#!/usr/bin/env python3
"""A real SMTP server standing in for Amazon SES's SMTP interface, on 127.0.0.1.

    python3 scripts/mail_relay.py --port N --cert CERT.pem --key KEY.pem --user USER \\
        --password-env VAR --spool DIR

It behaves as SES's endpoint does toward a client such as Moodle's PHPMailer: STARTTLS (RFC 3207)
is required before anything but EHLO/HELO, NOOP and QUIT; AUTH LOGIN or PLAIN (RFC 4954) is
required before MAIL; only USER with the password in the environment variable VAR is accepted
(535 5.7.8 otherwise). The password is read from the environment, never from argv (which `ps`
shows), and is never printed or written.

--port 0 picks a free port. Once listening it prints one line `READY <port>` on stdout. Each
accepted message becomes two files in DIR, numbered from 1: `<n>.eml` (the raw message as
received) and `<n>.json` ({"mail_from", "rcpt_tos", "tls", "auth_user"}, the envelope and how the
session was secured). Both are written under a temporary name and renamed, the .json last: a
reader that sees `<n>.json` finds the whole message beside it. SIGTERM (or SIGINT) stops it.

CERT.pem must name the address clients connect to (scripts/local_site.py mail-cert signs one with
the local site's CA for 127.0.0.1 and localhost). Requires aiosmtpd (requirements.txt).
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import itertools
import json
import logging
import os
import signal
import ssl
import sys
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Spool:
    """aiosmtpd's handler: every message that reaches DATA (so already over TLS and authenticated,
    which the server enforces before MAIL) is written to the spool directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        taken = [int(p.stem) for p in directory.glob("*.json") if p.stem.isdigit()]
        self.numbers = itertools.count(max(taken, default=0) + 1)

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.directory / f".{name}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.directory / name)

    async def handle_DATA(self, server, session, envelope) -> str:
        n = next(self.numbers)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                "tls": session.ssl is not None,
                "auth_user": login.decode("utf-8", "replace") if login is not None else None}
        self._write(f"{n}.eml", envelope.original_content or b"")
        self._write(f"{n}.json", json.dumps(meta).encode())
        print(f"accepted message {n} from {envelope.mail_from} to {', '.join(envelope.rcpt_tos)}",
              file=sys.stderr, flush=True)
        return f"250 Ok {n}"


def authenticator(user: str, password: str):
    expected = (user.encode(), password.encode())

    def check(server, session, envelope, mechanism, auth_data) -> AuthResult:
        if mechanism not in ("LOGIN", "PLAIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        # Both compared in constant time, and both always, so that timing tells nothing.
        ok_user = hmac.compare_digest(auth_data.login, expected[0])
        ok_password = hmac.compare_digest(auth_data.password, expected[1])
        if ok_user and ok_password:
            return AuthResult(success=True, auth_data=LoginPassword(auth_data.login, b""))
        print(f"refused AUTH {mechanism} for {auth_data.login.decode('utf-8', 'replace')!r}",
              file=sys.stderr, flush=True)
        return AuthResult(success=False, handled=False)

    return check


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0: a free one)")
    p.add_argument("--cert", type=Path, required=True, help="the server certificate (PEM, with its chain)")
    p.add_argument("--key", type=Path, required=True, help="its private key (PEM)")
    p.add_argument("--user", required=True, help="the one user AUTH accepts")
    p.add_argument("--password-env", required=True, metavar="VAR",
                   help="the environment variable that holds that user's password")
    p.add_argument("--spool", type=Path, required=True, help="where accepted messages are written")
    args = p.parse_args()
    password = os.environ.get(args.password_env)
    if not password:
        p.error(f"the environment variable {args.password_env} is not set or empty")
    args.spool.mkdir(parents=True, exist_ok=True)

    # aiosmtpd logs every command line at INFO, AUTH exchanges included, and warns on every
    # successful AUTH about its own deprecated attribute: only its errors are worth a line.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    handler = Spool(args.spool)

    def session() -> SMTP:
        return SMTP(handler, hostname="localhost", tls_context=tls, require_starttls=True,
                    auth_required=True, auth_require_tls=True,
                    authenticator=authenticator(args.user, password))

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(session, host="127.0.0.1", port=args.port))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""A real SMTP server for aspk's mail tests (Debian's python3-aiosmtpd).

Requires STARTTLS (certificate and key from --cert/--key) and a login (AUTH PLAIN or LOGIN
with --user/--password) before it takes a message; writes each message it takes as a
`.eml` file into --maildir (written aside, then renamed, so a reader never sees half a
file). Prints "ready <port>" on stdout once it listens on 127.0.0.1:<port>.
"""

import argparse
import os
import ssl
import sys
import threading
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Maildir:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = uuid.uuid4().hex
        aside = os.path.join(self.directory, "." + name + ".tmp")
        with open(aside, "wb") as f:
            f.write(envelope.original_content or envelope.content)
            f.flush()
            os.fsync(f.fileno())
        os.rename(aside, os.path.join(self.directory, name + ".eml"))
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # `handled=False`: the server itself answers "535" to a refused login.
        return AuthResult(success=ok, handled=False)

    return check


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--maildir", required=True)
    args = parser.parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    controller = Controller(
        Maildir(args.maildir),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname="localhost",
        require_starttls=True,
        tls_context=tls,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator(args.user, args.password),
    )
    controller.start()
    print(f"ready {args.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

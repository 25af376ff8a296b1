#!/usr/bin/env python3
"""Moodle's e-mail on the local site, as SES's SMTP interface would carry it: the pieces the local
demo (scripts/local_stack.py) and a check of one's own put together.

    relay = start_relay(site_dir, spool, user, password)   # scripts/mail_relay.py, the site CA's cert
    settings = smtp_settings(relay.port, "noreply@example.edu", user)   # Moodle's SMTP settings
    ... Moodle gets the settings, and the password as smtppass (on the stack: the secret that the
        site configuration's smtp_secret_arn names, read by apply-moodle-config.sh) ...
    page = request_password_reset(site_url, "admin")        # as a browser does, over HTTP
    messages = received(spool, timeout=30)                  # what the relay accepted
    relay.stop()

The relay requires STARTTLS before AUTH and AUTH before MAIL, so every message in the spool came
over TLS, authenticated (each message's "tls" and "auth_user" say so). Its password goes to it in
its environment, never on a command line, and this module prints nothing.

Browser is the small cookie-keeping HTTP client the functions use (Moodle's forms: their hidden
fields, sesskey and _qf__ marker, posted back); scripts/local_stack.py signs in with it too. Python 3
standard library only.
"""
from __future__ import annotations

import email
import email.header
import email.policy
import http.cookiejar
import json
import os
import re
import selectors
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_ENV = "SMTP_RELAY_PASSWORD"

# What Moodle 4.5 answers on /login/forgot_password.php (lang/en/moodle.php). With protectusernames
# on (the default) the first is shown whether or not a mail went out: only the relay's spool says.
RESET_MAYBE_SENT = "an email should have been sent to you"
RESET_MAIL_FAILED = "Error sending password change confirmation email"


# --- HTTP, as a browser --------------------------------------------------------------------------

_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
_NAME = re.compile(r'name="([^"]+)"')
_VALUE = re.compile(r'value="([^"]*)"')


def hidden_fields(page: str) -> dict:
    """A Moodle form's hidden fields (sesskey, its _qf__ marker), which a submission carries back.
    Moodle escapes attribute values; none of these fields holds an entity."""
    fields = {}
    for tag in _HIDDEN.findall(page):
        name, value = _NAME.search(tag), _VALUE.search(tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


class Browser:
    """Cookies kept, redirects followed; `last_url` and `last_status`: where the last request
    landed and its HTTP status."""

    def __init__(self, base: str, timeout: float = 60):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.last_url = None
        self.last_status = None

    def _open(self, path: str, data: bytes | None) -> str:
        # An error status still comes with its page, which a browser shows (Moodle answers its
        # error pages, cannotmailconfirm's among them, with 404).
        try:
            r = self.opener.open(self.base + path, data=data, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            r = e
        with r:
            self.last_url, self.last_status = r.geturl(), r.status
            return r.read().decode(errors="replace")

    def get(self, path: str) -> str:
        return self._open(path, None)

    def post(self, path: str, form: dict) -> str:
        return self._open(path, urllib.parse.urlencode(form).encode())

    def cookie(self, prefix: str) -> str | None:
        return next((c.value for c in self.jar if c.name.startswith(prefix)), None)


def request_password_reset(site_url: str, username: str) -> str:
    """What a browser does on Moodle 4.5's /login/forgot_password.php: GET the form (a session
    cookie and the form's sesskey), POST its hidden fields with the username and the username
    section's button. Returns the answer page's HTML (RESET_MAYBE_SENT or RESET_MAIL_FAILED in it)."""
    browser = Browser(site_url)
    form = hidden_fields(browser.get("/login/forgot_password.php"))
    form.update(username=username, submitbuttonusername="Search")
    return browser.post("/login/forgot_password.php", form)


def page_text(page: str) -> str:
    """A page's visible text, tags and scripts left out, whitespace collapsed (for a line of output)."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    text = re.sub(r"<[^>]+>", " ", page)
    for entity, char in (("&nbsp;", " "), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'),
                         ("&#039;", "'")):
        text = text.replace(entity, char)
    return " ".join(text.split())


def reset_outcome(page: str) -> str:
    """'maybe sent' (Moodle's answer when it sent the mail, or had no one to send it to),
    'mail failed' (Moodle could not hand the mail over: cannotmailconfirm), else 'unexpected'."""
    if RESET_MAIL_FAILED in page:
        return "mail failed"
    if RESET_MAYBE_SENT in page:
        return "maybe sent"
    return "unexpected"


# --- the relay (SES's SMTP interface) -----------------------------------------------------------

def mail_certificate(site_dir: Path | str) -> dict:
    """A certificate and key for the relay, signed by the site's CA (which PHP trusts), from
    `local_site.py mail-cert` run for that site: {"cert", "key", "ca"} paths."""
    env = dict(os.environ, AUTOPILOT_SITE_DIR=str(Path(site_dir).resolve()))
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "local_site.py"), "mail-cert"], env=env,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"local_site.py mail-cert failed (exit {r.returncode}): {r.stderr.strip()[-500:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


@dataclass
class Relay:
    """A running scripts/mail_relay.py: the port it listens on (127.0.0.1), its spool, the file
    its stderr goes to (accepted and refused sessions, one line each) and its certificate."""
    process: subprocess.Popen
    port: int
    spool: Path
    log: Path
    cert: dict = field(default_factory=dict)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.process.stdout:
            self.process.stdout.close()

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_relay(site_dir: Path | str, spool_dir: Path | str, user: str, password: str, *,
                log: Path | str | None = None, python: str | None = None, timeout: float = 30) -> Relay:
    """Starts scripts/mail_relay.py on a free port of 127.0.0.1 with a certificate from the site's
    CA (site_dir: the site's AUTOPILOT_SITE_DIR, e.g. the local stack's state()["siteDir"]),
    accepting only `user` with `password` (handed over in its environment), writing what it accepts
    to spool_dir; waits for its READY line. Its stderr goes to `log` (default: beside the spool,
    <spool>.log). python: an interpreter with aiosmtpd (default: this one)."""
    spool = Path(spool_dir)
    spool.mkdir(parents=True, exist_ok=True)
    log = Path(log) if log else spool.with_name(spool.name + ".log")
    cert = mail_certificate(site_dir)
    argv = [python or sys.executable, str(ROOT / "scripts" / "mail_relay.py"), "--port", "0",
            "--cert", cert["cert"], "--key", cert["key"], "--user", user, "--password-env", PASSWORD_ENV,
            "--spool", str(spool)]
    with open(log, "ab") as err:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                   env=dict(os.environ, **{PASSWORD_ENV: password}), text=True)
    relay = Relay(process, 0, spool, log, cert)
    # The READY line, or the relay's end: readline() returns "" when it exits first.
    deadline = time.monotonic() + timeout
    line = ""
    with selectors.DefaultSelector() as sel:
        sel.register(process.stdout, selectors.EVENT_READ)
        while not line and time.monotonic() < deadline:
            if sel.select(max(0.0, deadline - time.monotonic())):
                line = process.stdout.readline() or "(exited)"
    if not line.startswith("READY "):
        relay.stop()
        why = "it exited first" if line == "(exited)" else (f"its first line: {line.strip()!r}" if line
                                                            else f"no READY within {timeout:.0f} s")
        raise RuntimeError(f"mail_relay.py did not start ({why}): {relay.log_text().strip()[-500:]}")
    relay.port = int(line.split()[1])
    return relay


def smtp_settings(port: int, noreply: str, user: str | None = None, host: str = "127.0.0.1") -> dict:
    """Moodle's settings for the relay, the same names and values the stack gives for SES
    (StackMoodleSettingsParameter: email-smtp.<region>.amazonaws.com:587, tls, LOGIN, the SMTP
    user, noreply@<MailDomain>). host must be a name the certificate holds (127.0.0.1 or
    localhost). smtpuser is left out without a user. The password is never a setting here: it is
    smtppass, from the secret named by the site configuration's smtp_secret_arn."""
    settings = {"smtphosts": f"{host}:{port}", "smtpsecure": "tls", "smtpauthtype": "LOGIN",
                "noreplyaddress": noreply}
    if user is not None:
        settings["smtpuser"] = user
    return settings


def smtp_secret(user: str, password: str) -> str:
    """The SMTP secret's value as the stack stores SES's SMTP credentials: {"username", "password"}."""
    return json.dumps({"username": user, "password": password})


# --- what arrived ------------------------------------------------------------------------------------

def _header(message, name: str) -> str:
    value = message.get(name)
    return str(email.header.make_header(email.header.decode_header(value))) if value is not None else None


def _body(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    try:
        return part.get_content() if part is not None else ""
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode(errors="replace")


def read_message(spool_dir: Path | str, number: int) -> dict:
    """Message <number> of the spool: the relay's envelope (mail_from, rcpt_tos, tls, auth_user),
    the headers From, To and Subject (decoded), the text body and the raw message's size."""
    spool = Path(spool_dir)
    meta = json.loads((spool / f"{number}.json").read_text())
    raw = (spool / f"{number}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return {"number": number, **meta, "from": _header(message, "From"), "to": _header(message, "To"),
            "subject": _header(message, "Subject"), "body": _body(message), "size": len(raw)}


def received(spool_dir: Path | str, timeout: float = 0, at_least: int = 1) -> list[dict]:
    """The messages the relay has accepted, oldest first (read_message's dicts), after waiting up to
    `timeout` seconds for at least `at_least` of them (the relay writes <n>.json last, so a message
    listed is whole)."""
    spool = Path(spool_dir)
    deadline = time.monotonic() + timeout
    while True:
        numbers = sorted(int(p.stem) for p in spool.glob("*.json") if p.stem.isdigit()) if spool.is_dir() else []
        if len(numbers) >= at_least or time.monotonic() >= deadline:
            return [read_message(spool, n) for n in numbers]
        time.sleep(0.2)


def describe(message: dict) -> str:
    """One line for a message: who to whom, how it came, its subject."""
    how = ("over TLS" if message["tls"] else "WITHOUT TLS") + (
        f", AUTH as {message['auth_user']}" if message["auth_user"] else ", NO AUTH")
    return (f"message {message['number']}: {message['mail_from']} -> {', '.join(message['rcpt_tos'])} ({how}); "
            f"From: {message['from']}; Subject: {message['subject']}")

#!/usr/bin/env python3
"""A real Moodle web tier on this machine, standing in for the stack's EC2 instances.

    python3 scripts/local_site.py up [--port N] [--db-tls true|verify-full] [--database-sessions] [--no-cache]
    python3 scripts/local_site.py down [--purge]
    python3 scripts/local_site.py status
    python3 scripts/local_site.py mail-cert     (a certificate for scripts/mail_relay.py, signed by the site's CA)

Called by scripts/local-site (which first installs the Debian packages: lib.sh's
ensure_site_packages). Everything lives in .local/site/ and runs as private processes, never the
packages' services:

    PostgreSQL with TLS (Aurora)   .local/site/pg          initdb, ssl=on, hostssl only
    two Redis with TLS (Valkey)    .local/site/redis-*     --port 0 --tls-port N
    moodledata (EFS)               .local/site/moodledata
    the Moodle release             .local/site/www/moodle  (dirroot)
    PHP-FPM and Apache             .local/site/php-fpm, .local/site/apache
                                   from bundle/files/config/{php-fpm-www.conf,php-moodle.ini,httpd-moodle.conf}
    config.php                     bundle/files/config/render-config.php
    the install                    bundle/files/config/install-database.php (as the web user)

`down` stops the processes (the data stays, and the next `up` reuses the installed site); `down
--purge` also deletes .local/site. Python 3 standard library only.
"""
from __future__ import annotations

import argparse
import glob
import grp
import hashlib
import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# AUTOPILOT_SITE_DIR: another site beside the default one (the site benchmark runs its own).
STATE = Path(os.environ["AUTOPILOT_SITE_DIR"]).resolve() if os.environ.get("AUTOPILOT_SITE_DIR") else ROOT / ".local" / "site"
BUNDLE = ROOT / "bundle" / "files"
SHARED_MOODLE = ROOT.parent / "shared" / "moodle"
CACHE = Path.home() / ".cache" / "moodle-autopilot"
DOWNLOAD_BASE = "https://download.moodle.org/download.php/direct/"

# Processes `up` starts, in start order; `down` stops them in reverse. name -> (the names
# /proc/PID/exe may start with, stop signal). PostgreSQL: SIGINT is its fast shutdown
# (SIGTERM waits for clients); PHP-FPM: SIGQUIT is graceful; Apache: SIGTERM is `apache2 -k stop`.
SERVICES = {
    "postgres": (("postgres",), signal.SIGINT),
    # Debian's redis-server is a symlink to redis-check-rdb.
    "redis-sessions": (("redis-server", "redis-check-rdb"), signal.SIGTERM),
    "redis-cache": (("redis-server", "redis-check-rdb"), signal.SIGTERM),
    "php-fpm": (("php-fpm",), signal.SIGQUIT),
    "apache": (("apache2",), signal.SIGTERM),
}

# The PHP extensions Moodle 4.5's environment check requires (admin/environment.xml, level
# "required"), plus the database driver and the Redis extension (sessions, application cache).
REQUIRED_EXTENSIONS = ["iconv", "mbstring", "curl", "openssl", "ctype", "zip", "zlib", "gd", "simplexml",
                       "spl", "pcre", "dom", "xml", "xmlreader", "intl", "json", "hash", "fileinfo",
                       "sodium", "pgsql", "redis"]

IS_ROOT = os.geteuid() == 0
# Who runs what: as root, the web tier runs as www-data (Debian's Apache user; the bundle's files
# say apache, AL2023's) and PostgreSQL and Redis as their packages' users; otherwise everything
# runs as the current user.
WEB_USER = "www-data" if IS_ROOT else pwd.getpwuid(os.getuid()).pw_name
PG_USER = "postgres" if IS_ROOT else WEB_USER
REDIS_USER = "redis" if IS_ROOT else WEB_USER
DB_NAME = "moodle"
DB_USER = "moodle"
MASTER_USER = "moodle_master"
PREFIX = "mdl_"
PM_MAX_CHILDREN = "8"  # bootstrap.sh's floor


class SiteError(Exception):
    """A step failed; the message is the one line the user sees."""


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ids(user: str) -> tuple[int, int]:
    pw = pwd.getpwnam(user)
    return pw.pw_uid, pw.pw_gid


def as_user(user: str) -> dict:
    """subprocess keywords that run a child as `user` (only when we are root)."""
    if not IS_ROOT:
        return {}
    uid, gid = ids(user)
    return {"user": uid, "group": gid, "extra_groups": []}


def user_env(env: dict | None, user: str | None) -> dict | None:
    """The environment for a child run as `user`: its own HOME (libpq looks for ~/.postgresql/)."""
    if not (IS_ROOT and user):
        return env
    return dict(env if env is not None else os.environ, HOME=pwd.getpwnam(user).pw_dir, USER=user, LOGNAME=user)


def mkdir(path: Path, owner: str | None = None, mode: int = 0o755) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if owner and IS_ROOT:
        uid, gid = ids(owner)
        os.chown(path, uid, gid)
    os.chmod(path, mode)
    return path


def write(path: Path, text: str, mode: int = 0o644, owner: str | None = None, group: str | None = None) -> Path:
    tmp = path.with_name("." + path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    if IS_ROOT and (owner or group):
        os.chown(tmp, ids(owner)[0] if owner else 0, grp.getgrnam(group).gr_gid if group else ids(owner)[1])
    os.replace(tmp, path)
    return path


def run(argv: list[str], what: str, *, user: str | None = None, input: str | None = None,
        env: dict | None = None, cwd: str = "/") -> str:
    """Runs a command to completion; on failure, one line naming `what` and the command's last words."""
    try:
        p = subprocess.run(argv, input=input, capture_output=True, text=True, env=user_env(env, user), cwd=cwd,
                           **(as_user(user) if user else {}))
    except FileNotFoundError:
        raise SiteError(f"{what}: {argv[0]} not found")
    if p.returncode != 0:
        tail = " | ".join((p.stderr or p.stdout).strip().splitlines()[-3:])
        raise SiteError(f"{what} failed (exit {p.returncode}): {tail}")
    return p.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- processes ----------------------------------------------------------------------------------

def pid_file(name: str) -> Path:
    return STATE / "run" / f"{name}.pid"


def running_pid(name: str) -> int | None:
    """The pid of a service we started, when it still runs (and is still that program)."""
    try:
        pid = int(pid_file(name).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None
    return pid if os.path.basename(exe).startswith(SERVICES[name][0]) else None


def spawn(name: str, argv: list[str], *, user: str | None = None, env: dict | None = None) -> subprocess.Popen:
    log = open(STATE / "log" / f"{name}.log", "ab")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd="/",
                         env=user_env(env, user), start_new_session=True, **(as_user(user) if user else {}))
    log.close()
    write(pid_file(name), f"{p.pid}\n")
    return p


def log_tail(name: str, lines: int = 3) -> str:
    try:
        text = (STATE / "log" / f"{name}.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def wait_until(name: str, proc: subprocess.Popen | None, check, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SiteError(f"{name} exited (code {proc.returncode}): {log_tail(name)} (log: {STATE}/log/{name}.log)")
        try:
            if check():
                return
        except (OSError, ssl.SSLError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    raise SiteError(f"{name} did not answer within {seconds:.0f} s: {log_tail(name)} (log: {STATE}/log/{name}.log)")


def stop(name: str) -> bool:
    pid = running_pid(name)
    pid_file(name).unlink(missing_ok=True)
    if pid is None:
        return False
    sig = SERVICES[name][1]
    for s, wait in ((sig, 15.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            if s == signal.SIGKILL:
                os.killpg(pid, s)  # the whole group: workers too
            else:
                os.kill(pid, s)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if not Path(f"/proc/{pid}").exists() or _zombie(pid):
                return True
            time.sleep(0.1)
    return True


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def stop_all(quiet: bool = False) -> list[str]:
    stopped = [n for n in reversed(list(SERVICES)) if stop(n)]
    if not quiet:
        say("== stopped " + (", ".join(stopped) if stopped else "nothing (nothing was running)"))
    return stopped


# --- the Moodle release ---------------------------------------------------------------------------

def template_moodle_version() -> str:
    """template.yaml's Parameters.MoodleVersion default (a plain scan: the file has CloudFormation tags)."""
    text = (ROOT / "template.yaml").read_text()
    m = re.search(r"^  MoodleVersion:\n(?:    .*\n)*?    Default: '?([0-9.]+)'?", text, re.M)
    if not m:
        raise SiteError("template.yaml has no Parameters.MoodleVersion default")
    return m.group(1)


def release_url(version: str) -> str:
    """MoodleDownloads.releaseUrl: stable<major><2-digit minor>/moodle-x.y.z.tgz (x.y.tgz for x.y.0)."""
    major, minor, *rest = (int(x) for x in version.split("."))
    branch = f"{major}{minor:02d}" if major >= 4 else f"{major}{minor}"
    patch = rest[0] if rest else 0
    file = f"moodle-{major}.{minor}.tgz" if patch == 0 else f"moodle-{major}.{minor}.{patch}.tgz"
    return f"{DOWNLOAD_BASE}stable{branch}/{file}"


def sums_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and re.fullmatch(r"[0-9a-f]{64}", parts[0]):
            out[parts[1].lstrip("*")] = parts[0]
    return out


def check(path: Path, expected: str, source: str) -> str:
    actual = sha256(path)
    if actual != expected:
        raise SiteError(f"{path} has SHA-256 {actual}, expected {expected} ({source}): not using it")
    return actual


def version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path.name))


def cached_release(version: str) -> Path | None:
    """The cached archive of `version`, else the newest one cached (each with its .sha256)."""
    found = [p for p in CACHE.glob("moodle-*.tgz") if (CACHE / f"{p.name}.sha256").is_file()]
    exact = [p for p in found if p.name == f"moodle-{version}.tgz"]
    return (exact or sorted(found, key=version_key) or [None])[-1]


def remember(path: Path, digest: str) -> None:
    """Keeps a verified copy in the cache, so that a clone that has no ../shared/moodle beside it
    (a CI checkout on the same machine, say) finds the release without a download."""
    target = CACHE / path.name
    if target.is_file() and (CACHE / f"{path.name}.sha256").is_file() \
            and (CACHE / f"{path.name}.sha256").read_text().split()[0] == digest:
        return
    mkdir(CACHE)
    part = target.with_suffix(".part")
    shutil.copyfile(path, part)
    check(part, digest, "the copy just made")
    os.replace(part, target)
    (CACHE / f"{path.name}.sha256").write_text(f"{digest}  {path.name}\n")
    say(f"   kept a copy in {target}")


def find_release() -> tuple[Path, str, str]:
    """(archive, sha256, which source) in the order: $MOODLE_RELEASE_TGZ, ../shared/moodle,
    ~/.cache/moodle-autopilot, download.moodle.org. Every archive is checked against a SHA-256."""
    env = os.environ.get("MOODLE_RELEASE_TGZ")
    if env:
        path = Path(env).resolve()
        if not path.is_file():
            raise SiteError(f"MOODLE_RELEASE_TGZ={env} is not a file")
        want = os.environ.get("MOODLE_RELEASE_SHA256", "").strip().lower()
        digest = check(path, want, "MOODLE_RELEASE_SHA256") if want else sha256(path)
        return path, digest, "MOODLE_RELEASE_TGZ" + ("" if want else " (no MOODLE_RELEASE_SHA256 to check it against)")
    shared = sorted(SHARED_MOODLE.glob("moodle-*.tgz"))
    if shared:
        path = shared[-1]
        sums = sums_file(SHARED_MOODLE / "SHA256SUMS") if (SHARED_MOODLE / "SHA256SUMS").is_file() else {}
        if path.name not in sums:
            raise SiteError(f"{SHARED_MOODLE}/SHA256SUMS has no checksum for {path.name}")
        digest = check(path, sums[path.name], f"{SHARED_MOODLE}/SHA256SUMS")
        remember(path, digest)
        return path, digest, f"shared copy {path}"
    version = template_moodle_version()
    cached = cached_release(version)
    if cached:
        want = (CACHE / f"{cached.name}.sha256").read_text().split()[0]
        return cached, check(cached, want, f"{cached}.sha256"), f"cache {cached}" + (
            "" if cached.name == f"moodle-{version}.tgz" else f" (template.yaml's MoodleVersion {version} is not cached)")
    url = release_url(version)
    say(f"== downloading Moodle {version} (template.yaml MoodleVersion) from {url}")
    # The checksum: MOODLE_RELEASE_SHA256, else the .sha256 file download.moodle.org publishes
    # beside each package (tried at the direct URL and at the plain stable<branch>/ path).
    want = os.environ.get("MOODLE_RELEASE_SHA256", "").strip().lower()
    errors = []
    for sums_url in ([] if want else [url + ".sha256", url.replace("download.php/direct/", "") + ".sha256"]):
        try:
            with urllib.request.urlopen(sums_url, timeout=60) as r:
                want = (r.read(4096).decode(errors="replace").split() or [""])[0].lower()
            if re.fullmatch(r"[0-9a-f]{64}", want):
                break
            errors.append(f"{sums_url}: no SHA-256 in it")
            want = ""
        except Exception as e:  # noqa: BLE001 - any failure means: no checksum from there
            errors.append(f"{sums_url}: {e}")
    if not re.fullmatch(r"[0-9a-f]{64}", want):
        raise SiteError(f"no SHA-256 for {url} ({'; '.join(errors) or 'MOODLE_RELEASE_SHA256 is not a SHA-256'}); "
                        f"set MOODLE_RELEASE_SHA256, or put a release at $MOODLE_RELEASE_TGZ or in {SHARED_MOODLE}")
    mkdir(CACHE)
    part = cached.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=600) as r, open(part, "wb") as f:
            shutil.copyfileobj(r, f, 1 << 20)
        check(part, want, f"{url}.sha256")
    except SiteError:
        part.unlink(missing_ok=True)
        raise
    except Exception as e:  # noqa: BLE001
        part.unlink(missing_ok=True)
        raise SiteError(f"downloading {url} failed: {e}")
    os.replace(part, cached)
    (CACHE / f"{cached.name}.sha256").write_text(f"{want}  {cached.name}\n")
    return cached, want, f"download {url} (cached in {cached})"


def layout(root: Path) -> str | None:
    """lib.sh's moodle_layout: "public" (Moodle 5.1 and later: the web code under public/),
    "classic" (version.php at the top), or None (no Moodle release here)."""
    if (root / "public" / "version.php").is_file() and (root / "public" / "lib" / "setup.php").is_file():
        return "public"
    return "classic" if (root / "version.php").is_file() else None


def unpack_release(archive: Path, digest: str, dirroot: Path) -> None:
    """install-release.sh's unpack: moodle/ (or the archive's root) into dirroot, root:web group,
    u=rwX,g=rX,o=, with the .autopilot-release marker; an unpacked release with the same SHA-256 is reused."""
    marker = dirroot / ".autopilot-release"
    if dirroot.is_symlink():
        dirroot.unlink()  # a deployment's release (deploy), plugins and all: not the one to start from
    if marker.is_file() and f"sha256={digest}" in marker.read_text():
        say(f"   release {digest[:16]} is already unpacked in {dirroot}")
        return
    staging = dirroot.parent / f".staging-{digest[:16]}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(dirroot, ignore_errors=True)
    mkdir(staging)
    run(["tar", "-xzf", str(archive), "-C", str(staging), "--no-same-owner"], f"unpacking {archive.name}")
    root = staging / "moodle" if layout(staging / "moodle") else staging
    if not layout(root):
        shutil.rmtree(staging, ignore_errors=True)
        raise SiteError(f"{archive.name} has no version.php (neither at its root nor under moodle/, nor under public/ there)")
    if IS_ROOT:
        run(["chown", "-R", f"root:{WEB_USER}", str(root)], "chown of the release")
    run(["chmod", "-R", "u=rwX,g=rX,o=", str(root)], "chmod of the release")
    (root / ".autopilot-release").write_text(f"archive={archive.name}\nsha256={digest}\n")
    os.rename(root, dirroot)
    shutil.rmtree(staging, ignore_errors=True)


# --- certificates ---------------------------------------------------------------------------------

def make_certificates() -> Path:
    """A local CA and one server certificate for localhost and 127.0.0.1 (openssl CLI)."""
    tls = mkdir(STATE / "tls")
    ca, crt = tls / "ca.crt", tls / "server.crt"
    if ca.is_file() and crt.is_file() and (tls / "server.key").is_file():
        r = subprocess.run(["openssl", "x509", "-checkend", "86400", "-noout", "-in", str(crt)], capture_output=True)
        if r.returncode == 0:
            return tls
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
         "-keyout", str(tls / "ca.key"), "-out", str(ca), "-subj", "/CN=Moodle Autopilot local CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        "openssl (the local CA)")
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tls / "server.key"),
         "-out", str(tls / "server.csr"), "-subj", "/CN=localhost"], "openssl (the server key)")
    write(tls / "server.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
          "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(["openssl", "x509", "-req", "-in", str(tls / "server.csr"), "-CA", str(ca), "-CAkey", str(tls / "ca.key"),
         "-CAcreateserial", "-CAserial", str(tls / "ca.srl"), "-days", "825", "-sha256",
         "-extfile", str(tls / "server.ext"), "-out", str(crt)], "openssl (the server certificate)")
    for key in ("ca.key", "server.key"):
        os.chmod(tls / key, 0o600)
    # One copy of the key per server user: PostgreSQL insists its key is its own and 0600.
    for user in {PG_USER, REDIS_USER}:
        copy = tls / f"server-{user}.key"
        shutil.copyfile(tls / "server.key", copy)
        os.chmod(copy, 0o600)
        if IS_ROOT:
            os.chown(copy, *ids(user))
    return tls


def make_mail_certificate(tls: Path) -> dict:
    """A certificate for scripts/mail_relay.py (SES's SMTP interface), signed by the site's CA, which
    PHP already trusts (95-local-ca.ini): Moodle's PHPMailer verifies it after STARTTLS as it
    verifies SES's public certificate against the OS bundle on the instances."""
    ca, ca_key = tls / "ca.crt", tls / "ca.key"
    if not (ca.is_file() and ca_key.is_file()):
        raise SiteError(f"the site's CA is not in {tls}: run up first")
    key, csr, ext, crt = tls / "mail.key", tls / "mail.csr", tls / "mail.ext", tls / "mail.crt"
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
         "-subj", "/CN=localhost"], "openssl (the mail relay's key)")
    os.chmod(key, 0o600)
    write(ext, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
          "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
         "-CAcreateserial", "-CAserial", str(tls / "ca.srl"), "-days", "825", "-sha256",
         "-extfile", str(ext), "-out", str(crt)], "openssl (the mail relay's certificate)")
    return {"cert": str(crt), "key": str(key), "ca": str(ca)}


def mail_cert(args) -> int:
    """The mail relay's certificate and key: their paths (and the CA's) as JSON on stdout."""
    print(json.dumps(make_mail_certificate(STATE / "tls")))
    return 0


# --- PostgreSQL (Aurora) --------------------------------------------------------------------------

def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise SiteError("PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin): run scripts/local-site up")
    return Path(found[-1]).parent


def start_postgres(port: int, tls: Path, db_password: str, master_password: str) -> None:
    bin_ = pg_bin()
    pg = mkdir(STATE / "pg", PG_USER, 0o700)
    data, sock = pg / "data", mkdir(pg / "run", PG_USER, 0o700)
    if not (data / "PG_VERSION").is_file():
        say(f"   initdb {data} ({bin_.parent.name}, UTF8)")
        # Into a temporary directory first: an initdb that was interrupted leaves no half data dir.
        tmp = pg / "data.initdb"
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
        run([str(bin_ / "initdb"), "-D", str(tmp), "-U", PG_USER, "--auth-local=peer", "--auth-host=reject",
             "--encoding=UTF8", "--locale=C.UTF-8"], "initdb", user=PG_USER)
        os.rename(tmp, data)
    # The server's settings, rewritten every start: TLS on, loopback only, TLS-only logins for Moodle.
    write(data / "postgresql.auto.conf",
          "# written by scripts/local_site.py\n"
          f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{sock}'\n"
          f"ssl = on\nssl_cert_file = '{tls / 'server.crt'}'\nssl_key_file = '{tls / f'server-{PG_USER}.key'}'\n"
          "ssl_min_protocol_version = 'TLSv1.2'\npassword_encryption = 'scram-sha-256'\n"
          "max_connections = 50\nshared_buffers = '128MB'\nfsync = off\nsynchronous_commit = off\n"
          "full_page_writes = off\n", 0o600, PG_USER)
    write(data / "pg_hba.conf",
          "# written by scripts/local_site.py: the superuser through the socket (peer), Moodle over TLS only\n"
          f"local all {PG_USER} peer\n"
          f"hostssl {DB_NAME} {DB_USER} 127.0.0.1/32 scram-sha-256\n"
          f"hostssl {DB_NAME} {MASTER_USER} 127.0.0.1/32 scram-sha-256\n", 0o600, PG_USER)
    proc = spawn("postgres", [str(bin_ / "postgres"), "-D", str(data)], user=PG_USER)
    wait_until("postgres", proc, lambda: subprocess.run(
        [str(bin_ / "pg_isready"), "-q", "-h", str(sock), "-p", str(port)]).returncode == 0, 60)
    psql = [str(bin_ / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(sock), "-p", str(port),
            "-U", PG_USER, "-d", "postgres"]
    # The password goes on psql's stdin, never in an argv.
    run(psql, "creating the database user", user=PG_USER, input=(
        f"SELECT 'CREATE ROLE {DB_USER} LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{DB_USER}')\\gexec\n"
        f"ALTER ROLE {DB_USER} LOGIN PASSWORD '{db_password}';\n"
        # Aurora's master user (rds_superuser there): what a deployment's ensure-app-user.sh logs in with.
        f"SELECT 'CREATE ROLE {MASTER_USER} LOGIN SUPERUSER' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{MASTER_USER}')\\gexec\n"
        f"ALTER ROLE {MASTER_USER} LOGIN SUPERUSER PASSWORD '{master_password}';\n"
        f"SELECT 'CREATE DATABASE {DB_NAME} OWNER {DB_USER} ENCODING ''UTF8'' TEMPLATE template0' "
        f"WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}')\\gexec\n"))


def pg_tls_check(port: int, tls: Path, secret: dict) -> str:
    """A login as Moodle's user with libpq's verify-full against the local CA; pg_stat_ssl's answer."""
    # The password in a 0600 passfile, never in an argv or the environment.
    passfile = write(STATE / "run" / "pgpass", f"127.0.0.1:{port}:{DB_NAME}:{DB_USER}:{secret['password']}\n", 0o600)
    env = dict(os.environ, PGPASSFILE=str(passfile), PGSSLMODE="verify-full", PGSSLROOTCERT=str(tls / "ca.crt"))
    out = run([str(pg_bin() / "psql"), "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER, "-d", DB_NAME,
               "-c", "SELECT version || ' ' || cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl"],
              "a TLS login to PostgreSQL", env=env)
    if not out.strip():
        raise SiteError("PostgreSQL accepted a login without TLS")
    return out.strip()


# --- Redis (Valkey) -------------------------------------------------------------------------------

def redis_ping(port: int, ca: Path) -> bool:
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")


def start_redis(name: str, port: int, tls: Path) -> None:
    d = mkdir(STATE / name, REDIS_USER, 0o700)
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    proc = spawn(name, [exe, "--bind", "127.0.0.1", "--port", "0", "--tls-port", str(port),
                        "--tls-cert-file", str(tls / "server.crt"), "--tls-key-file", str(tls / f"server-{REDIS_USER}.key"),
                        "--tls-ca-cert-file", str(tls / "ca.crt"), "--tls-auth-clients", "no",
                        "--dir", str(d), "--save", "", "--appendonly", "no", "--daemonize", "no",
                        "--protected-mode", "yes", "--maxmemory", "128mb", "--maxmemory-policy", "volatile-lru"],
                 user=REDIS_USER)
    wait_until(name, proc, lambda: redis_ping(port, tls / "ca.crt"), 30)


# --- PHP-FPM and Apache from the bundle's files ---------------------------------------------------

def php_env(tls: Path) -> dict:
    """The environment of every PHP process: the bundle's php-moodle.ini after the package's own
    files (as /etc/php.d/90-moodle.ini on the instances), and libpq's root certificate."""
    return dict(os.environ, PHP_INI_SCAN_DIR=":" + str(STATE / "php" / "conf.d"), PGSSLROOTCERT=str(tls / "ca.crt"))


def configure_php(tls: Path) -> None:
    confd = mkdir(STATE / "php" / "conf.d")
    shutil.copyfile(BUNDLE / "config" / "php-moodle.ini", confd / "90-moodle.ini")
    # PHP's TLS streams (phpredis: sessions and the application cache) trust the local CA, as the
    # instances' trust the public CA ElastiCache's certificates chain to.
    write(confd / "95-local-ca.ini", f"; scripts/local_site.py: the local CA\nopenssl.cafile = {tls / 'ca.crt'}\n")


def fpm_binary() -> str:
    found = sorted(glob.glob("/usr/sbin/php-fpm*"))
    if not found:
        raise SiteError("php-fpm is not installed: run scripts/local-site up")
    return found[-1]


def check_php_extensions(tls: Path) -> None:
    env = php_env(tls)
    for what, argv in (("the PHP CLI", ["php", "-m"]), ("PHP-FPM", [fpm_binary(), "-m"])):
        have = {line.strip().lower() for line in run(argv, f"{what} -m", env=env).splitlines()}
        missing = [e for e in REQUIRED_EXTENSIONS if e not in have]
        if missing:
            raise SiteError(f"{what} lacks the PHP extension(s) {', '.join(missing)} that Moodle needs "
                            "(scripts/local-site up installs them: lib.sh ensure_site_packages)")


def start_php_fpm(tls: Path, sock: Path) -> None:
    fpm = mkdir(STATE / "php-fpm")
    logs = mkdir(STATE / "log" / "php-fpm", WEB_USER, 0o770)
    pool = (BUNDLE / "config" / "php-fpm-www.conf").read_text()
    # bootstrap.sh's substitution, then the local paths and user in place of the instance's.
    pool = pool.replace("@PM_MAX_CHILDREN@", PM_MAX_CHILDREN)
    pool = pool.replace("/run/php-fpm/www.sock", str(sock)).replace("/var/log/php-fpm", str(logs))
    if IS_ROOT:
        pool = re.sub(r"^(user|group|listen\.owner|listen\.group) = apache$", rf"\1 = {WEB_USER}", pool, flags=re.M)
    else:
        pool = re.sub(r"^(user|group|listen\.owner|listen\.group) = .*\n", "", pool, flags=re.M)
    # As bootstrap.sh does for verify-full: libpq in the workers finds the CA through PGSSLROOTCERT.
    pool += f"env[PGSSLROOTCERT] = {tls / 'ca.crt'}\n"
    # A directory's CA for Moodle's auth_ldap (libldap reads LDAPTLS_CACERT), when `up` is given one:
    # what an instance's system trust would hold for the organisation's directory.
    if os.environ.get("LDAPTLS_CACERT"):
        pool += f"env[LDAPTLS_CACERT] = {os.environ['LDAPTLS_CACERT']}\n"
    write(fpm / "www.conf", pool)
    write(fpm / "php-fpm.conf",
          "; scripts/local_site.py: PHP-FPM's global section; the pool is the bundle's php-fpm-www.conf\n"
          f"[global]\npid = {STATE / 'run' / 'php-fpm.master.pid'}\nerror_log = {STATE / 'log' / 'php-fpm.log'}\n"
          f"daemonize = no\ninclude = {fpm / 'www.conf'}\n")
    run([fpm_binary(), "-t", "-y", str(fpm / "php-fpm.conf")], "php-fpm -t (the pool configuration)", env=php_env(tls))
    proc = spawn("php-fpm", [fpm_binary(), "-y", str(fpm / "php-fpm.conf"), "-F"], env=php_env(tls))
    wait_until("php-fpm", proc, lambda: sock.is_socket(), 30)


def vhost(dirroot: Path, sock: Path, port: int) -> str:
    conf = (BUNDLE / "config" / "httpd-moodle.conf").read_text()
    # bootstrap.sh's substitutions (lib.sh, render_vhost): @DOCUMENT_ROOT@ is the release's document
    # root, dirroot/public for Moodle 5.1 and later (layout()), else dirroot; @HEALTH_PAGE@ is the
    # bundle's health.php.
    docroot = dirroot / "public" if layout(dirroot) == "public" else dirroot
    conf = conf.replace("@DOCUMENT_ROOT@", str(docroot))
    conf = conf.replace("@HEALTH_PAGE@", str(BUNDLE / "config" / "health.php"))
    # Local only: PHP-FPM's socket, the listen address, and the loopback as the load balancer's
    # node for the health page (the vhost admits only the VPC's private ranges).
    conf = conf.replace("proxy:unix:/run/php-fpm/www.sock|", f"proxy:unix:{sock}|")
    conf = conf.replace("<VirtualHost *:80>", f"<VirtualHost 127.0.0.1:{port}>")
    conf, n = re.subn(r"(<Location /autopilot-health>\s*\n\s*Require ip [^\n]*)", r"\1 127.0.0.1", conf)
    for needle, what in ((f"DocumentRoot {docroot}\n", "the document root"), (str(sock), "the PHP-FPM socket"),
                         (f"127.0.0.1:{port}>", "the port")):
        if needle not in conf:
            raise SiteError(f"bundle/files/config/httpd-moodle.conf changed: {what} could not be substituted")
    if n != 1:
        raise SiteError("bundle/files/config/httpd-moodle.conf changed: the health page's Require ip line was not found")
    return conf


def start_apache(dirroot: Path, sock: Path, port: int) -> None:
    base = mkdir(STATE / "apache")
    mkdir(base / "logs")
    mkdir(base / "run")
    write(base / "moodle.conf", vhost(dirroot, sock, port))
    mods = "/usr/lib/apache2/modules"
    modules = ["mpm_event", "authz_core", "authz_host", "alias", "dir", "mime", "proxy", "proxy_fcgi",
               "remoteip", "headers", "rewrite", "setenvif"]
    main = [f"# scripts/local_site.py: a minimal main configuration around the bundle's vhost",
            f'ServerRoot "{base}"', f'DefaultRuntimeDir "{base / "run"}"', f'PidFile "{base / "run" / "apache2.pid"}"',
            f"Listen 127.0.0.1:{port}", "ServerName 127.0.0.1", f'ErrorLog "{base / "logs" / "error.log"}"', "LogLevel warn"]
    main += [f"LoadModule {m}_module {mods}/mod_{m}.so" for m in modules]
    if IS_ROOT:
        main += [f"User {WEB_USER}", f"Group {WEB_USER}"]
    main += ["TypesConfig /etc/mime.types", "AddDefaultCharset UTF-8",
             # A small event MPM for two cores.
             "StartServers 1", "ServerLimit 4", "ThreadsPerChild 16", "MaxRequestWorkers 64",
             "MinSpareThreads 8", "MaxSpareThreads 32",
             # Nothing outside what the vhost grants (as AL2023's httpd.conf).
             "<Directory />", "    AllowOverride None", "    Require all denied", "</Directory>",
             f'Include "{base / "moodle.conf"}"', ""]
    write(base / "httpd.conf", "\n".join(main))
    run(["apache2", "-t", "-f", str(base / "httpd.conf")], "apache2 -t (the configuration)")
    proc = spawn("apache", ["apache2", "-f", str(base / "httpd.conf"), "-DFOREGROUND"])
    wait_until("apache", proc, lambda: http_get(port, "/autopilot-health")[0] > 0, 30)


def http_get(port: int, path: str, timeout: float = 60) -> tuple[int, str]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    finally:
        c.close()


# --- config.php and the install -------------------------------------------------------------------

def site_config(url: str, pg_port: int, db_tls: str, dirroot: Path) -> dict:
    """The site configuration, as the template publishes it (every value a string)."""
    return {
        "stack": "local-site", "region": "local", "wwwroot": url, "sslproxy": "false", "dbtype": "pgsql",
        "dbhost": "127.0.0.1", "dbreader": "", "dbport": str(pg_port),
        "dbname": DB_NAME, "prefix": PREFIX, "db_tls": db_tls,
        "dataroot": str(STATE / "moodledata"), "dirroot": str(dirroot), "localcachedir": str(STATE / "localcache"),
        "install_mode": "Unattended", "admin_email": "admin@example.invalid",
        "site_fullname": "Moodle Autopilot local site", "site_shortname": "local",
    }


def render_config(site: dict, secret_path: Path, session_path: Path | None, dirroot: Path, tls: Path) -> None:
    """render-config.sh's steps: render from stdin, php -l, 0640 root:web group, atomic rename."""
    site_path = write(STATE / "site.json", json.dumps(site, indent=1) + "\n")
    argv = ["php", str(BUNDLE / "config" / "render-config.php"), f"--site={site_path}",
            f"--layout={layout(dirroot) or 'classic'}"]
    if session_path:
        argv.append(f"--session={session_path}")
    rendered = run(argv, "render-config.php", input=secret_path.read_text(), env=php_env(tls))
    tmp = write(dirroot / ".config.php.new", rendered, 0o640, "root" if IS_ROOT else None, WEB_USER if IS_ROOT else None)
    run(["php", "-l", str(tmp)], "php -l of the rendered config.php")
    os.replace(tmp, dirroot / "config.php")


def install_state(dirroot: Path, tls: Path) -> str:
    return run(["php", str(BUNDLE / "config" / "install-state.php"), str(dirroot)], "install-state.php",
               user=WEB_USER, env=php_env(tls)).strip()


def install_moodle(dirroot: Path, tls: Path, site: dict, admin: dict) -> float:
    """bootstrap.sh's unattended_install: install-database.php as the web user, the admin secret on stdin."""
    log = STATE / "log" / "install.log"
    argv = ["php", str(BUNDLE / "config" / "install-database.php"), str(dirroot), "--agree-license", "--lang=en",
            f"--adminemail={site['admin_email']}", f"--fullname={site['site_fullname']}",
            f"--shortname={site['site_shortname']}"]
    start = time.monotonic()
    with open(log, "w") as out:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, text=True,
                             env=user_env(php_env(tls), WEB_USER), cwd="/", **as_user(WEB_USER))
        try:
            p.stdin.write(json.dumps(admin))
            p.stdin.close()
            last = start
            while p.poll() is None:
                time.sleep(1)
                if time.monotonic() - last >= 15:
                    last = time.monotonic()
                    lines = log.read_text(errors="replace").splitlines()
                    plugin = next((l.strip() for l in reversed(lines) if l.startswith("-->")), "core")
                    say(f"   ... installing, {last - start:.0f} s ({len(lines)} lines of output; at {plugin.lstrip('->')})")
        finally:
            if p.poll() is None:  # interrupted: the installer does not outlive us
                p.kill()
                p.wait()
    took = time.monotonic() - start
    if p.returncode != 0:
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-3:])
        raise SiteError(f"Moodle's CLI installer failed (exit {p.returncode}) after {took:.0f} s: {tail} (log: {log}); "
                        "the database is now partial: scripts/local-site down --purge, then up")
    return took


def configure_muc(dirroot: Path, tls: Path, port: int) -> str:
    """apply-moodle-config.sh's muc step: configure-muc.php as the web user, the converger's payload
    on stdin (no settings; the application cache on Redis with TLS), the CA to verify it with."""
    payload = {"settings": {}, "applicationCache": {"engine": "redis", "host": "localhost", "port": port, "tls": True}}
    out = run(["php", str(BUNDLE / "moodle" / "configure-muc.php"), "--payload=-", f"--dirroot={dirroot}",
               f"--cafile={tls / 'ca.crt'}"], "configure-muc.php", user=WEB_USER, input=json.dumps(payload),
              env=php_env(tls))
    return out.strip().splitlines()[-1] if out.strip() else "(no result line)"


def session_config(port: int) -> dict:
    """What the LifecycleConverger publishes for Valkey with TLS (SessionConfigRenderer.redis)."""
    return {"session_handler_class": "\\core\\session\\redis", "session_redis_host": "localhost",
            "session_redis_port": port, "session_redis_database": 0, "session_redis_prefix": "sess_",
            "session_redis_acquire_lock_timeout": 120, "session_redis_lock_expire": 7200,
            "session_redis_encrypt": {"verify_peer": True, "verify_peer_name": True}}


# --- commands -------------------------------------------------------------------------------------

def load_state() -> dict:
    try:
        return json.loads((STATE / "state.json").read_text())
    except (OSError, ValueError):
        return {}


def pick_port(wanted: int | None, previous: int | None, what: str) -> int:
    if wanted:
        if not port_free(wanted):
            raise SiteError(f"port {wanted} on 127.0.0.1 ({what}) is in use")
        return wanted
    if previous and port_free(previous):
        return previous
    return free_port()


def secret_file(name: str, username: str) -> dict:
    path = STATE / f"{name}.json"
    try:
        value = json.loads(path.read_text())
        if value.get("username") == username and value.get("password"):
            return value
    except (OSError, ValueError):
        pass
    value = {"username": username, "password": secrets.token_hex(16) if name.startswith("db-") else policy_password()}
    write(path, json.dumps(value) + "\n", 0o600)
    return value


def policy_password() -> str:
    """A password Moodle's default password policy accepts (its web installer's admin form checks
    it: 8 characters, a digit, a lower and an upper case letter, a symbol), as the template's
    AdminSecret generates one (RequireEachIncludedType); symbols that need no quoting anywhere."""
    rng = secrets.SystemRandom()
    classes = ("abcdefghijkmnopqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "-_.+=#%")
    chars = [rng.choice(c) for c in classes] + [rng.choice("".join(classes)) for _ in range(20)]
    rng.shuffle(chars)
    return "".join(chars)


def up(args) -> int:
    t0 = time.monotonic()
    timings: dict[str, float] = {}

    def step(name: str, since: float) -> float:
        timings[name] = time.monotonic() - since
        return time.monotonic()

    old = load_state()
    options = {"dbTls": args.db_tls, "databaseSessions": args.database_sessions, "noCache": args.no_cache}
    if old and all(running_pid(n) for n in SERVICES) and args.port in (None, old.get("httpPort")) \
            and old.get("options") == options:
        say("local site already up")
        print_site(old)
        return 0
    stop_all(quiet=True)
    for d in ("run", "log"):
        mkdir(STATE / d)

    def terminated(signum, frame):
        raise SiteError(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGHUP, terminated)
    try:
        ports = {"http": pick_port(args.port, old.get("httpPort"), "the site"),
                 "postgres": pick_port(None, old.get("postgresPort"), "PostgreSQL")}
        ports["redisSessions"] = pick_port(None, old.get("redisSessionsPort"), "Redis")
        ports["redisCache"] = pick_port(None, old.get("redisCachePort"), "Redis")
        if len(set(ports.values())) != 4:
            raise SiteError("could not find four distinct free ports")
        url = f"http://127.0.0.1:{ports['http']}"
        t = time.monotonic()
        say("== the Moodle release")
        archive, digest, source = find_release()
        say(f"   source: {source}")
        say(f"   {archive.name} SHA-256 {digest} (verified)" if "no MOODLE_RELEASE_SHA256" not in source
            else f"   {archive.name} SHA-256 {digest}")
        dirroot = mkdir(STATE / "www") / "moodle"
        unpack_release(archive, digest, dirroot)
        t = step("release", t)

        say("== certificates (a local CA; server certificate for localhost and 127.0.0.1)")
        tls = make_certificates()
        configure_php(tls)
        check_php_extensions(tls)
        t = step("certificates", t)

        db_secret = secret_file("db-secret", DB_USER)
        master_secret = secret_file("db-master-secret", MASTER_USER)
        admin = secret_file("admin-secret", "admin")
        say(f"== PostgreSQL {pg_bin().parent.name} with TLS (standing for Aurora) on 127.0.0.1:{ports['postgres']}")
        start_postgres(ports["postgres"], tls, db_secret["password"], master_secret["password"])
        say(f"   TLS login as {DB_USER} (verify-full against the local CA): {pg_tls_check(ports['postgres'], tls, db_secret)}")
        t = step("postgres", t)

        for name, key in (("redis-sessions", "redisSessions"), ("redis-cache", "redisCache")):
            say(f"== {name}: Redis with TLS only (standing for Valkey) on 127.0.0.1:{ports[key]}")
            start_redis(name, ports[key], tls)
        t = step("redis", t)

        mkdir(STATE / "moodledata", WEB_USER, 0o2770)
        mkdir(STATE / "localcache", WEB_USER, 0o2770)
        site = site_config(url, ports["postgres"], args.db_tls, dirroot)
        say(f"== config.php (bundle/files/config/render-config.php; db_tls {args.db_tls}, database sessions)")
        render_config(site, STATE / "db-secret.json", None, dirroot, tls)
        state = {"url": url, "httpPort": ports["http"], "postgresPort": ports["postgres"],
                 "redisSessionsPort": ports["redisSessions"], "redisCachePort": ports["redisCache"],
                 "dirroot": str(dirroot), "release": source, "sha256": digest, "options": options,
                 "site": site, "ca": str(tls / "ca.crt"), "dbSecret": str(STATE / "db-secret.json"),
                 "dbMasterSecret": str(STATE / "db-master-secret.json")}
        write(STATE / "state.json", json.dumps(state, indent=1) + "\n")

        sock = STATE / "run" / "php-fpm.sock"
        say(f"== PHP-FPM (bundle/files/config/php-fpm-www.conf, php-moodle.ini) on {sock}")
        start_php_fpm(tls, sock)
        say(f"== Apache (bundle/files/config/httpd-moodle.conf) on 127.0.0.1:{ports['http']}")
        start_apache(dirroot, sock, ports["http"])
        t = step("web tier", t)

        current = install_state(dirroot, tls)
        say(f"== install state: {current}")
        if current == "empty" and args.no_install:
            say("== left for the install to come (--no-install): the web tier serves an empty database")
            check_health(ports["http"], url)
            step("checks", t)
            raise Installing()
        if current == "empty":
            say("== installing Moodle's database (install-database.php as "
                f"{WEB_USER}; a few minutes; output in {STATE}/log/install.log)")
            took = install_moodle(dirroot, tls, site, admin)
            timings["install"] = took
            say(f"   Moodle installed in {took:.0f} s")
            current = install_state(dirroot, tls)
            say(f"== install state: {current}")
        elif current != "installed":
            raise SiteError(f"the database is '{current}', not installable: scripts/local-site down --purge, then up")
        if current != "installed":
            raise SiteError(f"install-state.php says '{current}' after the install")
        t = time.monotonic()

        if not args.no_cache:
            say(f"== application cache (MUC) on redis-cache 127.0.0.1:{ports['redisCache']}: bundle/files/moodle/configure-muc.php")
            say("   " + configure_muc(dirroot, tls, ports["redisCache"]))
        if not args.database_sessions:
            path = write(STATE / "session.json", json.dumps(session_config(ports["redisSessions"])) + "\n")
            say("== config.php again with the converger's Redis session settings (TLS, peer verified) "
                f"on 127.0.0.1:{ports['redisSessions']}")
            render_config(site, STATE / "db-secret.json", path, dirroot, tls)
            os.kill(running_pid("php-fpm"), signal.SIGUSR2)  # start.sh's reload: fresh workers
            time.sleep(1)

        say("== checks")
        check_health(ports["http"], url)
        code, body = http_get(ports["http"], "/login/index.php")
        say(f"   GET {url}/login/index.php: {code}" + (" (the login form)" if 'id="login"' in body else ""))
        if code != 200:
            raise SiteError(f"the login page answered {code}, not 200 (logs: {STATE}/log/)")
        step("checks", t)
    except Installing:
        pass
    except BaseException as e:
        stopped = stop_all(quiet=True)
        say("   stopped what had started: " + (", ".join(stopped) if stopped else "nothing"))
        if isinstance(e, SiteError):
            say(f"error: {e}")
            return 2
        if isinstance(e, KeyboardInterrupt):
            say("error: interrupted")
            return 130
        raise
    timings["total"] = time.monotonic() - t0
    say("local site up: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    print_site(state)
    return 0


class Installing(Exception):
    """`up --no-install` stops before the install: not a failure, nothing is stopped."""


def check_health(port: int, url: str) -> None:
    code, body = http_get(port, "/autopilot-health")
    say(f"   GET {url}/autopilot-health: {code} {body.strip()}")
    if (code, body.strip()) != (200, "ok"):
        raise SiteError(f"the health page answered {code} {body.strip()[:80]} (PHP-FPM's log: {STATE}/log/php-fpm/)")


def install(args) -> int:
    """The Unattended install on a site that `up --no-install` left empty (what the bootstrap does on
    the first instance): install-database.php, then install-state.php must say installed."""
    state = load_state()
    if not state or not running_pid("php-fpm"):
        raise SiteError("the local site is not up: scripts/local-site up --no-install first")
    tls, dirroot = STATE / "tls", Path(state["dirroot"])
    current = install_state(dirroot, tls)
    if current != "empty":
        raise SiteError(f"the database is '{current}', not empty: nothing to install")
    say(f"== installing Moodle's database (install-database.php as {WEB_USER}; output in {STATE}/log/install.log)")
    took = install_moodle(dirroot, tls, state["site"], json.loads((STATE / "admin-secret.json").read_text()))
    current = install_state(dirroot, tls)
    say(f"   installer exited after {took:.1f} s; install state: {current}")
    print(json.dumps({"installSeconds": round(took, 1), "state": current}))
    return 0 if current == "installed" else 1


# What the instance has at /opt/moodle-autopilot/bundle is bundle/files here.
INSTANCE_BUNDLE = "/opt/moodle-autopilot/bundle"

SYSTEMCTL_SHIM = """#!/usr/bin/env bash
# scripts/local_site.py: systemctl for the bundle's start.sh on the local site, whose PHP-FPM and
# Apache are private processes, not systemd units. reload = start.sh's reload (PHP-FPM: SIGUSR2,
# fresh workers; Apache: SIGUSR1, graceful); a stopped service is not started from here.
set -euo pipefail
run=%(run)s
verb=$1; shift
[ "${1:-}" = --quiet ] && shift
[ "$verb" = enable ] && exit 0
case "${1:-}" in
  php-fpm) name=php-fpm; sig=USR2 ;;
  httpd) name=apache; sig=USR1 ;;
  *) echo "systemctl (local site): unknown unit ${1:-}" >&2; exit 1 ;;
esac
pid=$(cat "$run/$name.pid" 2>/dev/null || true)
case "$verb" in
  is-active) [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null ;;
  reload) [ -n "$pid" ] && kill -s "$sig" "$pid" ;;
  *) echo "systemctl (local site): $verb $1: the local site's services are started by scripts/local_site.py up" >&2; exit 1 ;;
esac
"""


def instance_env(state: dict) -> dict:
    """The environment the stack's scripts get on an instance, with the local site's paths: the
    stack's name and region, the AWS CLI (.venv-awscli) talking to the local endpoint, the web user,
    PHP's ini directory, the CA that the local TLS servers' certificates chain to."""
    for key in ("STACK_NAME", "AWS_ENDPOINT_URL"):
        if not os.environ.get(key):
            raise SiteError(f"run-document needs {key} in its environment (the local gateway sets it)")
    bin_dir = mkdir(STATE / "bin")
    write(bin_dir / "systemctl", SYSTEMCTL_SHIM % {"run": json.dumps(str(STATE / "run"))}, 0o755)
    tls = STATE / "tls"
    return {
        "PATH": f"{bin_dir}:{ROOT / '.venv-awscli' / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
        "STACK_NAME": os.environ["STACK_NAME"], "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AUTOPILOT_ETC": str(mkdir(STATE / "etc")), "AUTOPILOT_LOG": str(STATE / "log" / "autopilot.log"),
        "AUTOPILOT_STATE": str(mkdir(STATE / "lib")), "WEB_USER": WEB_USER, "WEB_GROUP": WEB_USER,
        "CONFIG_OWNER": "root" if IS_ROOT else WEB_USER, "DEFAULT_DIRROOT": state["dirroot"],
        "PHP_INI_SCAN_DIR": ":" + str(STATE / "php" / "conf.d"), "PGSSLROOTCERT": str(tls / "ca.crt"),
        "CA_BUNDLE": str(tls / "ca.crt"), "RELEASES_DIR": str(STATE / "www" / "releases"),
        "INSTANCE_ID": "local-site", "VALIDATE_URL": f"http://127.0.0.1:{state['httpPort']}/login/index.php",
    }


# The lifecycle events CodeDeploy runs on an instance for an in-place deployment, in its order
# (ApplicationStop, DownloadBundle and Install run none of the revision's scripts here: the
# revision is already unpacked, and the appspec's files section only copies it beside itself).
DEPLOYMENT_EVENTS = ("BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService")


def appspec_hooks(appspec: Path) -> dict[str, list[str]]:
    """The scripts of each lifecycle event in an appspec.yml (its hooks section, the subset of YAML
    the bundle's appspec uses: `Event:` then `- location: path` lines), in order."""
    hooks: dict[str, list[str]] = {}
    event = None
    in_hooks = False
    for line in appspec.read_text().splitlines():
        if re.match(r"^hooks:\s*$", line):
            in_hooks = True
        elif in_hooks and re.match(r"^\S", line):
            in_hooks = False
        elif in_hooks and (m := re.match(r"^  ([A-Za-z]+):\s*$", line)):
            event = m.group(1)
            hooks[event] = []
        elif in_hooks and event and (m := re.match(r"^\s+- location:\s*(\S+)\s*$", line)):
            hooks[event].append(m.group(1))
    return hooks


def deploy(args) -> int:
    """CodeDeploy's agent on the local site (the stand-in for one instance of an in-place
    deployment): the revision's appspec hooks, each script as root with the instance's environment,
    in CodeDeploy's order; the first failure fails the deployment (CodeDeploy's automatic rollback,
    which deploys the last good revision again, is not played here). One line per event, with its
    duration."""
    state = load_state()
    if not state or not running_pid("php-fpm"):
        raise SiteError("the local site is not up")
    revision = Path(args.revision).resolve()
    hooks = appspec_hooks(revision / "appspec.yml")
    if not hooks:
        raise SiteError(f"{revision}/appspec.yml has no hooks")
    env = instance_env(state)
    # A new instance waits for its bootstrap in BeforeInstall: the local site is up, so it is done.
    write(mkdir(STATE / "lib") / "bootstrapped", "local site\n")
    started = time.monotonic()
    for event in DEPLOYMENT_EVENTS:
        for location in hooks.get(event, []):
            t = time.monotonic()
            code = subprocess.run(["bash", str(revision / location)], env=env, cwd=str(revision)).returncode
            say(f"   {event}: {location} exit {code} ({time.monotonic() - t:.1f} s)")
            if code != 0:
                say(f"   deployment FAILED in {event} after {time.monotonic() - started:.1f} s "
                    f"(the script's lines are in {env['AUTOPILOT_LOG']})")
                return 1
    say(f"   deployment succeeded in {time.monotonic() - started:.1f} s")
    return 0


def document_script(content: dict, given: dict) -> str:
    """The shell script an aws:runShellScript document runs: its runCommand lines, with each
    {{ parameter }} replaced by its value once checked against the document's allowedPattern (as
    SSM checks it at SendCommand), and the instance's bundle path mapped to bundle/files."""
    values = {}
    for name, spec in content.get("parameters", {}).items():
        value = given.get(name, [spec.get("default")])
        value = value[0] if isinstance(value, list) and value else value
        if value is None:
            raise SiteError(f"the document's parameter {name} has no value")
        pattern = spec.get("allowedPattern")
        if pattern and not re.search(pattern, str(value)):
            raise SiteError(f"the value of {name} does not match the document's allowedPattern {pattern}")
        values[name] = str(value)
    lines = []
    for step in content.get("mainSteps", []):
        if step.get("action") != "aws:runShellScript":
            raise SiteError(f"step {step.get('name')}: only aws:runShellScript runs here, not {step.get('action')}")
        for line in step["inputs"]["runCommand"]:
            for name, value in values.items():
                line = re.sub(r"\{\{\s*" + re.escape(name) + r"\s*\}\}", lambda m: value, line)
            lines.append(line.replace(INSTANCE_BUNDLE, str(BUNDLE)))
    return "\n".join(lines) + "\n"


def run_document(args) -> int:
    """Run Command's stand-in on the local site (SiteRunCommandStandIn): the document's script runs
    with bash (the instances' /bin/sh) as root, in the instance's environment; its output and
    exit code are the command's."""
    state = load_state()
    if not state or not running_pid("php-fpm"):
        raise SiteError("the local site is not up")
    job = json.load(sys.stdin)
    content = job["content"]
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            raise SiteError("the document's content is not JSON")
    if not isinstance(content, dict):
        raise SiteError("the document's content is not an object")
    script = document_script(content, job.get("parameters") or {})
    work = mkdir(STATE / "run" / "commands")
    path = write(work / f"{os.getpid()}.sh", script, 0o700)
    try:
        return subprocess.run(["bash", str(path)], env=instance_env(state), cwd="/").returncode
    finally:
        path.unlink(missing_ok=True)


def print_site(state: dict) -> None:
    print(f"SITE_URL={state['url']}")
    print(f"# admin login: admin, password in {STATE / 'admin-secret.json'}")
    print(f"# PostgreSQL 127.0.0.1:{state['postgresPort']} (TLS; user {DB_USER}, secret {STATE / 'db-secret.json'}); "
          f"Redis TLS 127.0.0.1:{state['redisSessionsPort']} (sessions), 127.0.0.1:{state['redisCachePort']} (cache)")


def down(args) -> int:
    stop_all()
    if args.purge:
        shutil.rmtree(STATE, ignore_errors=True)
        say(f"== removed {STATE}")
    elif args.purge_data and STATE.is_dir():
        for child in STATE.iterdir():
            if child.name != "www":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        www = STATE / "www"
        if (www / "moodle").is_symlink():
            # A deployment switched dirroot to a release of its own (deploy): back to the release `up`
            # unpacked, which install-release.sh moved aside, so that plugins a deployment added go too.
            (www / "moodle").unlink()
            shutil.rmtree(www / "releases", ignore_errors=True)
            aside = sorted(www.glob("moodle.pre-autopilot.*"))
            for old in aside[:-1]:
                shutil.rmtree(old, ignore_errors=True)
            if aside:
                os.rename(aside[-1], www / "moodle")
        (STATE / "www" / "moodle" / "config.php").unlink(missing_ok=True)
        say(f"== removed the site's data in {STATE} (the unpacked release stays)")
    return 0


def status(args) -> int:
    state = load_state()
    ports = {"postgres": state.get("postgresPort"), "redis-sessions": state.get("redisSessionsPort"),
             "redis-cache": state.get("redisCachePort"), "php-fpm": None, "apache": state.get("httpPort")}
    up_ = 0
    for name in SERVICES:
        pid = running_pid(name)
        up_ += pid is not None
        where = str(STATE / "run" / "php-fpm.sock") if name == "php-fpm" else \
            f"127.0.0.1:{ports[name]}" if ports[name] else "-"
        print(f"{name:15} {'running pid ' + str(pid) if pid else 'stopped':18} {where}")
    if state and running_pid("apache"):
        try:
            code, body = http_get(state["httpPort"], "/autopilot-health", 10)
            print(f"{'health':15} {code} {body.strip()[:40]:14} {state['url']}/autopilot-health")
        except OSError as e:
            print(f"{'health':15} no answer ({e})")
    if state:
        print(f"SITE_URL={state['url']}")
    return 0 if up_ == len(SERVICES) else 1


def release(args) -> int:
    """The release the site would use, verified: its path on stdout, which source on stderr
    (scripts/test passes it to the tests as MOODLE_RELEASE_TGZ)."""
    archive, digest, source = find_release()
    say(f"Moodle release: {archive.name} from {source}, SHA-256 {digest}")
    print(archive)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(prog="scripts/local-site", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up", help="start the site (and install Moodle when the database is empty)")
    u.add_argument("--port", type=int, help="the site's port on 127.0.0.1 (default: the last one, or a free one)")
    u.add_argument("--db-tls", default="true", choices=["true", "verify-full"],
                   help="site configuration db_tls (default true: sslmode=require; libpq then also checks the "
                        "CA through PGSSLROOTCERT)")
    u.add_argument("--database-sessions", action="store_true",
                   help="keep database sessions (install mode) instead of the Redis sessions of production")
    u.add_argument("--no-cache", action="store_true",
                   help="leave Moodle's application cache on its default file store (no configure-muc.php)")
    u.add_argument("--no-install", action="store_true",
                   help="leave an empty database empty (the install comes later: `install`, or the web installer)")
    d = sub.add_parser("down", help="stop everything up started")
    d.add_argument("--purge", action="store_true", help=f"also delete {STATE} (database, moodledata, release)")
    d.add_argument("--purge-data", action="store_true",
                   help="also delete the database, moodledata and config.php, keeping the unpacked release")
    sub.add_parser("install", help="the Unattended install on a site up --no-install left empty")
    sub.add_parser("run-document", help="run an SSM Command document on the site (Run Command's stand-in): "
                                        '{"content": {...}, "parameters": {...}} on stdin')
    dp = sub.add_parser("deploy", help="CodeDeploy's agent on the site: run an unpacked revision's appspec hooks "
                                       "(the pipeline's source object: the bundle and the release)")
    dp.add_argument("--revision", required=True, help="the unpacked revision (appspec.yml at its top)")
    sub.add_parser("status", help="what runs")
    sub.add_parser("release", help="find (and verify) the Moodle release; its path on stdout")
    sub.add_parser("mail-cert", help="a certificate for scripts/mail_relay.py signed by the site's CA (127.0.0.1, "
                                     "localhost); its paths as JSON on stdout")
    args = p.parse_args()
    if args.cmd == "status":
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `status | head` ends quietly
    try:
        return {"up": up, "down": down, "status": status, "release": release, "install": install,
                "run-document": run_document, "mail-cert": mail_cert, "deploy": deploy}[args.cmd](args)
    except SiteError as e:
        say(f"error: {e}")
        return 2


if __name__ == "__main__":
    sys.exit(main())

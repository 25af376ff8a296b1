#!/usr/bin/env python3
"""A real OpenLDAP directory on this machine, standing in for the organisation's directory that
Moodle's auth_ldap signs users in against (the local stack's, and the LDAP sign-in tests').

  local_directory.py up   [--dir DIR]   start slapd; DIR/state.json says where and as whom
  local_directory.py down [--dir DIR]   stop it and delete DIR (keys, passwords, database)

DIR defaults to .local/stack-directory. Debian's slapd is used as a program only: its own service
and directory are never touched. `up` gives slapd a slapd.conf of its own and an mdb database for
dc=example,dc=edu (schemas core, cosine, inetorgperson, nis) loaded with slapadd before it starts:
ou=people, the bind account cn=moodle-bind and the users alice and bob (inetOrgPerson and
posixAccount: givenName, sn, mail), every password random per `up`, hashed by slappasswd ({SSHA})
and kept in 0600 files under DIR/secrets. slapd listens on two free ports of 127.0.0.1: StartTLS on
ldap://, TLS from the first byte on ldaps://, with a server certificate from a CA made here
(DIR/ca.crt, world readable so that PHP as the web user can trust it through LDAPTLS_CACERT).
`security tls=1` refuses every operation but StartTLS itself in plain text, so a simple bind
without TLS gets result 13 (confidentiality required); anonymous binds are refused; the bind
account reads the tree, a user his own entry. The URLs name 127.0.0.1, not localhost: told
"localhost", libldap checks the certificate against the machine's own hostname.

`up` prints one line per fact on stdout (never a password) and writes DIR/state.json: url, ldapsUrl,
baseDn, peopleDn, bindDn, bindPasswordFile, caFile, users (uid, dn, givenName, sn, mail,
passwordFile), pid, log.
"""
import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / ".local" / "stack-directory"
BASE_DN = "dc=example,dc=edu"
PEOPLE_DN = "ou=people," + BASE_DN
BIND_DN = "cn=moodle-bind," + BASE_DN
# uid -> given name; every user's surname is Example and mail uid@example.edu.
USERS = {"alice": "Alice", "bob": "Bob"}
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")


class DirectoryError(Exception):
    pass


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def binary(name):
    for d in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"):
        path = Path(d) / name
        if os.access(path, os.X_OK):
            return str(path)
    raise DirectoryError(f"{name} not found: install Debian's slapd (scripts/lib.sh ensure_site_packages does)")


def run(argv, cwd, env=None):
    r = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise DirectoryError(f"{Path(argv[0]).name} exited {r.returncode}: {(r.stderr or r.stdout).strip()[-500:]}")
    return r.stdout


def write(path, text, mode=0o644):
    # Created with its final mode, so a secret is never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def random_password():
    return base64.urlsafe_b64encode(secrets.token_bytes(18)).decode().rstrip("=")


def free_ports(count):
    """Distinct free ports of 127.0.0.1, held open together so that they differ."""
    held = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            held.append(s)
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def make_certificates(d):
    """A CA, and a server certificate for localhost and 127.0.0.1 that it signed."""
    write(d / "server.ext", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
          "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", "ca.key",
         "-out", "ca.crt", "-subj", "/CN=Moodle Autopilot local LDAP CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=localhost"], d)
    run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-days", "2", "-sha256", "-extfile", "server.ext", "-out", "server.crt"], d)
    os.chmod(d / "ca.key", 0o600)
    os.chmod(d / "server.key", 0o600)
    os.chmod(d / "ca.crt", 0o644)


def slapd_conf(d, data):
    return "\n".join(
        [f"include /etc/ldap/schema/{s}.schema" for s in SCHEMAS]
        + [f"pidfile {d / 'slapd.pid'}",
           f"argsfile {d / 'slapd.args'}",
           "modulepath /usr/lib/ldap",
           "moduleload back_mdb",
           f"TLSCACertificateFile {d / 'ca.crt'}",
           f"TLSCertificateFile {d / 'server.crt'}",
           f"TLSCertificateKeyFile {d / 'server.key'}",
           "TLSVerifyClient never",
           "# Every operation but StartTLS needs TLS: a simple bind in plain text gets 13, confidentiality required.",
           "security tls=1",
           "disallow bind_anon",
           "",
           "database mdb",
           "maxsize 67108864",
           f'suffix "{BASE_DN}"',
           f"directory {data}",
           "index objectClass eq",
           "index uid eq",
           "index mail eq",
           "access to attrs=userPassword",
           "  by anonymous auth",
           "  by * none",
           "access to *",
           f'  by dn.exact="{BIND_DN}" read',
           "  by self read",
           "  by * none",
           ""])


def ssha(password_file, d):
    """slappasswd's {SSHA} hash, the password read from its 0600 file (never on a command line)."""
    hashed = run([binary("slappasswd"), "-h", "{SSHA}", "-T", str(password_file)], d).strip()
    if not hashed.startswith("{SSHA}"):
        raise DirectoryError("slappasswd printed no {SSHA} hash")
    return hashed


def user_entry(uid, given, number):
    return {"uid": uid, "dn": f"uid={uid},{PEOPLE_DN}", "givenName": given, "sn": "Example",
            "mail": f"{uid}@example.edu", "uidNumber": number}


def ldif(d, bind_file, users):
    blocks = [f"dn: {BASE_DN}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\n"
              "dc: example\no: Example University\n",
              f"dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n",
              f"dn: {BIND_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
              f"cn: moodle-bind\ndescription: Moodle's auth_ldap bind account\nuserPassword: {ssha(bind_file, d)}\n"]
    for u in users:
        blocks.append(f"dn: {u['dn']}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: {u['uid']}\n"
                      f"cn: {u['givenName']} {u['sn']}\ngivenName: {u['givenName']}\nsn: {u['sn']}\n"
                      f"mail: {u['mail']}\nuidNumber: {u['uidNumber']}\ngidNumber: {u['uidNumber']}\n"
                      f"homeDirectory: /home/{u['uid']}\nuserPassword: {ssha(u['passwordFile'], d)}\n")
    return "\n".join(blocks)


def zombie(pid):
    """Exited, its parent not yet told: nothing of it runs any more."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def is_our_slapd(pid, d):
    """Whether pid is still the slapd started for d (a pid can be reused once it has exited)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if zombie(pid):
        return False
    return any(b"slapd" in a for a in cmdline[:1]) and str(d / "slapd.conf").encode() in cmdline


def start_slapd(d, conf):
    """slapd in the foreground of a session of its own (it outlives this script), its log
    (256: connections and operations) in d/slapd.log; (pid, ldap port, ldaps port)."""
    for attempt in range(3):
        ldap_port, ldaps_port = free_ports(2)
        with open(d / "slapd.log", "ab") as log:
            proc = subprocess.Popen([binary("slapd"), "-d", "256", "-f", str(conf),
                                     "-h", f"ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/"],
                                    cwd=d, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        if wait_listening(proc, (ldap_port, ldaps_port), 30):
            return proc.pid, ldap_port, ldaps_port
        if proc.poll() is None:
            stop_pid(proc.pid)
        # Another process may have taken a port between the check and slapd's bind: try others.
    raise DirectoryError(f"slapd did not start; the end of {d / 'slapd.log'}:\n" + log_tail(d))


def wait_listening(proc, ports, seconds):
    deadline = time.monotonic() + seconds
    for port in ports:
        while True:
            if proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
    return True


def log_tail(d, lines=8):
    try:
        return "\n".join((d / "slapd.log").read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_pid(pid, seconds=20):
    """SIGTERM (slapd closes its database and exits), SIGKILL if it is still there after `seconds`."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if zombie(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def ldapwhoami(url, dn, password_file, ca, start_tls):
    """ldapwhoami's exit code for a simple bind (13: confidentiality required), or None without ldap-utils."""
    tool = shutil.which("ldapwhoami")
    if not tool:
        return None
    argv = [tool, "-x", "-H", url, "-D", dn, "-y", str(password_file)] + (["-ZZ"] if start_tls else [])
    env = dict(os.environ, LDAPTLS_CACERT=str(ca), LDAPTLS_REQCERT="demand")
    return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=30).returncode


def check_binds(state):
    """A bind over StartTLS succeeds and the same bind in plain text is refused (13): the facts
    Moodle's settings rely on, checked once with the OpenLDAP client."""
    d = Path(state["caFile"]).parent
    with_tls = ldapwhoami(state["url"], state["bindDn"], state["bindPasswordFile"], state["caFile"], True)
    if with_tls is None:
        return "not checked (no ldapwhoami: ldap-utils)"
    plain = ldapwhoami(state["url"], state["bindDn"], state["bindPasswordFile"], state["caFile"], False)
    if with_tls != 0 or plain != 13:
        raise DirectoryError(f"the bind account's bind: StartTLS exit {with_tls} (want 0), plain text exit {plain} "
                             f"(want 13, confidentiality required); the end of the log:\n" + log_tail(d))
    return "StartTLS bind accepted, plain-text bind refused (13, confidentiality required)"


def load_state(d):
    try:
        return json.loads((d / "state.json").read_text())
    except (OSError, ValueError):
        return None


def print_facts(state, checked=None):
    print(f"LDAP_URL={state['url']}")
    print(f"LDAPS_URL={state['ldapsUrl']}")
    print(f"LDAP_CA={state['caFile']}")
    print(f"LDAP_BIND_DN={state['bindDn']}")
    print(f"LDAP_BIND_PASSWORD_FILE={state['bindPasswordFile']}")
    print(f"LDAP_PEOPLE_DN={state['peopleDn']}")
    for u in state["users"]:
        print(f"LDAP_USER={u['uid']} ({u['givenName']} {u['sn']} <{u['mail']}>; password in {u['passwordFile']})")
    if checked:
        print(f"# {checked}")


def clear(d):
    """Stops whatever slapd the state in d names, and deletes d's contents (d itself stays)."""
    state = load_state(d)
    if state and state.get("pid") and is_our_slapd(state["pid"], d):
        stop_pid(state["pid"])
    for child in d.iterdir() if d.is_dir() else ():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


def up(d):
    state = load_state(d)
    if state and is_our_slapd(state.get("pid", 0), d):
        say(f"== the directory is already up ({d})")
        print_facts(state)
        return 0
    if d.exists() and any(d.iterdir()) and not (d / "slapd.conf").exists():
        raise DirectoryError(f"{d} holds files that are not a directory's: give an empty or new --dir")
    started = time.monotonic()
    d.mkdir(parents=True, exist_ok=True)
    clear(d)
    # World traversable: PHP as the web user reads ca.crt; keys, passwords and data stay private.
    os.chmod(d, 0o755)
    data = d / "data"
    data.mkdir(mode=0o700)
    keep = d / "secrets"
    keep.mkdir(mode=0o700)
    make_certificates(d)
    bind_file = write(keep / "moodle-bind.password", random_password(), 0o600)
    users = []
    for number, (uid, given) in enumerate(USERS.items(), start=10001):
        u = user_entry(uid, given, number)
        u["passwordFile"] = str(write(keep / f"{uid}.password", random_password(), 0o600))
        users.append(u)
    conf = write(d / "slapd.conf", slapd_conf(d, data))
    entries = write(d / "entries.ldif", ldif(d, bind_file, users), 0o600)
    try:
        run([binary("slapadd"), "-q", "-f", str(conf), "-l", str(entries)], d)
    finally:
        entries.unlink()
    pid, ldap_port, ldaps_port = start_slapd(d, conf)
    for u in users:
        u.pop("uidNumber")
    state = {"url": f"ldap://127.0.0.1:{ldap_port}", "ldapsUrl": f"ldaps://127.0.0.1:{ldaps_port}",
             "startTls": True, "baseDn": BASE_DN, "peopleDn": PEOPLE_DN, "bindDn": BIND_DN,
             "bindPasswordFile": str(bind_file), "caFile": str(d / "ca.crt"), "users": users,
             "pid": pid, "log": str(d / "slapd.log")}
    write(d / "state.json", json.dumps(state, indent=1) + "\n")
    try:
        checked = check_binds(state)
    except DirectoryError:
        clear(d)
        raise
    say(f"== directory up in {time.monotonic() - started:.1f} s: slapd pid {pid} ({d})")
    print_facts(state, checked)
    return 0


def down(d):
    if not d.exists():
        return 0
    if any(d.iterdir()) and not (d / "slapd.conf").exists() and not (d / "state.json").exists():
        raise DirectoryError(f"{d} is not a directory's state: left as it is")
    clear(d)
    d.rmdir()
    say(f"== directory stopped; {d} removed")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="its state (default .local/stack-directory)")
    args = parser.parse_args()
    d = args.dir.resolve()
    try:
        return up(d) if args.command == "up" else down(d)
    except (DirectoryError, subprocess.TimeoutExpired, OSError) as e:
        say(f"error: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())

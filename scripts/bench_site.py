#!/usr/bin/env python3
"""What the web tier's configuration is worth: the real local site (scripts/local_site.py) measured
with the stack's configuration against Moodle's defaults, side by side in one run.

    python3 scripts/bench_site.py [requests=400] [--rounds 4] [--warmup 20] [--concurrency 4]
                                  [--keep-up]

Called by `scripts/bench site [requests]` (docs/benchmarks.md, "The web tier's configuration").
Its own site lives in $AUTOPILOT_SITE_DIR (default .local/bench-site, never .local/site); when that
site is not running, it is brought up (`local_site.py up`, installing Moodle the first time, about
a minute) and taken down again at the end (the data stays: the next run starts in seconds).

The two variants, on the same installed site, the same PostgreSQL, Apache and PHP-FPM pool:

  A "stack"    the bundle's php-moodle.ini (as /etc/php.d/90-moodle.ini), the application cache
               (MUC) on Redis with TLS (configure-muc.php), Redis sessions with TLS (config.php
               rendered with the converger's session settings): what `local_site.py up` does.
  B "defaults" the PHP package's own ini files plus max_input_vars = 5000 (Moodle's environment
               check requires it on PHP 8 to install or upgrade; it does not change these pages),
               the MUC's default configuration (moodledata/muc/config.php deleted: Moodle writes its
               defaults again, the file stores), database sessions (config.php rendered without
               session settings, as in install mode).

Each switch re-renders config.php, swaps the ini file, restarts PHP-FPM (a cold OPcache for
both) and purges Moodle's caches (admin/cli/purge_caches.php), then logs in again and discards
`--warmup` requests per page. Rounds run in the order A B B A A B B A ... so that a linear drift of
the machine hits both alike. Each round measures requests/rounds requests per page at concurrency 1
(the two pages alternating) and, unless --concurrency 0, as many again with that many clients (each
logged in with a session of its own). Besides the latencies: the CPU time the site's processes
(PHP-FPM, PostgreSQL, both Redis, Apache) used per pair of requests at concurrency 1, which a busy
machine disturbs far less than wall time, and the Redis commands and connections per request (which
shows each variant used what it says).

Requests: http.client, one new connection per request (`Connection: close`, no keep-alive), the
time from before the connect to the last byte of the body. /login/index.php: an anonymous GET
without cookies (a new visitor: Moodle starts a session for it), 200 with the login form expected.
/my/: the admin's dashboard with the MoodleSession cookie of a browser-like login (GET the login
page for its logintoken and cookie, POST the form, follow the redirects), 200 and the dashboard
page expected. The admin password comes from <site dir>/admin-secret.json and is never printed.

Output: bench/results/site-<UTC timestamp>.json and a summary on stdout; progress on stderr.
Python 3 standard library only.
"""
from __future__ import annotations

import argparse
import http.client
import http.cookies
import json
import math
import os
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Our own site: local_site reads AUTOPILOT_SITE_DIR when it is imported.
os.environ.setdefault("AUTOPILOT_SITE_DIR", str(ROOT / ".local" / "bench-site"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import local_site as ls  # noqa: E402

STATE = ls.STATE
PAGES = ("/login/index.php", "/my/")
# A variant: (PHP ini, application cache, sessions). A and B are the comparison; --factors adds
# A with one of the three parts at Moodle's default, to see which part the difference comes from.
VARIANTS = {
    "A": ("stack", "redis", "redis"),
    "B": ("defaults", "file", "database"),
}
FACTORS = {
    "A-ini": ("defaults", "redis", "redis"),
    "A-muc": ("stack", "file", "redis"),
    "A-sessions": ("stack", "redis", "database"),
}
DESCRIBE = {
    "ini": {"stack": "php-moodle.ini", "defaults": "package PHP ini (+max_input_vars)"},
    "muc": {"redis": "MUC on Redis", "file": "MUC file stores"},
    "sessions": {"redis": "Redis sessions", "database": "database sessions"},
}


def describe(spec: tuple[str, str, str]) -> str:
    return ", ".join(DESCRIBE[k][v] for k, v in zip(("ini", "muc", "sessions"), spec))
# Variant B's only ini line besides the package's own files.
DEFAULTS_INI = ("; scripts/bench_site.py, variant B: the PHP package's own settings, plus the one value\n"
                "; Moodle's environment check requires on PHP 8 (admin/environment.xml, check_max_input_vars).\n"
                "max_input_vars = 5000\n")
BENCH_INI = "90-bench-defaults.ini"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --- HTTP ----------------------------------------------------------------------------------------

class Client:
    """One browser: a cookie jar; every request on a new connection."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, cookies: bool = True,
                timeout: float = 120) -> tuple[int, dict, str, float]:
        headers = {"Connection": "close", "User-Agent": "moodle-autopilot-bench/1",
                   "Accept": "text/html"}
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            took = time.perf_counter() - start
            if cookies:
                for raw in r.msg.get_all("Set-Cookie") or []:
                    jar = http.cookies.SimpleCookie()
                    jar.load(raw)
                    for name, morsel in jar.items():
                        if morsel.value in ("", "deleted"):
                            self.cookies.pop(name, None)
                        else:
                            self.cookies[name] = morsel.value
            return r.status, dict(r.getheaders()), data.decode(errors="replace"), took
        finally:
            c.close()


def login_page_ok(status: int, body: str) -> bool:
    return status == 200 and 'id="page-login-index"' in body and 'name="logintoken"' in body


def dashboard_ok(status: int, body: str) -> bool:
    return status == 200 and 'id="page-my-index"' in body and 'name="logintoken"' not in body


def log_in(port: int, password: str) -> Client:
    """The browser's way: the login page (cookie, logintoken), the form POST, the redirects."""
    c = Client(port)
    status, _, body, _ = c.request("GET", "/login/index.php")
    m = re.search(r'name="logintoken" value="([^"]+)"', body)
    if status != 200 or not m:
        raise BenchError(f"the login page answered {status} without a logintoken")
    form = urllib.parse.urlencode({"anchor": "", "logintoken": m.group(1), "username": "admin", "password": password})
    status, headers, body, _ = c.request("POST", "/login/index.php", body=form)
    for _ in range(5):
        if status not in (301, 302, 303):
            break
        target = urllib.parse.urlsplit(headers.get("Location", ""))
        status, headers, body, _ = c.request("GET", (target.path or "/") + (f"?{target.query}" if target.query else ""))
    if 'name="logintoken"' in body or "MoodleSession" not in c.cookies:
        raise BenchError(f"logging in as admin failed (last answer {status})")
    status, _, body, _ = c.request("GET", "/my/")
    if not dashboard_ok(status, body):
        raise BenchError(f"/my/ after logging in answered {status}, not the dashboard")
    return c


def one(page: str, client: Client, anon: Client) -> float:
    """One measured request; a wrong answer stops the run (its figures would mean nothing)."""
    if page == "/my/":
        status, _, body, took = client.request("GET", page)
        if not dashboard_ok(status, body):
            raise BenchError(f"GET /my/ answered {status}" + (" (the login page: the session was lost)"
                                                              if 'name="logintoken"' in body else ""))
    else:
        status, _, body, took = anon.request("GET", page, cookies=False)
        if not login_page_ok(status, body):
            raise BenchError(f"GET {page} answered {status} without the login form")
    return took * 1000.0


# --- Redis counters (to show which variant used Redis) -------------------------------------------

def redis_counters(port: int) -> tuple[int, int]:
    """(total_commands_processed, total_connections_received) of a local Redis (TLS, verified
    against the local CA); our own INFO counts as one command and one connection."""
    ctx = ssl.create_default_context(cafile=str(STATE / "tls" / "ca.crt"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"INFO stats\r\n")
        data = b""
        while b"total_commands_processed" not in data or not data.endswith(b"\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    found = [re.search(rb"%s:(\d+)" % k, data) for k in (b"total_commands_processed", b"total_connections_received")]
    return tuple(int(m.group(1)) if m else -1 for m in found)


# --- CPU time of the site's processes -----------------------------------------------------------

def service_cpu() -> dict[str, float]:
    """CPU seconds used so far by each service's processes: every process in the session its
    master leads (local_site starts each with a new session), utime + stime, plus cutime + cstime
    (the children already reaped: PostgreSQL's backend per connection, recycled PHP-FPM workers).
    Less sensitive to a busy machine than wall time: work waiting for a CPU is not counted."""
    leaders = {ls.running_pid(n): n for n in ls.SERVICES}
    total = {n: 0 for n in ls.SERVICES}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            f = Path(f"/proc/{d}/stat").read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        name = leaders.get(int(f[3]))
        if name:
            total[name] += sum(int(x) for x in f[11:15])
    tick = os.sysconf("SC_CLK_TCK")
    return {n: v / tick for n, v in total.items()}


# --- switching the site between the variants -----------------------------------------------------

def fpm_ini(tls: Path) -> dict:
    """The values PHP-FPM starts with (php-fpm -i with the same environment as the pool)."""
    out = ls.run([ls.fpm_binary(), "-i"], "php-fpm -i", env=ls.php_env(tls))
    keys = ("opcache.enable", "opcache.memory_consumption", "opcache.interned_strings_buffer",
            "opcache.max_accelerated_files", "opcache.revalidate_freq", "opcache.validate_timestamps",
            "max_input_vars", "memory_limit", "realpath_cache_size")
    found = {}
    for line in out.splitlines():
        k, _, rest = line.partition(" => ")
        if k in keys and k not in found:
            found[k] = rest.split(" => ")[0].strip()
    return found


def purge_caches(dirroot: Path, tls: Path) -> None:
    ls.run(["php", str(dirroot / "admin" / "cli" / "purge_caches.php")], "purge_caches.php", user=ls.WEB_USER,
           env=ls.php_env(tls))


def muc_application_store() -> str:
    text = (STATE / "moodledata" / "muc" / "config.php").read_text(errors="replace")
    return "autopilot_application (redis)" if "autopilot_application" in text else "default_application (file)"


def switch(spec: tuple[str, str, str], state: dict, site: dict, tls: Path) -> dict:
    ini, cache, sessions = spec
    dirroot = Path(state["dirroot"])
    confd = STATE / "php" / "conf.d"
    if ini == "stack":
        ls.configure_php(tls)  # 90-moodle.ini (and the local CA's ini, in both variants)
        (confd / BENCH_INI).unlink(missing_ok=True)
    else:
        (confd / "90-moodle.ini").unlink(missing_ok=True)
        ls.write(confd / BENCH_INI, DEFAULTS_INI)
    if sessions == "redis":
        session = ls.write(STATE / "session.json", json.dumps(ls.session_config(state["redisSessionsPort"])) + "\n")
        ls.render_config(site, STATE / "db-secret.json", session, dirroot, tls)
    else:
        ls.render_config(site, STATE / "db-secret.json", None, dirroot, tls)
    if cache == "redis":
        muc = ls.configure_muc(dirroot, tls, state["redisCachePort"])
    else:
        # Moodle's way back to its defaults: without muc/config.php the cache factory writes the
        # default configuration again (core_cache\factory::create_config_instance), file stores.
        (STATE / "moodledata" / "muc" / "config.php").unlink(missing_ok=True)
        muc = "muc/config.php deleted"
    ls.stop("php-fpm")
    ls.start_php_fpm(tls, STATE / "run" / "php-fpm.sock")
    purge_caches(dirroot, tls)
    config = (dirroot / "config.php").read_text()
    sessions = "redis" if "core\\\\session\\\\redis" in config or "core\\session\\redis" in config else "database"
    return {"muc": muc, "mucApplicationStore": muc_application_store(), "sessions": sessions, "ini": fpm_ini(tls)}


# --- measuring -----------------------------------------------------------------------------------

def stats(values: list[float]) -> dict:
    s = sorted(values)
    n = len(s)
    if not n:
        return {"n": 0}

    def rank(p: float) -> float:  # nearest rank
        return s[max(0, math.ceil(p / 100 * n) - 1)]
    return {"n": n, "p50": round(statistics.median(s), 2), "p90": round(rank(90), 2), "p99": round(rank(99), 2),
            "mean": round(statistics.fmean(s), 2), "min": round(s[0], 2), "max": round(s[-1], 2)}


def sequential(port: int, client: Client, count: int) -> dict[str, list[float]]:
    anon = Client(port)
    out: dict[str, list[float]] = {p: [] for p in PAGES}
    for _ in range(count):
        for page in PAGES:
            out[page].append(one(page, client, anon))
    return out


def concurrent(port: int, clients: list[Client], count: int) -> tuple[dict[str, list[float]], float]:
    """len(clients) workers, each with its own session, count requests per page in all."""
    out: dict[str, list[float]] = {p: [] for p in PAGES}
    errors: list[BaseException] = []
    lock = threading.Lock()
    share = [count // len(clients) + (i < count % len(clients)) for i in range(len(clients))]

    def work(client: Client, k: int) -> None:
        anon = Client(port)
        mine: dict[str, list[float]] = {p: [] for p in PAGES}
        try:
            for _ in range(k):
                for page in PAGES:
                    mine[page].append(one(page, client, anon))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        with lock:
            for p in PAGES:
                out[p] += mine[p]

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(c, k)) for c, k in zip(clients, share)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise BenchError(str(errors[0]))
    return out, wall


def versions(dirroot: Path) -> dict:
    text = (dirroot / "version.php").read_text()
    release = re.search(r"\$release\s*=\s*'([^']+)'", text)
    php = ls.run([ls.fpm_binary(), "-v"], "php-fpm -v").splitlines()[0]
    pool = (STATE / "php-fpm" / "www.conf").read_text()
    pm = {k: v for k, v in re.findall(r"^(pm(?:\.[a-z_]+)?) = (\S+)", pool, re.M)}
    return {"moodle": release.group(1) if release else "?", "php": php, "phpFpmPool": pm,
            "nproc": os.cpu_count(), "cpu": cpu_model()}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def ratio(b: float, a: float) -> float | None:
    return round(b / a, 2) if a else None


def main() -> int:
    p = argparse.ArgumentParser(prog="scripts/bench site", description=__doc__.split("\n")[0])
    p.add_argument("requests", nargs="?", type=int, default=400,
                   help="measured requests per page and variant at concurrency 1 (default 400), split over the rounds")
    p.add_argument("--rounds", type=int, default=4, help="rounds per variant (default 4; order A B B A A B B A ...)")
    p.add_argument("--warmup", type=int, default=20, help="discarded requests per page after each switch (default 20)")
    p.add_argument("--concurrency", type=int, default=4, help="clients of the second figure (default 4; 0: none)")
    p.add_argument("--factors", action="store_true",
                   help="also A with one part at Moodle's default each (A-ini, A-muc, A-sessions): where B's difference comes from")
    p.add_argument("--keep-up", action="store_true", help="leave the site running at the end")
    args = p.parse_args()
    if args.requests < args.rounds or args.rounds < 1:
        p.error("requests must be at least rounds, and rounds at least 1")
    if STATE.resolve() == (ROOT / ".local" / "site").resolve():
        p.error("AUTOPILOT_SITE_DIR is the default site's directory: the benchmark switches its site's "
                "configuration back and forth, so it runs on a site of its own")

    def terminated(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGHUP, terminated)

    was_up = bool(ls.load_state()) and all(ls.running_pid(n) for n in ls.SERVICES)
    started = False
    applied_spec: tuple | None = None  # the configuration the site has now, when not A
    t0 = time.monotonic()
    try:
        if not was_up:
            say(f"== bringing up the benchmark's site in {STATE} (local_site.py up; about a minute the first time)")
            r = subprocess.run([sys.executable, str(ROOT / "scripts" / "local_site.py"), "up"],
                               stdout=subprocess.DEVNULL, env=os.environ)
            started = True
            if r.returncode != 0:
                raise BenchError(f"local_site.py up failed (exit {r.returncode}); see the lines above")
        state = ls.load_state()
        if state.get("options", {}).get("noCache") or state.get("options", {}).get("databaseSessions"):
            say("   note: the site was started with --no-cache/--database-sessions; variant A configures both anyway")
        site = json.loads((STATE / "site.json").read_text())
        tls = STATE / "tls"
        port = state["httpPort"]
        password = json.loads((STATE / "admin-secret.json").read_text())["password"]
        dirroot = Path(state["dirroot"])
        info = versions(dirroot)
        per_round = [args.requests // args.rounds + (i < args.requests % args.rounds) for i in range(args.rounds)]
        variants = dict(VARIANTS, **(FACTORS if args.factors else {}))
        names = list(variants)
        # Forward in even rounds, backward in odd ones: A B B A A B B A (or A B x y z z y x B A ...).
        order = [v for i in range(args.rounds) for v in (names if i % 2 == 0 else names[::-1])]
        samples = {v: {"c1": {p: [] for p in PAGES}, "cN": {p: [] for p in PAGES}, "cNwall": 0.0, "cNcount": 0,
                       "cpu": {}} for v in variants}
        rounds = []
        load_start = os.getloadavg()
        say(f"== {args.rounds} rounds per variant, order {' '.join(order)}; per round and page: {args.warmup} warm-up, "
            f"{'/'.join(map(str, per_round))} measured at concurrency 1"
            + (f", as many at concurrency {args.concurrency}" if args.concurrency else "")
            + f"; {info['nproc']} CPUs, load {load_start[0]:.2f}")
        for i, variant in enumerate(order):
            k = per_round[i // len(names)]
            ts = time.monotonic()
            applied_spec = variants[variant]
            applied = switch(variants[variant], state, site, tls)
            switched = time.monotonic() - ts
            client = log_in(port, password)
            clients = [log_in(port, password) for _ in range(args.concurrency)]
            sequential(port, client, args.warmup)
            before = (redis_counters(state["redisSessionsPort"]), redis_counters(state["redisCachePort"]))
            cpu0 = service_cpu()
            c1 = sequential(port, client, k)
            cpu1 = service_cpu()
            after = (redis_counters(state["redisSessionsPort"]), redis_counters(state["redisCachePort"]))
            cpu = {n: round((cpu1[n] - cpu0[n]) * 1000 / k, 2) for n in ls.SERVICES}
            cpu["total"] = round(sum(cpu.values()), 2)
            for n, v in cpu.items():
                samples[variant]["cpu"].setdefault(n, []).append(v)
            for pg in PAGES:
                samples[variant]["c1"][pg] += c1[pg]
            entry = {"variant": variant, "round": i // len(names) + 1, "requestsPerPage": k, "switchSeconds": round(switched, 1), **applied,
                     # Per measured request (both pages) at concurrency 1: which Redis the variant used.
                     "redisPerRequestC1": {name: {"commands": round((after[j][0] - before[j][0] - 1) / (2 * k), 1),
                                                  "connections": round((after[j][1] - before[j][1] - 1) / (2 * k), 2)}
                                           for j, name in enumerate(("sessions", "cache"))},
                     "c1p50": {pg: stats(c1[pg])["p50"] for pg in PAGES}, "load1": round(os.getloadavg()[0], 2),
                     # CPU ms of the site's processes per pair of requests (one of each page), concurrency 1.
                     "cpuMsPerPairC1": cpu}
            if args.concurrency:
                cn, wall = concurrent(port, clients, k)
                for pg in PAGES:
                    samples[variant]["cN"][pg] += cn[pg]
                samples[variant]["cNwall"] += wall
                samples[variant]["cNcount"] += 2 * k
                entry["cNp50"] = {pg: stats(cn[pg])["p50"] for pg in PAGES}
            rounds.append(entry)
            say(f"   round {i // len(names) + 1} {variant}: switch {switched:.0f} s; c1 p50 login {entry['c1p50'][PAGES[0]]:.1f} ms, "
                f"/my/ {entry['c1p50'][PAGES[1]]:.1f} ms"
                + (f"; c{args.concurrency} p50 {entry['cNp50'][PAGES[0]]:.1f} / {entry['cNp50'][PAGES[1]]:.1f} ms"
                   if args.concurrency else "")
                + "; Redis per request: sessions {commands} commands/{connections} connections".format(
                    **entry["redisPerRequestC1"]["sessions"])
                + ", cache {commands}/{connections}".format(**entry["redisPerRequestC1"]["cache"])
                + f"; CPU {cpu['total']:.0f} ms per pair"
                + f"; {applied['mucApplicationStore']}, {applied['sessions']} sessions"
                + f" (elapsed {time.monotonic() - t0:.0f} s)")
        say("== back to variant A (the site's own configuration)")
        switch(VARIANTS["A"], state, site, tls)
        applied_spec = None

        figures: dict = {"concurrency1": {}, f"concurrency{args.concurrency}": {}} if args.concurrency else {"concurrency1": {}}
        for v in variants:
            figures["concurrency1"][v] = {pg: stats(samples[v]["c1"][pg]) for pg in PAGES}
            if args.concurrency:
                figures[f"concurrency{args.concurrency}"][v] = {pg: stats(samples[v]["cN"][pg]) for pg in PAGES}
                figures[f"concurrency{args.concurrency}"][v]["requestsPerSecond"] = round(
                    samples[v]["cNcount"] / samples[v]["cNwall"], 2)
        cpu_figures = {v: {n: round(statistics.median(x), 2) for n, x in samples[v]["cpu"].items()} for v in variants}
        # Every variant against A (B/A is the headline); throughput as A's over the variant's.
        ratios: dict = {}
        for level, fig in figures.items():
            for v in names[1:]:
                r = {pg: {q: ratio(fig[v][pg][q], fig["A"][pg][q]) for q in ("p50", "p99", "mean")} for pg in PAGES}
                if "requestsPerSecond" in fig["A"]:
                    r["throughputAoverVariant"] = ratio(fig["A"]["requestsPerSecond"], fig[v]["requestsPerSecond"])
                ratios.setdefault(level, {})[v] = r
        # The same per round: each variant's p50 over A's p50 of the same round (for A and B alone, measured
        # next to each other, so a drift of the machine between rounds cancels); median, min and max.
        paired: dict = {}
        for level, key in (("concurrency1", "c1p50"), (f"concurrency{args.concurrency}", "cNp50")):
            if level not in figures:
                continue
            for v in names[1:]:
                per = {pg: [] for pg in PAGES}
                for r in range(1, args.rounds + 1):
                    a = next(e for e in rounds if e["round"] == r and e["variant"] == "A")[key]
                    b = next(e for e in rounds if e["round"] == r and e["variant"] == v)[key]
                    for pg in PAGES:
                        per[pg].append(ratio(b[pg], a[pg]))
                paired.setdefault(level, {})[v] = {pg: {"median": round(statistics.median(x), 2), "min": min(x),
                                                        "max": max(x), "rounds": x} for pg, x in per.items()}
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        result = {
            "benchmark": "site", "when": stamp, "command": "scripts/bench site " + " ".join(sys.argv[1:]),
            "machine": {**info, "loadavgStart": [round(x, 2) for x in load_start],
                        "loadavgEnd": [round(x, 2) for x in os.getloadavg()]},
            "method": {"rounds": args.rounds, "order": order, "warmupPerPage": args.warmup,
                       "requestsPerPagePerVariant": args.requests, "concurrency": args.concurrency,
                       "client": "http.client, a new connection per request (Connection: close), sequential at "
                                 "concurrency 1 (the pages alternating); time from connect to the last byte",
                       "percentiles": "p50 median; p90/p99 nearest rank",
                       "variants": {v: {"spec": dict(zip(("ini", "muc", "sessions"), spec)), "description": describe(spec)}
                                    for v, spec in variants.items()}},
            "figures": figures, "cpuMsPerPairMedianOfRounds": cpu_figures, "ratioToA": ratios, "pairedRatioToA": paired, "rounds": rounds,
            "seconds": round(time.monotonic() - t0, 1),
        }
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"site-{stamp}.json"
        path.write_text(json.dumps(result, indent=1) + "\n")
        summary(result, path)
        return 0
    except BenchError as e:
        say(f"error: {e}")
        return 2
    except ls.SiteError as e:
        say(f"error: {e}")
        return 2
    except KeyboardInterrupt:
        say("error: interrupted")
        return 130
    finally:
        if applied_spec not in (None, VARIANTS["A"]) and (args.keep_up or not started):
            # Stopped half way on a site that stays up: give it its own configuration back.
            try:
                say("== back to variant A (the site's own configuration)")
                switch(VARIANTS["A"], state, site, tls)
            except Exception as e:  # noqa: BLE001
                say(f"error: could not switch back to variant A ({e}): local_site.py up restores it")
        if started and not args.keep_up:
            say("== stopping the benchmark's site (its data stays; the next run starts it in seconds)")
            ls.stop_all(quiet=True)


def summary(result: dict, path: Path) -> None:
    m = result["machine"]
    print(f"Moodle {m['moodle']} | {m['php']} | {m['nproc']} CPUs | PHP-FPM pm {m['phpFpmPool'].get('pm')} "
          f"max_children {m['phpFpmPool'].get('pm.max_children')} | load {m['loadavgStart'][0]} -> {m['loadavgEnd'][0]}")
    for v, d in result["method"]["variants"].items():
        print(f"{v:10} = {d['description']}")
    for level, fig in result["figures"].items():
        print(f"\n{level}, ms     {'':10}  p50 login   p99 login   p50 /my/   p99 /my/   /A: p50 login p99 login p50 /my/ p99 /my/"
              + ("   req/s" if "requestsPerSecond" in fig["A"] else ""))
        for v, f in fig.items():
            lo, my = f[PAGES[0]], f[PAGES[1]]
            line = f"  {v:20} {lo['p50']:9.1f} {lo['p99']:11.1f} {my['p50']:10.1f} {my['p99']:10.1f}   "
            if v == "A":
                line += f"{'(n ' + str(lo['n']) + ' per page and variant)':39}"
            else:
                r = result["ratioToA"][level][v]
                line += (f"{r[PAGES[0]]['p50']:8.2f}x {r[PAGES[0]]['p99']:8.2f}x {r[PAGES[1]]['p50']:7.2f}x "
                         f"{r[PAGES[1]]['p99']:7.2f}x  ")
            if "requestsPerSecond" in f:
                line += f" {f['requestsPerSecond']:7.1f}"
            print(line)
        if level == "concurrency1":
            print("  CPU ms per pair (one request of each page; median of the rounds): " + "; ".join(
                f"{v} {c['total']:.0f} (" + ", ".join(f"{n} {c[n]:.0f}" for n in ls.SERVICES) + ")"
                for v, c in result["cpuMsPerPairMedianOfRounds"].items()))
        for v, pr in result["pairedRatioToA"].get(level, {}).items():
            print(f"  {v}/A per round (p50s, median [min-max] of {len(pr[PAGES[0]]['rounds'])}): " + ", ".join(
                f"{pg} {x['median']:.2f}x [{x['min']:.2f}-{x['max']:.2f}]" for pg, x in pr.items()))
    print(f"\nfigures: {path} ({result['seconds']:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())

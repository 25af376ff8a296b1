#!/usr/bin/env python3
"""Finishes Moodle's web installer ("Wizard" install mode) over HTTP, as a browser does.

    python3 scripts/web_installer.py SITE_URL --admin-password-file FILE
        [--email admin@example.invalid] [--fullname "..."] [--shortname "..."]

For a site whose config.php exists and whose database is empty: Moodle's install then runs through
/admin/index.php. The pages, in the order Moodle shows them:

  1. /admin/index.php                        the GPL licence: a GET form (agreelicense=1);
  2. /admin/index.php?agreelicense=1         the release and environment checks: a GET form
                                             (confirmrelease=1), absent when a check fails;
  3. /admin/index.php?...&confirmrelease=1   installs core and every plugin in this one request
                                             (streamed; a minute or more) and ends with a Continue
                                             button to index.php?sessionstarted=1 (any further
                                             install/upgrade page, plugin check or Continue is
                                             followed the same way);
  4. index.php?sessionstarted=1 -> &sessionverify=1 -> /user/editadvanced.php?id=N: the admin
     account form (a moodleform: sesskey, _qf__user_editadvanced_form and its other hidden
     inputs; newpassword, email), which redirects to /admin/;
  5. /admin/index.php -> ?cache=1 -> /admin/upgradesettings.php?return=site: the new settings with
     the front page settings first (s__fullname, s__shortname, ...; sesskey, return), which
     redirects to the site home; /admin/index.php again until it shows the admin notifications
     page (further upgradesettings.php pages are saved with their defaults).

Then it checks: a fresh session gets the login form from /login/index.php (200), logs in as the
admin with the password, and /admin/index.php shows no install or upgrade page.

Progress: one line per step on stdout (elapsed seconds first), then one line of JSON
{"seconds", "steps", "pages"}. Exit 0 only when the site is installed; otherwise one
`error: ...` line and exit 1. The password is read from a JSON file's "password" key and never
printed. Importable: install(url, password, email, fullname, shortname, progress=print) -> dict.
Python's standard library only.
"""

from __future__ import annotations

import argparse
import html
import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

REQUEST_TIMEOUT = 900          # seconds per request: the core and plugins install is one long request
MAX_PAGES = 200                # a loop guard for the whole flow
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) moodle-autopilot-web-installer/1.0"
_dumped = 0                    # WEB_INSTALLER_DUMP's page counter


class InstallError(Exception):
    """The install cannot go on; the message says why (it never contains the password)."""


# ---------------------------------------------------------------------------------------------
# HTML: forms, meta refresh, Moodle's error markers


class Form:
    """One <form>: its action, method and its successful controls in document order."""

    def __init__(self, attrs: dict, base: str):
        self.id = attrs.get("id", "")
        self.method = (attrs.get("method") or "get").lower()
        self.action = urllib.parse.urljoin(base, html.unescape(attrs.get("action") or base))
        # [kind, name, value, extra]: kind in input/checkbox/radio/submit/select/textarea
        self.fields: list[list] = []

    def names(self) -> set[str]:
        return {f[1] for f in self.fields}

    def value(self, name: str) -> str | None:
        for kind, fname, value, extra in self.fields:
            if fname == name and kind in ("input", "textarea", "select"):
                return value if kind != "select" else (value[0] if value else None)
        return None

    def set(self, name: str, value: str) -> None:
        for f in self.fields:
            if f[1] == name and f[0] in ("input", "textarea"):
                f[2] = value
                return
            if f[1] == name and f[0] == "select":
                f[2] = [value]
                return
        self.fields.append(["input", name, value, {}])

    def submits(self) -> list[tuple[str, str]]:
        return [(f[1], f[2]) for f in self.fields if f[0] == "submit"]

    def data(self, button: str | None = None) -> list[tuple[str, str]]:
        """What a browser sends when the form is submitted with the named button (None: the
        first submit button without a name, or none)."""
        out = []
        for kind, name, value, extra in self.fields:
            if not name or extra.get("disabled"):
                continue
            if kind == "input" or kind == "textarea":
                out.append((name, value))
            elif kind in ("checkbox", "radio"):
                if extra.get("checked"):
                    out.append((name, value if value is not None else "on"))
            elif kind == "select":
                for v in value:
                    out.append((name, v))
            elif kind == "submit" and button is not None and name == button:
                out.append((name, value))
        return out


class PageParser(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: list | None = None      # the select field being read
        self.option: dict | None = None      # {"value", "text", "selected"}
        self.textarea: list | None = None
        self.refresh: str | None = None
        self.body_id = ""
        self.body_class = ""
        self.title = ""
        self._in_title = False
        self._skip = 0                       # inside script/style
        self.text: list[str] = []            # visible text
        self.links: list[tuple[str, str]] = []
        self._link: list | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "body":
            self.body_id, self.body_class = a.get("id", ""), a.get("class", "")
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\"]+)", a.get("content", ""), re.I)
            if m:
                self.refresh = urllib.parse.urljoin(self.base, html.unescape(m.group(1).strip()))
        elif tag == "a" and a.get("href"):
            self._link = [urllib.parse.urljoin(self.base, a["href"]), ""]
        elif tag == "form":
            self.form = Form(a, self.base)
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            extra = {"disabled": "disabled" in a, "checked": "checked" in a}
            name = a.get("name", "")
            if kind in ("checkbox", "radio"):
                self.form.fields.append([kind, name, a.get("value", "on"), extra])
            elif kind in ("submit", "image"):
                self.form.fields.append(["submit", name, a.get("value", ""), extra])
            elif kind in ("button", "reset", "file"):
                pass
            else:
                self.form.fields.append(["input", name, a.get("value", ""), extra])
        elif tag == "button":
            if a.get("type", "submit").lower() == "submit":
                self.form.fields.append(["submit", a.get("name", ""), a.get("value", ""),
                                         {"disabled": "disabled" in a}])
        elif tag == "select":
            self.select = ["select", a.get("name", ""), [], {"disabled": "disabled" in a,
                                                              "multiple": "multiple" in a, "options": []}]
            self.form.fields.append(self.select)
        elif tag == "option" and self.select is not None:
            self._close_option()
            self.option = {"value": a.get("value"), "text": "", "selected": "selected" in a,
                           "disabled": "disabled" in a}
        elif tag == "textarea":
            self.textarea = ["textarea", a.get("name", ""), "", {"disabled": "disabled" in a}]
            self.form.fields.append(self.textarea)

    def _close_option(self):
        if self.option is not None and self.select is not None:
            o = self.option
            value = o["value"] if o["value"] is not None else o["text"].strip()
            self.select[3]["options"].append((value, o["selected"], o["disabled"]))
        self.option = None

    def _close_select(self):
        self._close_option()
        s = self.select
        if s is None:
            return
        opts = s[3]["options"]
        chosen = [v for v, sel, dis in opts if sel]
        if not s[3]["multiple"]:
            if chosen:
                chosen = chosen[-1:]
            else:
                chosen = [v for v, sel, dis in opts if not dis][:1]
        s[2] = chosen
        self.select = None

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], self._link[1].strip()))
            self._link = None
        elif tag == "option":
            self._close_option()
        elif tag == "select":
            self._close_select()
        elif tag == "textarea":
            if self.textarea is not None and self.textarea[2].startswith("\n"):
                self.textarea[2] = self.textarea[2][1:]   # the newline after <textarea> is not content
            self.textarea = None
        elif tag == "form":
            self._close_select()
            self.form = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._skip:
            return
        if self.textarea is not None:
            self.textarea[2] += data
            return
        if self.option is not None:
            self.option["text"] += data
        if self._link is not None:
            self._link[1] += data
        self.text.append(data)


class Page:
    def __init__(self, url: str, status: int, body: str):
        self.url, self.status, self.body = url, status, body
        p = PageParser(url)
        p.feed(body)
        p.close()
        self.forms, self.refresh, self.links = p.forms, p.refresh, p.links
        self.body_id, self.body_class, self.title = p.body_id, p.body_class, p.title.strip()
        self.text = re.sub(r"\s+", " ", " ".join(p.text)).strip()
        u = urllib.parse.urlsplit(url)
        self.path = u.path
        self.query = dict(urllib.parse.parse_qsl(u.query))

    def form_with(self, *names: str, action: str = "") -> Form | None:
        for f in self.forms:
            if all(n in f.names() for n in names) and action in urllib.parse.urlsplit(f.action).path:
                return f
        return None

    def by_class(self, cls: str) -> list[str]:
        """The text of the elements with this class (a shallow regex: enough for Moodle's markup)."""
        out = []
        for m in re.finditer(r'<(\w+)[^>]*\bclass=(["\'])[^"\']*\b%s\b[^"\']*\2[^>]*>(.*?)</\1>' % re.escape(cls),
                             self.body, re.S):
            t = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", m.group(3)))).strip()
            if t:
                out.append(t)
        return out


def page_problem(page: Page) -> str | None:
    """Moodle's error page, an exception, debugging or PHP error output: a one-line description."""
    body = page.body
    if page.status >= 500 or 'class="errormessage"' in body or re.search(r'class="[^"]*\berrorbox\b', body):
        # Moodle's error page (errorbox, errormessage) or an early error (<div class='alert-danger'>).
        msg = page.by_class("errormessage") or page.by_class("alert-danger") or page.by_class("errorbox")
        more = page.by_class("debuggingmessage") or [t for t in page.by_class("notifytiny") if "Debug info" in t]
        text = "; ".join((msg or [page.title or f"HTTP {page.status}"])[:1] + more[:1])
        return f"Moodle error page at {page.url} (HTTP {page.status}): {text[:500]}"
    if "debuggingmessage" in body or 'data-rel="debugging"' in body:
        return f"debugging output at {page.url}: {'; '.join(page.by_class('debuggingmessage'))[:500]}"
    m = re.search(r"<b>(Fatal error|Parse error|Warning|Notice|Deprecated|Catchable fatal error)</b>:(.{0,300})",
                  body, re.S)
    if m:
        return f"PHP {m.group(1)} at {page.url}: {html.unescape(re.sub(r'<[^>]+>', '', m.group(2))).strip()}"
    m = re.search(r"\b(\w*Exception|\w+_exception|Default exception handler)\b(.{0,200})", page.text)
    if m:
        return f"exception at {page.url}: {m.group(1)}{m.group(2)}"
    if page.status >= 400:
        return f"HTTP {page.status} at {page.url}: {page.title}"
    return None


# ---------------------------------------------------------------------------------------------
# HTTP: a browser's session (cookies, redirects, meta refresh)


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, browser: "Browser"):
        self.browser = browser

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.browser.requests += 1
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Browser:
    def __init__(self, base: str):
        self.base = base.rstrip("/") + "/"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _Redirects(self))
        self.requests = 0       # every HTTP request, redirects included

    def url(self, path: str) -> str:
        return urllib.parse.urljoin(self.base, path.lstrip("/"))

    def fetch(self, url: str, data: list[tuple[str, str]] | None = None, method: str = "GET",
              follow_refresh: bool = True, on_headers=None) -> Page:
        """GET or POST; redirects and meta refreshes are followed. on_headers() is called once,
        when the first response's headers have arrived (Moodle streams its install pages)."""
        global _dumped
        for _ in range(20):
            body = None
            if data is not None and method == "POST":
                body = urllib.parse.urlencode(data).encode()
            elif data is not None:
                parts = urllib.parse.urlsplit(url)
                url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(data), fragment=""))
            req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                         headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*",
                                                  "Accept-Language": "en"})
            if body is not None:
                req.add_header("Content-Type", "application/x-www-form-urlencoded")
            self.requests += 1
            try:
                with self.opener.open(req, timeout=REQUEST_TIMEOUT) as r:
                    if on_headers is not None:
                        on_headers()
                        on_headers = None
                    status, final, raw = r.status, r.geturl(), r.read()
                    charset = r.headers.get_content_charset() or "utf-8"
            except urllib.error.HTTPError as e:
                status, final, raw, charset = e.code, e.geturl(), e.read(), "utf-8"
            except (urllib.error.URLError, OSError) as e:
                raise InstallError(f"{method} {url}: {getattr(e, 'reason', e)}") from None
            page = Page(final, status, raw.decode(charset, errors="replace"))
            if os.environ.get("WEB_INSTALLER_DUMP"):     # a directory: every page, for debugging
                _dumped += 1
                with open(os.path.join(os.environ["WEB_INSTALLER_DUMP"], f"{_dumped:03d}.html"), "w") as f:
                    f.write(f"<!-- {status} {final} -->\n{page.body}")
            if follow_refresh and page.refresh and page.refresh != page.url and status < 400 \
                    and page_problem(page) is None:
                url, data, method = page.refresh, None, "GET"
                continue
            return page
        raise InstallError(f"too many redirects from {url}")

    def submit(self, form: Form, button: str | None = None, on_headers=None) -> Page:
        return self.fetch(form.action, form.data(button), "POST" if form.method == "post" else "GET",
                          on_headers=on_headers)


# ---------------------------------------------------------------------------------------------
# The install flow


def password_policy_problem(password: str) -> str | None:
    """Moodle's default password policy (passwordpolicy on; minlength 8, 1 digit, 1 lower case,
    1 upper case, 1 non-alphanumeric), which the admin account form enforces."""
    missing = []
    if len(password) < 8:
        missing.append("at least 8 characters")
    if not re.search(r"\d", password):
        missing.append("a digit")
    if not re.search(r"[a-z]", password):
        missing.append("a lower case letter")
    if not re.search(r"[A-Z]", password):
        missing.append("an upper case letter")
    if not re.search(r"[^A-Za-z0-9]", password):
        missing.append("a non-alphanumeric character")
    return ", ".join(missing) or None


def _form_errors(page: Page) -> list[str]:
    errs = []
    for m in re.finditer(r'<(\w+)[^>]*\bid="(id_error_[^"]+)"[^>]*>(.*?)</\1>', page.body, re.S):
        t = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", m.group(3)))).strip()
        if t:
            errs.append(f"{m.group(2)[len('id_error_'):]}: {t}")
    for cls in ("error", "alert-danger"):
        errs += [t for t in page.by_class(cls) if t not in errs]
    return errs


def _is_install_page(page: Page) -> bool:
    """A page of the install or upgrade flow (not the installed site's pages)."""
    if page.path.endswith(("/user/editadvanced.php", "/admin/upgradesettings.php", "/admin/environment.php")):
        return True
    if page.form_with("agreelicense") or page.form_with("confirmrelease") or page.form_with("confirmplugincheck") \
            or page.form_with("confirmupgrade"):
        return True
    return any("sessionstarted" in f.action or "sessionstarted" in str(f.data()) for f in page.forms)


def install(url: str, password: str, email: str = "admin@example.invalid", fullname: str = "Moodle",
            shortname: str = "moodle", progress=print) -> dict:
    """Runs the web install of the site at url to its end. Returns {"seconds", "steps", "pages"};
    raises InstallError when it cannot."""
    start = time.monotonic()
    steps: list[dict] = []
    problem = password_policy_problem(password)
    if problem:
        raise InstallError(f"the admin password does not satisfy Moodle's default password policy "
                           f"(missing: {problem}); the admin account form would refuse it")
    b = Browser(url)
    pages = 0
    components = 0          # install pages' success notifications (one per component installed)
    counting = False

    def step(name: str, **extra) -> None:
        t = time.monotonic() - start
        steps.append({"step": name, "seconds": round(t, 1), **extra})
        progress(f"{t:6.1f} s  {name}")
        try:
            sys.stdout.flush()
        except Exception:
            pass

    def get(path_or_url: str) -> Page:
        nonlocal pages
        pages += 1
        return b.fetch(path_or_url if "://" in path_or_url else b.url(path_or_url))

    def post(form: Form, button: str | None = None, on_headers=None) -> Page:
        nonlocal pages, components, counting
        pages += 1
        page = b.submit(form, button, on_headers)
        # Each component installed shows a heading and a success notification.
        if counting:
            components += page.body.count('class="alert alert-success')
        return page

    def check(page: Page, doing: str) -> Page:
        problem = page_problem(page)
        if problem:
            raise InstallError(f"{doing}: {problem}")
        if pages > MAX_PAGES:
            raise InstallError(f"{doing}: still not installed after {MAX_PAGES} pages (at {page.url})")
        return page

    page = check(get("admin/index.php"), "opening /admin/index.php")
    if page.path.endswith("/login/index.php"):
        raise InstallError("the site is already installed (/admin/index.php asks for a login)")

    # 1. The licence.
    form = page.form_with("agreelicense")
    if form:
        page = check(post(form), "agreeing to the licence")
        step("license agreed")

    # 2. The release and environment checks: the Continue form is there only when they pass.
    form = page.form_with("confirmrelease")
    if form is None and "agreelicense" in page.query and "confirmrelease" not in page.query:
        # install_environment_page(): a failed check leaves only a Reload link; its rows are class "error".
        fails = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
                 for row in re.findall(r'<tr[^>]*\bclass="[^"]*\berror\b[^"]*"[^>]*>(.*?)</tr>', page.body, re.S)]
        raise InstallError("the environment checks failed: " + ("; ".join(fails[:10]) or page.text[:500]))
    install_start = pages
    counting = True
    if form:
        # The answer streams the whole core and plugins install: its headers come at once.
        page = check(post(form, on_headers=lambda: step("environment confirmed")),
                     "confirming the environment (installing core and plugins)")

    # 3. Core and plugins: follow every install/upgrade page's Continue (GET forms to index.php),
    #    plugin checks and redirects until the admin account form or the settings pages.
    installing = True
    while installing:
        if page.path.endswith("/login/index.php"):
            raise InstallError(f"the install lost its session: redirected to the login page from {page.url}")
        if page.path.endswith(("/user/editadvanced.php", "/admin/upgradesettings.php")) \
                or not _is_install_page(page) and not page.path.endswith("/admin/index.php"):
            break
        form = (page.form_with("confirmplugincheck") or page.form_with("confirmupgrade")
                or page.form_with("confirmrelease") or page.form_with("agreelicense"))
        if form is None:
            # upgrade_finished()'s Continue: a GET form to index.php?sessionstarted=1, or any Continue.
            form = next((f for f in page.forms if "/admin/index.php" in f.action or "sessionstarted" in f.action
                         or "sessionstarted" in str(f.data())), None)
        if form is not None:
            page = check(post(form), f"continuing the install from {page.url}")
            continue
        if page.path.endswith("/admin/index.php") and not _is_install_page(page):
            installing = False
            break
        raise InstallError(f"an install page without a way to continue at {page.url}: {page.text[:300]}")
    counting = False
    if pages > install_start:
        step(f"core and plugins installed ({pages - install_start} pages, {components} components)",
             pages=pages - install_start, components=components)
    else:
        step("core and plugins were already installed")

    # 4. The admin account.
    admin_username = None
    if page.path.endswith("/user/editadvanced.php"):
        form = page.form_with("sesskey", "newpassword", action="/user/editadvanced.php")
        if form is None:
            raise InstallError(f"no admin account form at {page.url}")
        admin_username = form.value("username")
        form.set("newpassword", password)
        form.set("email", email)
        for name, default in (("firstname", "Admin"), ("lastname", "User")):
            if not (form.value(name) or "").strip():
                form.set(name, default)
        button = "submitbutton" if any(n == "submitbutton" for n, _ in form.submits()) else None
        page = check(post(form, button), "saving the admin account")
        if page.path.endswith("/user/editadvanced.php"):
            raise InstallError("the admin account form was refused: " + ("; ".join(_form_errors(page)) or page.text[:300]))
        step("admin account saved")

    # 5. The new settings (front page settings first) until /admin/index.php is the admin's page.
    settings_pages = 0
    seen_registration = False
    for _ in range(20):
        if page.path.endswith("/login/index.php"):
            raise InstallError(f"the install lost its session: redirected to the login page ({page.url})")
        if page.path.endswith("/admin/upgradesettings.php"):
            form = page.form_with("sesskey", action="/admin/upgradesettings.php")
            if form is None:
                raise InstallError(f"no settings form at {page.url}")
            names = form.names()
            front = "s__fullname" in names
            if front:
                form.set("s__fullname", fullname)
                form.set("s__shortname", shortname)
            for name in ("s__supportemail",):
                if name in names and not (form.value(name) or "").strip():
                    form.set(name, email)
            before = sorted(names)
            page = check(post(form), "saving the new settings")
            settings_pages += 1
            if page.path.endswith("/admin/upgradesettings.php"):
                again = page.form_with("sesskey", action="/admin/upgradesettings.php")
                errs = _form_errors(page)
                if errs or (again and sorted(again.names()) == before):
                    raise InstallError("the settings were refused: " + ("; ".join(errs[:10]) or page.text[:300]))
            step("site settings saved" if front else "new settings saved")
            continue
        if "/admin/registration/" in page.path and not seen_registration:
            # The registration reminder (public sites only): shown once, then /admin/ goes on.
            seen_registration = True
            step("registration reminder skipped")
            page = check(get("admin/index.php"), "opening /admin/index.php")
            continue
        if page.path.endswith("/admin/index.php") and not _is_install_page(page) \
                and page.query.get("cache") == "1":
            break
        if _is_install_page(page):
            raise InstallError(f"an unexpected install page at {page.url}: {page.text[:300]}")
        # The site home (upgradesettings.php?return=site goes there) or anything else: ask /admin/.
        page = check(get("admin/index.php"), "opening /admin/index.php")
    else:
        raise InstallError(f"/admin/index.php still does not show the installed site (at {page.url})")

    # 6. Verify as a new browser: the login form, a login as the admin, /admin/index.php.
    v = Browser(url)
    login = v.fetch(v.url("login/index.php"))
    problem = page_problem(login)
    if problem or login.status != 200:
        raise InstallError(f"checking /login/index.php: {problem or f'HTTP {login.status}'}")
    form = login.form_with("username", "password", action="/login/index.php")
    if form is None:
        raise InstallError(f"/login/index.php has no login form (at {login.url})")
    form.set("username", admin_username or form.value("username") or "admin")
    form.set("password", password)
    after = v.submit(form)
    if after.path.endswith("/login/index.php"):
        raise InstallError("logging in as the admin failed: " + ("; ".join(after.by_class("alert-danger")) or after.title))
    admin = v.fetch(v.url("admin/index.php"))
    problem = page_problem(admin)
    if problem or admin.status != 200 or not admin.path.endswith("/admin/index.php") or _is_install_page(admin):
        raise InstallError(f"/admin/index.php as the admin: {problem or f'HTTP {admin.status} at {admin.url}'}")
    step("verified: login form, admin login, /admin/index.php shows the installed site")
    return {"seconds": round(time.monotonic() - start, 1), "steps": steps, "pages": pages,
            "requests": b.requests + v.requests}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("url", metavar="SITE_URL")
    p.add_argument("--admin-password-file", required=True, help='a JSON file with the admin password as "password"')
    p.add_argument("--email", default="admin@example.invalid")
    p.add_argument("--fullname", default="Moodle")
    p.add_argument("--shortname", default="moodle")
    a = p.parse_args(argv)
    try:
        with open(a.admin_password_file) as f:
            password = json.load(f)["password"]
        if not isinstance(password, str) or not password:
            raise ValueError("empty or not a string")
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"error: cannot read the admin password from {a.admin_password_file}: {type(e).__name__}", flush=True)
        return 1
    try:
        result = install(a.url, password, a.email, a.fullname, a.shortname,
                         progress=lambda line: print(line, flush=True))
    except InstallError as e:
        print(f"error: {str(e).replace(password, '***')}", flush=True)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", flush=True)
        return 1
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

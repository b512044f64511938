# Debian's chromium, headless, driven through the DevTools protocol over a pipe
# (--remote-debugging-pipe: NUL-separated JSON on the child's fds 3 and 4), with
# nothing but the standard library: no websocket client, no npm package, no driver
# binary. Used by test_html_viewer.py and bench/bench_viewer.py.
#
#     with Browser() as b:
#         page = b.open("file:///tmp/out.html")
#         page.eval("document.title")
#         page.click("#stats th[data-col=cumtime]")
#         page.requests, page.errors      # every network request, every console error
#     page_data(open("/tmp/out.html").read())   # the profile the page carries
import base64
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zlib

def page_data(html):
    """The profile a viewer page carries (its text given), as viewer/model.js decode()
    reads it: plain JSON, or deflated JSON in base64 (output/html_page.c). A recording's
    tree and line columns come back as flat rows, the tests' truth: "nodes" as func,
    parent, self, total, calls per node, "lines" as func, line, self, total per line."""
    match = re.search(r'<script type="([^"]+)" id="pyattach-data"( data-encoding="([^"]+)")?>(.*?)</script>', html, re.S)
    if match is None:
        raise AssertionError("no pyattach-data element in the page")
    if match.group(3) == "deflate-base64":
        data = json.loads(zlib.decompress(base64.b64decode(match.group(4))).decode("utf-8"))
    else:
        data = json.loads(match.group(4))
    if isinstance(data.get("nodes"), dict):
        data["nodes"] = node_rows(data["nodes"])
    if isinstance(data.get("lines"), dict):
        data["lines"] = line_rows(data["lines"])
    return data


def node_rows(c):
    """output/writer_html.c's node columns (pre-order; "up": the distance back to the
    parent, 0 for the root) as flat rows, decoded as viewer/model.js load() does."""
    rows = []
    for i, up in enumerate(c["up"]):
        rows += [c["func"][i], i - up if up else -1, c["self"][i], c["total"][i], c["calls"][i]]
    return rows


def line_rows(c):
    """The line columns ("func": the step from the previous entry's function, "line": from
    the previous line of one function, or the line itself) as flat rows."""
    rows, func, line = [], 0, 0
    for i, step in enumerate(c["func"]):
        func += step
        line = c["line"][i] if i == 0 or step else line + c["line"][i]
        rows += [func, line, c["self"][i], c["total"][i]]
    return rows


CHROMIUM = os.environ.get("PYATTACH_CHROMIUM", "/usr/bin/chromium")
TIMEOUT = 60.0


def require_chromium():
    if not os.access(CHROMIUM, os.X_OK):
        raise AssertionError("CHROMIUM MISSING: %s -- apt-get install chromium (.ci/install_deps.sh); "
                             "the viewer's browser tests never skip" % CHROMIUM)


class Browser(object):
    def __init__(self, width=1280, height=720):
        require_chromium()
        self.width, self.height = width, height
        self.profile_dir = tempfile.mkdtemp(prefix="pyattach-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # The child's fds 3 and 4, whatever numbers the pipes got here (dup2 in the
        # child clears close-on-exec on them; every other fd of ours is close-on-exec).
        hi_r, hi_w = _dup_high(to_child_r), _dup_high(from_child_w)

        def child_fds():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        # --hide-scrollbars: a screenshot beyond the viewport (Page.captureScreenshot with
        # captureBeyondViewport) drops the scrollbar, and the 15 px it gave back re-wrapped
        # text above a clipped element (the sandwich came out 19 px off); without
        # scrollbars the layout is the same in the viewport and in the capture.
        argv = [CHROMIUM, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + self.profile_dir, "--window-size=%d,%d" % (width, height), "about:blank"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=child_fds, close_fds=False)
        for fd in (to_child_r, from_child_w, hi_r, hi_w):
            os.close(fd)
        self._next_id = 0
        self._replies = {}
        self._events = queue.Queue()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # the one we started, by its PID
            self.proc.wait()
        os.close(self._to_child)
        shutil.rmtree(self.profile_dir, ignore_errors=True)

    def _read(self):
        buf = b""
        while True:
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._cond:
                        self._replies[msg["id"]] = msg
                        self._cond.notify_all()
                else:
                    self._events.put(msg)
        os.close(self._from_child)
        with self._cond:
            self._replies[-1] = {"error": {"message": "chromium exited"}}
            self._cond.notify_all()

    def send(self, method, params=None, session=None, timeout=TIMEOUT):
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        msg = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while ident not in self._replies and -1 not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("chromium did not answer %s within %.0fs" % (method, timeout))
                self._cond.wait(left)
            reply = self._replies.pop(ident, None) or self._replies[-1]
        if "error" in reply:
            raise AssertionError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    def open(self, url, width=None, height=None):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(domain + ".enable")
        page.send("Emulation.setDeviceMetricsOverride", {"width": width or self.width, "height": height or self.height,
                                                         "deviceScaleFactor": 1, "mobile": False})
        page.navigate(url)
        return page


def _dup_high(fd):
    import fcntl
    return fcntl.fcntl(fd, fcntl.F_DUPFD, 10)


class Page(object):
    def __init__(self, browser, session):
        self.browser = browser
        self.session = session
        self.requests = []   # URLs of every request the page made
        self.errors = []     # console errors, exceptions, log entries at level error

    def send(self, method, params=None, timeout=TIMEOUT):
        result = self.browser.send(method, params, self.session, timeout)
        self._drain()
        return result

    def _drain(self, until=None, timeout=0.0):
        """Files the events that arrived; with `until`, waits for that event."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                left = max(deadline - time.monotonic(), 0)
                msg = self.browser._events.get(timeout=left) if until else self.browser._events.get_nowait()
            except queue.Empty:
                if until:
                    raise AssertionError("no %s within %.0fs" % (until, timeout))
                return
            if msg.get("sessionId") != self.session:
                continue
            method, params = msg["method"], msg.get("params", {})
            if method == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                self.errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                self.errors.append(details.get("exception", {}).get("description") or details.get("text"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                self.errors.append(params["entry"]["text"])
            if method == until:
                return params

    def navigate(self, url):
        self.url = url
        self.send("Page.navigate", {"url": url})
        self._drain(until="Page.loadEventFired", timeout=TIMEOUT)
        # the viewer inflates its data asynchronously: PA.ready settles once it has drawn
        self.eval("(window.PA && PA.ready ? PA.ready : Promise.resolve()).then(() => "
                  "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))")

    def eval(self, expression):
        """The value of a JavaScript expression (a promise is awaited)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError("%s: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def center(self, selector):
        rect = self.eval("(() => { const e = document.querySelector(%s); if (!e) return null; e.scrollIntoView("
                         "{block: 'center', inline: 'nearest'}); const r = e.getBoundingClientRect(); "
                         "return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(selector))
        if rect is None:
            raise AssertionError("no element matches %s" % selector)
        return rect

    def click(self, selector):
        """A real mouse click (press and release) at the element's centre."""
        x, y = self.center(selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})
        self.eval("new Promise((r) => requestAnimationFrame(() => r()))")

    def hover(self, selector):
        x, y = self.center(selector)
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    def type(self, selector, text):
        """Focuses the field, selects what it holds and types text (input events)."""
        self.click(selector)
        self.eval("document.querySelector(%s).select()" % json.dumps(selector))
        self.send("Input.insertText", {"text": text})

    def select(self, selector, value):
        self.eval("(() => { const s = document.querySelector(%s); s.value = %s; "
                  "s.dispatchEvent(new Event('change', {bubbles: true})); })()"
                  % (json.dumps(selector), json.dumps(value)))

    def screenshot(self, path, selector=None, through=None):
        """A PNG of the viewport; of the element `selector`; or of the page from its top
        through the bottom of the element `through` (a chart taller than the window)."""
        params = {"format": "png"}
        if selector or through:
            self.eval("window.scrollTo(0, 0)")
            r = self.eval("(() => { const r = document.querySelector(%s).getBoundingClientRect(); "
                          "return [r.x + scrollX, r.y + scrollY, r.width, r.height]; })()"
                          % json.dumps(selector or through))
            if through:
                r = [0, 0, self.eval("document.documentElement.clientWidth"), r[1] + r[3] + 8]
            params["clip"] = {"x": r[0], "y": r[1], "width": r[2], "height": r[3], "scale": 1}
            params["captureBeyondViewport"] = True
        data = base64.b64decode(self.send("Page.captureScreenshot", params)["data"])
        with open(path, "wb") as f:
            f.write(data)

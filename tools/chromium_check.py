#!/usr/bin/env python3
"""Opens folio's HTML reports in headless Chromium: fails on any console message of level
error or warning, JavaScript exception, failed load or network request the page makes, and
takes screenshots of each whole page to look at.

    tools/chromium_check.py REPORT.html [REPORT.html …] [--shots DIR] [--width 1000] [--slice 1600]

Needs Debian's `chromium` (`sudo apt-get install -y chromium`) and nothing else: it speaks the
DevTools protocol over `--remote-debugging-pipe`, so it sees the page's own requests
(Network.requestWillBeSent; Chromium's background traffic is not the page's), its console
(Runtime.consoleAPICalled, Log.entryAdded) and its exceptions (Runtime.exceptionThrown).
A request is any URL other than the page's own file. Not part of `cargo test`.
Screenshots: DIR/NAME-1.png, NAME-2.png, … slices of SLICE pixels of the whole page.
Exit status 1 if any page fails.

To see it fail, add `<script>console.error("x")</script>` or `<img src="https://example.com/x.png">`
to a report: the check names both.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, profile):
        r1, self.w = os.pipe()  # we write, chromium reads on fd 3
        self.r, w2 = os.pipe()  # chromium writes on fd 4, we read
        def fds():
            # Chromium reads commands on fd 3 and writes on fd 4: copies out of the way first.
            a, b = os.dup(r1), os.dup(w2)
            a, b = os.dup(a) if a in (3, 4) else a, os.dup(b) if b in (3, 4) else b
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(r1)
        os.close(w2)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        while True:
            m = self.read()
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def wait_for(self, method, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(self.read())
        raise RuntimeError(f"no {method} in {timeout} s")

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        self.proc.wait(timeout=30)


def check(page, shots, width, slice_h):
    page = os.path.abspath(page)
    url = "file://" + page
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        b = Browser(tmp)
        try:
            targets = b.send("Target.getTargets")["targetInfos"]
            target = next(t for t in targets if t["type"] == "page")["targetId"]
            s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Network", "Runtime", "Log", "Page"):
                b.send(f"{domain}.enable", session=s)
            b.send("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": slice_h, "deviceScaleFactor": 1, "mobile": False},
                   session=s)
            b.events.clear()
            b.send("Page.navigate", {"url": url}, session=s)
            b.wait_for("Page.loadEventFired")
            time.sleep(1.0)
            for e in b.events:
                m, p = e.get("method"), e.get("params", {})
                if m == "Network.requestWillBeSent" and p["request"]["url"] != url and not p["request"]["url"].startswith("data:"):
                    failures.append("network request: " + p["request"]["url"][:200])
                elif m == "Network.loadingFailed":
                    failures.append("failed load: " + json.dumps(p)[:200])
                elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                    failures.append("console: " + json.dumps(p.get("args"))[:200])
                elif m == "Runtime.exceptionThrown":
                    failures.append("exception: " + json.dumps(p)[:200])
                elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                    failures.append("log: " + p["entry"].get("text", "")[:200])
            if shots:
                os.makedirs(shots, exist_ok=True)
                height = b.send("Page.getLayoutMetrics", session=s)["cssContentSize"]["height"]
                stem = os.path.join(shots, os.path.basename(page).rsplit(".", 1)[0])
                y, k = 0, 1
                while y < height:
                    h = min(slice_h, height - y)
                    shot = b.send("Page.captureScreenshot", {
                        "format": "png", "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": y, "width": width, "height": h, "scale": 1}},
                        session=s)
                    with open(f"{stem}-{k}.png", "wb") as f:
                        f.write(base64.b64decode(shot["data"]))
                    y, k = y + slice_h, k + 1
                print(f"{page}: {k - 1} screenshot(s) {stem}-*.png ({width} × {int(height)} px)")
        finally:
            b.close()
    for f in failures:
        print(f"{page}: {f}")
    if not failures:
        print(f"{page}: no console error, no network request")
    return not failures


def main(argv):
    shots, width, slice_h, pages = None, 1000, 1600, []
    it = iter(argv)
    for a in it:
        if a == "--shots":
            shots = next(it)
        elif a == "--width":
            width = int(next(it))
        elif a == "--slice":
            slice_h = int(next(it))
        else:
            pages.append(a)
    if not pages:
        print(__doc__)
        return 2
    ok = all([check(p, shots, width, slice_h) for p in pages])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

# The HTML viewer (-o out.html, view --html) in a real browser: Debian's chromium,
# headless, driven through the DevTools protocol (browser.py). Real recordings of real
# targets, real mouse clicks and typing; figures are compared with the workload's known
# shares and with pstats itself. Every page must make no network request and log no
# error. Set PYATTACH_SCREENSHOTS=DIR to write the README's screenshots there
# (PYATTACH_SCREENSHOTS=../../docs ... -m unittest test_html_viewer.ScreenshotTest).
import cProfile
import json
import math
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import browser
import harness as h
import test_servers as servers
from test_record import read_totals

PYTHON = "/usr/bin/python3"
NATIVE_EXT = os.path.normpath(os.path.join(h.HERE, "..", "native_ext"))
BOX = "(() => [...document.querySelectorAll('#%s-svg .box')].map((e) => { const b = e.getBBox(); return {" \
      "func: +e.dataset.func, node: +e.dataset.node, name: +e.dataset.func >= 0 ? " \
      "PA.app.profile.names[+e.dataset.func] : 'all', x: b.x, w: b.width, y: b.y, match: e.classList.contains('match')}; }))()"
ROWS = "[...document.querySelectorAll('%s tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent))"


PAGE_DIGITS = 12  # significant digits of a time in the page's data (output/html_page.c, json_time)


def fmt4(x):
    """The page's number format: 4 significant digits (snakeviz's {:.4g}) of a time as
    the page carries it: a time on a rounding edge (4.6475000000001e-05) shows as the
    page has it (4.647e-05)."""
    return float("%.4g" % float("%.*g" % (PAGE_DIGITS, x)))


def def_line(script, function):
    """The line of `def function` in tests/targets/script."""
    with open(h.script_path(script)) as f:
        return next(i for i, line in enumerate(f, 1) if line.startswith("def %s(" % function))


def arc_angles(d, centre):
    """A sunburst arc's start and end angle (radians clockwise from 12 o'clock, the
    end unwrapped past the start) from its path (viewer/layout.js arcPath): a ring
    segment is M (inner, a0) L (outer, a0) A ... (outer, a1) ...; a full ring is
    M (outer, a0) A ... A ... back to it."""
    commands = re.findall(r"([MLAZ])([^MLAZ]*)", d)
    numbers = lambda i: [float(v) for v in re.findall(r"-?[\d.]+", commands[i][1])]
    angle = lambda x, y: math.atan2(x - centre, centre - y) % (2 * math.pi)
    a0 = angle(*numbers(0)[:2])
    if commands[1][0] == "A":
        return a0, a0 + 2 * math.pi
    assert [c for c, _ in commands[:3]] == ["M", "L", "A"], d
    return a0, a0 + (angle(*numbers(2)[-2:]) - a0) % (2 * math.pi)


def page_data(path):
    with open(path, encoding="utf-8") as f:
        return browser.page_data(f.read())


class ViewerCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pyattach-html-")
        try:
            cls.prepare()
        except BaseException:
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise
        cls.browser = browser.Browser()

    @classmethod
    def prepare(cls):
        """The class's recordings, made before Chromium starts: its start-up holds both
        CPUs here for a second or two, and a target that waits for a CPU, or a sampler
        that stalls, puts that time in whatever function it was in (small() of
        viewer_tree_target.py at 0.2 % to 1.09 % of its caller where it burns 0.4 %)."""

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def record(self, name, args):
        out = os.path.join(self.dir, name)
        result = h.run_pyattach(list(args) + ["-o", out])
        self.assertEqual(result.rc, 0, result.stderr)
        return out

    def open(self, path):
        page = self.browser.open("file://" + path)
        self.addCleanup(self.assert_clean, page)
        return page

    def assert_clean(self, page):
        """No request but the page itself, nothing in the console at level error."""
        page._drain()
        self.assertEqual([u for u in page.requests if u != page.url], [], "the page made network requests")
        self.assertEqual(page.errors, [], "errors in the console")

    def boxes(self, page, svg="chart"):
        return page.eval(BOX % svg)


class RecordingTest(ViewerCase):
    """One 6 s recording of tests/targets/shares_target.py (share_20/30/50 called in turn,
    30 rounds), with the target's own measurement of the same window."""

    @classmethod
    def prepare(cls):
        cls.path = os.path.join(cls.dir, "shares.html")
        with h.Target([PYTHON, h.script_path("shares_target.py")]) as target:
            time.sleep(0.3)  # past the first iteration
            before = read_totals(target)
            result = h.run_pyattach(["-p", target.pid, "-d", 6, "-r", 200, "-o", cls.path])
            after = read_totals(target)
        if result.rc != 0:
            raise AssertionError(result.stderr)
        spent = dict((n, after["spent"][n] - before["spent"][n]) for n in before["spent"])
        cls.measured = dict((n, 100.0 * t / sum(spent.values())) for n, t in spent.items())

    def test_box_widths_are_the_known_shares(self):
        page = self.open(self.path)
        boxes = self.boxes(page)
        main = [b for b in boxes if b["name"].endswith("(main)")]
        self.assertEqual(len(main), 1)
        shares = [[b for b in boxes if b["name"].endswith("(share_%d)" % s)] for s in (20, 30, 50)]
        for share, box in zip((20, 30, 50), shares):
            self.assertEqual(len(box), 1, "one box of share_%d under main" % share)
            self.assertEqual(box[0]["y"], main[0]["y"] + 22, "share_%d is main's child" % share)
        whole = sum(box[0]["w"] for box in shares)
        self.assertGreater(whole, 0.97 * main[0]["w"])
        for share, box in zip((20, 30, 50), shares):
            measured = self.measured["share_%d" % share]
            self.assertAlmostEqual(measured, share, delta=3, msg="the workload's own share of the window")
            self.assertAlmostEqual(100 * box[0]["w"] / whole, measured, delta=3,
                                   msg="share_%d: box %.1f%%, measured %.1f%%" % (share, 100 * box[0]["w"] / whole, measured))
        # hover: file:line, the box's time and share, its own time, and the function's total
        data = page_data(self.path)
        nodes, tick = data["nodes"], data["tick"]
        share_50 = shares[2][0]["node"]
        burn = next(b["node"] for b in boxes if b["name"].endswith("(burn)") and nodes[5 * b["node"] + 1] == share_50)
        for node, function in ((share_50, "share_50"), (burn, "burn")):
            page.hover("#chart-svg .box[data-node='%d']" % node)
            tip = page.eval("document.getElementById('tip').innerText")
            self.assertIn("%s:%d(%s)" % (h.script_path("shares_target.py"), def_line("shares_target.py", function),
                                         function), tip, "the function's file and first line")
            box = float(re.search(r"this box: (\S+) s", tip).group(1))
            own = float(re.search(r"own time in this box: (\S+) s", tip).group(1))
            self.assertEqual(box, fmt4(nodes[5 * node + 3] * tick), "the box's time: %s" % tip)
            self.assertEqual(own, fmt4(nodes[5 * node + 2] * tick), "the box's own time: %s" % tip)
            self.assertIn("function total (cumtime)", tip)
            if function == "share_50":
                self.assertRegex(tip, r"this box: [\d.]+ s \((4[7-9]|5[0-3])\.\d% of the total\)")
        self.assertGreater(own, 0.9 * box, "burn's box is its own time (clock() is C, no frame)")

    def test_zoom_shows_the_children_and_the_breadcrumb_goes_back(self):
        page = self.open(self.path)
        share = [b for b in self.boxes(page) if b["name"].endswith("(share_50)")][0]
        page.click("#chart-svg .box[data-node='%d']" % share["node"])
        boxes = self.boxes(page)
        self.assertEqual(boxes[0]["node"], share["node"], "the clicked box is the root")
        self.assertAlmostEqual(boxes[0]["w"], page.eval("document.getElementById('chart-svg').width.baseVal.value"), 0)
        kids = [b for b in boxes if b["y"] == 22]
        self.assertIn("burn", [b["name"].rsplit("(", 1)[1][:-1] for b in kids])
        self.assertGreater(sum(b["w"] for b in kids), 0.9 * boxes[0]["w"])
        crumbs = page.eval("[...document.querySelectorAll('#crumbs a')].map((a) => a.textContent)")
        self.assertEqual(crumbs[0], "all")
        self.assertTrue(crumbs[-1].startswith("share_50 "), crumbs)
        page.click("#crumbs a:first-child")
        self.assertEqual(self.boxes(page)[0]["name"], "all")

    def test_search_highlights_the_matching_boxes_and_prints_their_share(self):
        page = self.open(self.path)
        page.type("#search", "share_")
        boxes = self.boxes(page)
        matching = [b for b in boxes if "share_" in b["name"].lower()]
        self.assertEqual(len(matching), 3)
        self.assertEqual([b for b in boxes if b["match"]], matching, "exactly the matching boxes are highlighted")
        data = page_data(self.path)
        names, funcs, nodes = data["strings"], data["funcs"], data["nodes"]
        hit = lambda f: f >= 0 and "share_" in names[funcs[8 * f + 2]]
        # the matched share from the file: outermost matching nodes, each counted once
        matched, stack = 0, [0]
        children = {}
        for i in range(1, len(nodes) // 5):
            children.setdefault(nodes[5 * i + 1], []).append(i)
        while stack:
            n = stack.pop()
            if hit(nodes[5 * n]):
                matched += nodes[5 * n + 3]
                continue
            stack.extend(children.get(n, []))
        expected = "matched: %.1f%% of the total" % (100.0 * matched / nodes[3])
        self.assertIn(expected, page.eval("document.getElementById('matched').textContent"))
        self.assertGreater(100.0 * matched / nodes[3], 90)
        rows = page.eval(ROWS % "#stats")
        self.assertEqual(sorted(r[5].rsplit("(", 1)[1] for r in rows), ["share_20)", "share_30)", "share_50)"])
        # a search that nests: main and the shares under it count once
        page.type("#search", "shares_target")
        text = page.eval("document.getElementById('matched').textContent")
        self.assertRegex(text, r"matched: (99\.\d|100\.0)% of the total")

    def test_depth_3(self):
        page = self.open(self.path)
        page.select("#depth", "3")
        self.assertEqual(max(b["y"] for b in self.boxes(page)), 3 * 22)

    def test_sunburst_arcs_are_the_known_shares(self):
        page = self.open(self.path)
        page.select("#style", "sunburst")
        centre = page.eval("document.getElementById('chart-svg').width.baseVal.value") / 2
        arcs = page.eval("[...document.querySelectorAll('#chart-svg path.box')].map((e) => ({node: +e.dataset.node, "
                         "name: +e.dataset.func >= 0 ? PA.app.profile.names[+e.dataset.func] : 'all', "
                         "d: e.getAttribute('d')}))")
        nodes = page_data(self.path)["nodes"]
        main = [a for a in arcs if a["name"].endswith("(main)")]
        self.assertEqual(len(main), 1)
        m0, m1 = arc_angles(main[0]["d"], centre)
        for share in (20, 30, 50):
            arc = [a for a in arcs if a["name"].endswith("(share_%d)" % share)]
            self.assertEqual(len(arc), 1, "one arc of share_%d" % share)
            self.assertEqual(nodes[5 * arc[0]["node"] + 1], main[0]["node"], "share_%d is main's child" % share)
            a0, a1 = arc_angles(arc[0]["d"], centre)
            self.assertTrue(m0 - 1e-3 <= a0 < a1 <= m1 + 1e-3, "share_%d's arc lies within main's" % share)
            shown = 100 * (a1 - a0) / (m1 - m0)
            measured = self.measured["share_%d" % share]
            self.assertAlmostEqual(shown, measured, delta=3, msg="share_%d: arc %.1f%% of main's angle, measured %.1f%%"
                                   % (share, shown, measured))

    def test_dark_theme_follows_the_system_setting(self):
        page = self.open(self.path)
        colours = ("(() => { const s = (q) => getComputedStyle(document.querySelector(q)); return ["
                   "s('body').backgroundColor, s('body').color, s('#stats th').backgroundColor, "
                   "s('#search').backgroundColor, s('#chart-svg .box').stroke]; })()")
        page.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
        light = page.eval(colours)
        page.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        dark = page.eval(colours)
        for name, a, b in zip(("page background", "text", "table head", "search field", "box outline"), light, dark):
            self.assertNotEqual(a, b, name)
        luminance = lambda rgb: sum(int(v) for v in re.findall(r"\d+", rgb)[:3])
        self.assertLess(luminance(dark[0]), luminance(dark[1]), "light text on a dark page")
        self.assertGreater(luminance(light[0]), luminance(light[1]), "dark text on a light page")

    def test_labels_fit_their_boxes_at_1280_and_on_a_4k_screen(self):
        fit = ("[...document.querySelectorAll('#chart-svg text')].filter((t) => { const r = t.getBBox(), "
               "b = t.previousElementSibling.getBBox(); return r.x + r.width > b.x + b.width + 0.5 || "
               "r.y + r.height > b.y + b.height + 1.5; }).map((t) => t.textContent)")
        for width, height in ((1280, 720), (3840, 2160)):
            page = self.browser.open("file://" + self.path, width, height)
            self.addCleanup(self.assert_clean, page)
            self.assertEqual(page.eval("document.getElementById('chart-svg').width.baseVal.value > %d" % (width * 0.9)),
                             True, "the chart spans the window")
            self.assertGreater(page.eval("document.querySelectorAll('#chart-svg text').length"), 3)
            self.assertEqual(page.eval(fit), [], "labels spilling out of their boxes at %dx%d" % (width, height))

    def test_source_lines_of_a_function(self):
        page = self.open(self.path)
        page.type("#search", "share_50")
        page.click("#stats tbody tr")
        rows = page.eval(ROWS % "#lines")
        hot = [r for r in rows if r[1]]
        self.assertTrue(any("burn(5 * UNIT)" in r[3] for r in hot), rows)
        self.assertTrue(any(r[3].strip().startswith("def share_50") for r in rows), "the source text is shown")


TREE = "(() => { const t = PA.app.state.tree; return {parent: Array.from(t.parent), total: Array.from(t.total)}; })()"


class DepthCutoffTest(ViewerCase):
    """snakeviz's depth and cutoff, on a recording of tests/targets/viewer_tree_target.py:
    a chain 20 levels deep next to calls at 0.4 % and 0.04 % of their caller's CPU time."""

    @classmethod
    def prepare(cls):
        cls.path = os.path.join(cls.dir, "tree.html")
        with h.Target([PYTHON, h.script_path("viewer_tree_target.py")]) as target:  # CPU shares: -m cpu
            result = h.run_pyattach(["-p", target.pid, "-d", 4, "-r", 1000, "-m", "cpu", "-o", cls.path])
        if result.rc != 0:
            raise AssertionError(result.stderr)

    def check_rule(self, page, depth, cutoff):
        """The boxes shown are those of viewer/layout.js's rule, from the chart's root:
        a child is shown when its parent is, it is at most `depth` levels below the root,
        it holds more than `cutoff` of its parent's time (share > cutoff: at or below is
        hidden) and it is at least half a pixel wide. Returns the nodes hidden by the
        cutoff alone (within the depth, parent shown, wide enough)."""
        tree = page.eval(TREE)
        parent, total = tree["parent"], tree["total"]
        root = page.eval("PA.app.state.root")
        width = page.eval("document.getElementById('chart-svg').width.baseVal.value")
        boxes = self.boxes(page)
        shown = dict((b["node"], round(b["y"] / 22)) for b in boxes)
        self.assertEqual(len(shown), len(boxes), "each node once")
        self.assertEqual(shown.pop(root), 0, "the root is the top row")
        for node, level in shown.items():
            up = parent[node]
            self.assertEqual(shown.get(up, 0 if up == root else None), level - 1,
                             "node %d sits under its parent" % node)
            self.assertLessEqual(level, depth, "node %d: %d levels below the root" % (node, level))
            self.assertGreater(total[node] / total[up], cutoff, "node %d: %.5f of its parent shown at cutoff %g"
                               % (node, total[node] / total[up], cutoff))
        shown[root] = 0
        hidden = []
        for node in range(1, len(parent)):
            up = parent[node]
            if up not in shown or shown[up] >= depth or total[node] / total[root] < 0.5 / width:
                continue
            if total[node] / total[up] > cutoff:
                self.assertIn(node, shown, "node %d: %.5f of its parent, within the depth, not shown"
                              % (node, total[node] / total[up]))
            else:
                hidden.append(node)
        return shown, hidden

    def test_snakeviz_defaults_on_first_open(self):
        page = self.open(self.path)
        self.assertEqual(page.eval("document.getElementById('depth').value"), "10")
        self.assertEqual(page.eval("(() => { const s = document.getElementById('cutoff'); "
                                   "return [s.value, s.selectedOptions[0].textContent]; })()"), ["0.001", "1/1000"])
        self.assertEqual(page.eval("[PA.app.state.depth, PA.app.state.cutoff, PA.app.state.root]"), [10, 0.001, 0])
        shown, _ = self.check_rule(page, 10, 0.001)
        self.assertEqual(max(shown.values()), 10, "the chain reaches the 10th level and stops there")
        parent = page.eval(TREE)["parent"]
        levels = lambda n: 0 if n == 0 else 1 + levels(parent[n])
        self.assertGreaterEqual(max(levels(n) for n in range(len(parent))), 15, "the recording is deeper than shown")
        small = [b for b in self.boxes(page) if b["name"].endswith("(small)")]
        self.assertEqual(len(small), 1, "small() (0.4 % of main) is shown at 1/1000")
        # zoomed into main, the depth counts from main: the chain goes 10 levels further down
        main = next(b for b in self.boxes(page) if b["name"].endswith("(main)"))
        page.click("#chart-svg .box[data-node='%d']" % main["node"])
        self.assertEqual(page.eval("PA.app.state.root"), main["node"])
        shown, _ = self.check_rule(page, 10, 0.001)
        self.assertEqual(max(shown.values()), 10)

    def test_cutoff_1_in_100(self):
        page = self.open(self.path)
        before = set(b["node"] for b in self.boxes(page))
        page.select("#cutoff", "0.01")
        shown, hidden = self.check_rule(page, 10, 0.01)
        self.assertTrue(hidden, "some box is hidden by the 1/100 cutoff")
        self.assertLess(set(shown), before, "1/100 shows fewer boxes than 1/1000")
        self.assertFalse([b for b in self.boxes(page) if b["name"].endswith("(small)")], "small() (0.4 %) is hidden")
        page.select("#cutoff", "0")
        shown, hidden = self.check_rule(page, 10, 0)
        self.assertEqual(hidden, [], "cutoff none hides nothing")


class SourceNotReadTest(ViewerCase):
    """A recording whose target's script was deleted after it started: pyattach cannot
    read the source when it writes the page, which shows the lines' numbers only."""

    def test_line_numbers_without_source(self):
        script = os.path.join(self.dir, "gone_target.py")
        shutil.copy(h.script_path("shares_target.py"), script)
        with open(script) as f:
            source = f.read().splitlines()
        hot = next(i for i, line in enumerate(source, 1) if "burn(5 * UNIT)" in line)
        with h.Target([PYTHON, script]) as target:  # READY: compiled and running
            os.unlink(script)
            path = self.record("gone.html", ["-p", target.pid, "-d", 1.5, "-r", 200])
        self.assertNotIn(script, [page_data(path)["strings"][int(k)] for k in page_data(path)["sources"]],
                         "no source text of the deleted file in the page")
        page = self.open(path)
        page.type("#search", "(share_50)")
        page.click("#stats tbody tr")
        self.assertIn("source not read", page.eval("document.querySelector('#sw-lines h3').textContent"))
        rows = page.eval(ROWS % "#lines")
        self.assertTrue(rows, "a line table")
        for r in rows:
            self.assertRegex(r[0], r"^\d+$", "a line number")
            self.assertEqual(r[3], "", "no source text on line %s" % r[0])
        self.assertIn(str(hot), [r[0] for r in rows], "share_50's burn line (%d) was sampled" % hot)


class NativeLinesTest(ViewerCase):
    """--native: a C function's own and total time per source line, with its file and the
    source text (tests/native_ext built with -g, its source read by its absolute path)."""

    def test_lines_of_a_c_function(self):
        sys.path.insert(0, NATIVE_EXT)
        import build  # tests/native_ext/build.py
        build.build(PYTHON, self.dir)
        with h.Target([PYTHON, os.path.join(NATIVE_EXT, "native_target.py"), self.dir]) as target:
            path = self.record("native.html", ["-p", target.pid, "-d", "1.5", "--native", "-q"])
        page = self.open(path)
        page.type("#search", "native_ext_hot_loop")
        page.click("#stats tbody tr")
        rows = page.eval(ROWS % "#lines")
        self.assertTrue(rows, "no line table")
        self.assertTrue(all(re.match(r"native_ext\.c:\d+$", r[0]) for r in rows), rows)
        with open(os.path.join(NATIVE_EXT, "native_ext.c")) as f:
            source = f.read().splitlines()
        for r in rows:
            self.assertEqual(r[3], source[int(r[0].split(":")[1]) - 1], "the source text of %s" % r[0])
        self.assertTrue(any("acc = acc * 0.999" in r[3] for r in rows), rows)


WORKLOAD = '''
import json, re
def leaf(n): return sum(i * i for i in range(n))
def a(): return leaf(20000)
def b(): return leaf(60000) + a()
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
def main():
    for i in range(20):
        a(); b(); fib(12); json.dumps([{"x": i}] * 50); re.sub(r"a+", "b", "caaat" * 10)
main()
'''


class PstatsFileTest(ViewerCase):
    """A .prof written by cProfile itself, turned into a page by `pyattach view --html`."""

    @classmethod
    def prepare(cls):
        script = os.path.join(cls.dir, "workload.py")
        with open(script, "w") as f:
            f.write(WORKLOAD)
        cls.prof = os.path.join(cls.dir, "workload.prof")
        subprocess.run([PYTHON, "-m", "cProfile", "-o", cls.prof, script], check=True, timeout=120)
        cls.path = os.path.join(cls.dir, "workload.html")
        result = h.run_pyattach(["view", cls.prof, "--html", cls.path])
        if result.rc != 0:
            raise AssertionError(result.stderr)
        cls.stats = pstats.Stats(cls.prof)
        cls.by_name = dict((pstats.func_std_string(k), k) for k in cls.stats.stats)

    def all_rows(self, page):
        if page.eval("!document.getElementById('more').hidden"):
            page.click("#showall")
        return page.eval(ROWS % "#stats")

    def test_it_opens_with_the_approximation_notice_and_every_function(self):
        page = self.open(self.path)
        self.assertTrue(page.eval("!document.getElementById('approx').hidden && "
                                  "document.getElementById('approx').offsetHeight > 0"))
        rows = self.all_rows(page)
        self.assertEqual(sorted(r[5] for r in rows), sorted(self.by_name))
        names = [b["name"] for b in self.boxes(page)]
        self.assertIn(pstats.func_std_string(next(k for k in self.by_name.values() if k[2] == "main")), names)
        self.assertTrue(any(n.endswith("(leaf)") for n in names))

    def test_sorting_each_column_orders_as_pstats(self):
        """A first click on a column sorts it as pstats' sort_stats does (times and calls
        descending, the name ascending), a second click the other way round."""
        page = self.open(self.path)
        self.all_rows(page)
        shown = lambda value: [value(self.stats.stats[self.by_name[r[5]]]) for r in page.eval(ROWS % "#stats")]
        for column, key, index in (("ncalls", "calls", 1), ("tottime", "tottime", 2), ("cumtime", "cumulative", 3)):
            self.stats.sort_stats(key)
            expected = [self.stats.stats[f][index] for f in self.stats.fcn_list]
            page.click("#stats th[data-col=%s]" % column)
            self.assertSameOrder(shown(lambda s: s[index]), expected, column + " descending")
            page.click("#stats th[data-col=%s]" % column)
            self.assertSameOrder(shown(lambda s: s[index]), expected[::-1], column + " ascending")
        self.stats.sort_stats("stdname")
        expected = [pstats.func_std_string(f) for f in self.stats.fcn_list]
        page.click("#stats th[data-col=name]")
        self.assertEqual([r[5] for r in page.eval(ROWS % "#stats")], expected, "name ascending")
        page.click("#stats th[data-col=name]")
        self.assertEqual([r[5] for r in page.eval(ROWS % "#stats")], expected[::-1], "name descending")
        # pstats has no sort key for either percall (sort_stats knows calls, pcalls,
        # tottime, cumulative, names, lines): the order is checked to be monotonic
        for column, value in (("percall_tt", lambda s: s[2] / s[1] if s[1] else 0),
                              ("percall_ct", lambda s: s[3] / s[0] if s[0] else 0)):
            page.click("#stats th[data-col=%s]" % column)
            values = shown(value)
            self.assertSameOrder(values, sorted(values, reverse=True), column + " descending")
            page.click("#stats th[data-col=%s]" % column)
            values = shown(value)
            self.assertSameOrder(values, sorted(values), column + " ascending")

    def assertSameOrder(self, shown, expected, column):
        """The rows' values in the expected order, where values that agree to the
        PAGE_DIGITS the page carries (less two: quotients by the calls) are a tie either
        way round: 8.81e-07 and 8.810000000000001e-07 are one time there, and their
        quotients by the calls can land either side of each other."""
        self.assertEqual(len(shown), len(expected), column)
        for i, (a, b) in enumerate(zip(shown, expected)):
            if a != b and abs(a - b) > 10.0 ** (2 - PAGE_DIGITS) * max(abs(a), abs(b)):
                self.fail("%s: row %d shows %r where %r was expected (the shown order: %r)"
                          % (column, i, a, b, shown[max(0, i - 3):i + 4]))

    def assertSandwich(self, page, func):
        """The sandwich of func: its figure line, and every caller and callee with the
        figures of pstats' edge (ncalls as "total/primitive" when they differ, tottime and
        cumtime in the page's 4 digits)."""
        cc, nc, tt, ct = self.stats.stats[func][:4]
        name = pstats.func_std_string(func)
        self.assertEqual(page.eval("document.getElementById('sw-name').textContent"), name)
        figures = page.eval("document.getElementById('sw-figures').textContent")
        match = re.match(r"^(\S+) calls, tottime (\S+) s, cumtime (\S+) s$", figures)
        self.assertTrue(match, figures)
        self.assertEqual(match.group(1), str(nc) if nc == cc else "%d/%d" % (nc, cc), figures)
        self.assertEqual((float(match.group(2)), float(match.group(3))), (fmt4(tt), fmt4(ct)), figures)
        self.stats.calc_callees()
        for table, expected in (("#callers", self.stats.stats[func][4]), ("#callees", self.stats.all_callees[func])):
            rows = dict((r[3], r) for r in page.eval(ROWS % table))
            self.assertEqual(sorted(rows), sorted(pstats.func_std_string(k) for k in expected),
                             "%s of %s" % (table, name))
            for other, (e_nc, e_cc, e_tt, e_ct) in expected.items():
                row = rows[pstats.func_std_string(other)]
                what = "%s of %s: %s" % (table, name, row)
                self.assertEqual(row[0], str(e_nc) if e_nc == e_cc else "%d/%d" % (e_nc, e_cc), what)
                self.assertEqual((float(row[1]), float(row[2])), (fmt4(e_tt), fmt4(e_ct)), what)
        return figures

    def test_a_row_click_shows_callers_and_callees_with_the_pstats_figures(self):
        page = self.open(self.path)
        # leaf (two callers, a builtin and a generator below), fib (recursive: 20 primitive
        # calls from main of many in all; itself among its callers and callees), b
        for function in ("leaf", "fib", "b"):
            page.type("#search", "(%s)" % function)
            page.click("#stats tbody tr")
            figures = self.assertSandwich(page, next(k for k in self.stats.stats if k[2] == function))
            if function == "fib":
                self.assertIn("/", figures.split()[0], "fib's calls show total/primitive")
        # a callees row leads on: b's callees are leaf and a
        b = next(k for k in self.stats.stats if k[2] == "b")
        a = next(k for k in self.stats.stats if k[2] == "a")
        page.type("#search", "")
        page.click("#callees tbody tr[data-func='%d']" % page.eval("PA.app.profile.names.indexOf(%s)"
                                                                   % json.dumps(pstats.func_std_string(a))))
        self.assertSandwich(page, a)
        page.type("#search", "(b)")
        page.click("#stats tbody tr")
        self.assertGreater(page.eval("document.querySelectorAll('#callers-svg .box').length"), 1)
        self.assertGreater(page.eval("document.querySelectorAll('#callees-svg .box').length"), 1)
        # and can become the chart's root
        page.click("#sw-root")
        self.assertEqual(self.boxes(page)[0]["name"], pstats.func_std_string(b))


class GunicornTest(ViewerCase):
    """A -s recording of a 2-worker gunicorn serving Django (tests/django_site)."""

    def test_both_workers_are_roots_and_library_code_folds(self):
        servers.require_tools()
        port = servers.free_port()
        with servers.gunicorn_sync(port) as server:
            workers = servers.children(server.pid)
            self.assertEqual(len(workers), 2)
            with servers.Load(server.port, seconds=5):
                time.sleep(0.5)
                path = self.record("gunicorn.html", ["-p", server.pid, "-s", "-d", 3])
        page = self.open(path)
        self.assertEqual(page.eval("document.getElementById('root').value"), "all", "the selector starts at all")
        top = [b["name"] for b in self.boxes(page) if b["y"] == 22]
        for pid in workers:
            self.assertTrue(any(n.startswith("{process %d:" % pid) for n in top),
                            "worker %d's root in %r" % (pid, top))
        options = page.eval("[...document.querySelectorAll('#root option')].map((o) => o.value)")
        for pid in workers:
            self.assertTrue(any(o.startswith("<process %d:" % pid) for o in options), (pid, options))
        for pid in workers:
            label = next(o for o in options if o.startswith("<process %d:" % pid))
            page.select("#root", label)
            boxes = self.boxes(page)
            self.assertEqual(boxes[0]["name"], "{%s}" % label[1:-1], "the worker is the chart's root (as pstats names it)")
            self.assertGreater(len(boxes), 5)
        page.select("#root", "all")
        page.click("#hidelib")
        boxes = self.boxes(page)
        lib = page.eval("[...document.querySelectorAll('#chart-svg .box')].filter((e) => PA.isLibrary(PA.app.profile, "
                        "+e.dataset.func)).length")
        self.assertEqual(lib, 0, "no library box once library code is hidden")
        views = [b for b in boxes if "/shop/views.py:" in b["name"]]
        self.assertTrue(views, "the site's own views are shown")
        self.assertLessEqual(min(b["y"] for b in views) // 22, 3, "views right under the process roots")


class ThreadsTest(ViewerCase):
    """A --threads recording of tests/targets/two_threads_target.py: threads alpha and
    beta, each in a function of its own."""

    def test_the_selector_offers_each_thread_and_shows_its_tree_only(self):
        with h.Target([PYTHON, h.script_path("two_threads_target.py")]) as target:
            tids = target.truth["threads"]
            path = self.record("threads.html", ["-p", target.pid, "--threads", "-d", 2, "-r", 200])
        page = self.open(path)
        parent = page_data(path)["nodes"][1::5]
        under = lambda node, top: node == top or (node > 0 and under(parent[node], top))
        top = [b["name"] for b in self.boxes(page) if b["y"] == 22]
        options = page.eval("[...document.querySelectorAll('#root option')].map((o) => o.value)")
        for name, other in (("alpha", "beta"), ("beta", "alpha")):
            self.assertTrue(any(n.startswith("{thread %d" % tids[name]) for n in top),
                            "%s's root under all: %r" % (name, top))
            label = [o for o in options if o.startswith("<thread %d" % tids[name])]
            self.assertEqual(len(label), 1, "the selector offers %s (tid %d): %r" % (name, tids[name], options))
            page.select("#root", label[0])
            boxes = self.boxes(page)
            self.assertEqual(boxes[0]["name"], "{%s}" % label[0][1:-1], "%s is the chart's root" % name)
            self.assertEqual([b["name"] for b in boxes if not under(b["node"], boxes[0]["node"])], [],
                             "boxes outside %s's tree" % name)
            names = [b["name"] for b in boxes]
            self.assertTrue(any(n.endswith("(%s_work)" % name) for n in names), names)
            self.assertFalse(any(n.endswith("(%s_work)" % other) for n in names), names)


class ScreenshotTest(ViewerCase):
    """The README's pictures, from a recording of tests/targets/demo_app.py."""

    def test_icicle_sunburst_and_sandwich(self):
        with h.Target([PYTHON, h.script_path("demo_app.py")], ready=False) as target:
            time.sleep(0.5)
            path = self.record("demo.html", ["-p", target.pid, "-d", 3])
        out = os.environ.get("PYATTACH_SCREENSHOTS") or self.dir
        page = self.open(path)
        page.screenshot(os.path.join(out, "viewer-icicle.png"))
        page.select("#style", "sunburst")
        page.screenshot(os.path.join(out, "viewer-sunburst.png"), through="#chart")  # taller than the window
        page.select("#style", "icicle")
        page.type("#search", "(handle_order)")
        page.click("#stats tbody tr")
        page.type("#search", "")  # no highlight in the picture
        self.assertEqual(page.eval("document.querySelectorAll('.box.match').length"), 0)
        self.assertFalse(page.eval("document.getElementById('sandwich').hidden"))
        # no scrollbar takes width (browser.py): a capture beyond the viewport lays the
        # page out as it is measured here
        self.assertEqual(page.eval("window.innerWidth - document.documentElement.clientWidth"), 0)
        page.screenshot(os.path.join(out, "viewer-sandwich.png"), "#sandwich")
        for name in ("viewer-icicle.png", "viewer-sunburst.png", "viewer-sandwich.png"):
            with open(os.path.join(out, name), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

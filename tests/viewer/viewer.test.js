/* Unit tests of the viewer's JavaScript (viewer/model.js, viewer/layout.js): the tree, the
 * layout and the search arithmetic, on small hand-made profiles. Run: node --test tests/viewer/ */
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const PA = Object.assign({}, require('../../viewer/model.js'), require('../../viewer/layout.js'));

/* Function rows written as file, line, name, nc, cc, tt, ct: has_stats 1 inserted. */
function withStats(rows) {
  const out = [];
  for (let i = 0; i < rows.length; i += 7) out.push(...rows.slice(i, i + 3), 1, ...rows.slice(i + 3, i + 7));
  return out;
}

/* Tree rows written as func, parent, self, total, calls (parents first), as the page's
 * columns (output/writer_html.c): "up" is the distance back to the parent. */
function nodeColumns(rows) {
  const c = { func: [], up: [], self: [], total: [], calls: [] };
  for (let i = 0; i < rows.length; i += 5) {
    const n = i / 5;
    c.func.push(rows[i]); c.up.push(rows[i + 1] < 0 ? 0 : n - rows[i + 1]);
    c.self.push(rows[i + 2]); c.total.push(rows[i + 3]); c.calls.push(rows[i + 4]);
  }
  return c;
}

/* Line rows written as func, line, self, total, sorted, as the page's columns: steps
 * from the previous function, and from the previous line within one function. */
function lineColumns(rows) {
  const c = { func: [], line: [], self: [], total: [] };
  for (let i = 0; i < rows.length; i += 4) {
    const same = i > 0 && rows[i] === rows[i - 4];
    c.func.push(i > 0 ? rows[i] - rows[i - 4] : rows[i]);
    c.line.push(same ? rows[i + 1] - rows[i - 3] : rows[i + 1]);
    c.self.push(rows[i + 2]); c.total.push(rows[i + 3]);
  }
  return c;
}

/* A recording: main -> a -> f (2 s), main -> b -> f (3 s), main -> b (1 s own), main -> c (4 s),
 * with lib.py:helper under c (1 s of c's 4). Times in ticks of 1 ms. */
function recording() {
  const strings = ['main.py', 'main', 'a', 'b', 'f', 'c', '/usr/lib/python3.11/lib.py', 'helper', 'g'];
  const funcs = [
    0, 1, 1, 1, 1, 0, 10, // 0 main
    0, 5, 2, 1, 1, 0, 2,  // 1 a
    0, 9, 3, 1, 1, 1, 4,  // 2 b
    0, 13, 4, 2, 2, 5, 5, // 3 f
    0, 17, 5, 1, 1, 3, 4, // 4 c
    6, 3, 7, 1, 1, 0, 1,  // 5 helper (library)
    0, 21, 8, 1, 1, 1, 1, // 6 g (user code called by the library helper)
  ];
  const edges = [0, 1, 1, 1, 0, 2, 0, 2, 1, 1, 1, 4, 1, 3, 1, 1, 2, 2, 2, 3, 1, 1, 3, 3, 0, 4, 1, 1, 3, 4,
    4, 5, 1, 1, 0, 1, 5, 6, 1, 1, 1, 1];
  const nodes = [
    -1, -1, 0, 10000, 0, // 0 all
    0, 0, 0, 10000, 1,   // 1 main
    1, 1, 0, 2000, 1,    // 2 a
    3, 2, 2000, 2000, 1, // 3 f under a
    2, 1, 1000, 4000, 1, // 4 b
    3, 4, 3000, 3000, 1, // 5 f under b
    4, 1, 3000, 4000, 1, // 6 c
    5, 6, 0, 1000, 1,    // 7 helper under c
    6, 7, 1000, 1000, 1, // 8 g under helper
  ];
  const lines = [3, 14, 2000, 2000, 3, 15, 3000, 5000, 5, 2, 1000, 1000];
  return PA.load({ source: 'recording', tick: 0.001, strings, funcs: withStats(funcs), edges,
    nodes: nodeColumns(nodes), lines: lineColumns(lines), sources: { 0: 'x\ny\n' } });
}

test('the tree of a recording: children sorted by time, totals kept', () => {
  const p = recording(), t = p.tree;
  assert.equal(t.size, 9);
  assert.deepEqual(Array.from(PA.children(t, 1)), [4, 6, 2]); /* b 4 s and c 4 s (tie: node order), a 2 s */
  assert.equal(t.total[0], 10);
  assert.equal(t.self[5], 3);
  assert.equal(p.names[0], 'main.py:1(main)');
  assert.deepEqual(p.lines.get(3), [[14, 2, 2], [15, 3, 5]]);
  assert.deepEqual(p.lines.get(5), [[2, 1, 1]]);
  assert.equal(p.nativeLines.size, 0);
});

test('a C function\'s lines (--native): per file and line, sorted', () => {
  const strings = ['lib.so', 'hot', 'hot.c', 'inl.h'];
  const funcs = [0, 0, 1, 1, 1, 3, 3];
  const p = PA.load({ source: 'recording', tick: 0.001, strings, funcs: withStats(funcs), edges: [],
    nodes: nodeColumns([]), lines: lineColumns([]), native_lines: [0, 2, 30, 1000, 1000, 0, 3, 5, 500, 500, 0, 2, 12, 2000, 2000] });
  assert.deepEqual(p.nativeLines.get(0), [[12, 2, 2, 2], [30, 1, 1, 2], [5, 0.5, 0.5, 3]]);
});

test('icicle boxes: widths are the true shares, nested in their parent', () => {
  const t = recording().tree;
  const boxes = PA.boxes(t, 1, 10, 0.001, 0);
  const at = (n) => boxes.find((b) => b.node === n);
  assert.equal(at(1).x1 - at(1).x0, 1);
  assert.ok(Math.abs(at(4).x1 - at(4).x0 - 0.4) < 1e-12);
  assert.ok(Math.abs(at(2).x1 - at(2).x0 - 0.2) < 1e-12);
  assert.equal(at(4).x0, 0);
  assert.ok(Math.abs(at(6).x0 - 0.4) < 1e-12);
  assert.ok(Math.abs(at(2).x0 - 0.8) < 1e-12);
  assert.ok(at(5).x0 >= at(4).x0 && at(5).x1 <= at(4).x1 + 1e-12);
  assert.equal(at(5).depth, 2);
});

test('depth and cutoff as snakeviz: levels 0..depth, children at or below the cutoff of their parent hidden', () => {
  const t = recording().tree;
  assert.deepEqual(PA.boxes(t, 1, 1, 0.001, 0).map((b) => b.node).sort(), [1, 2, 4, 6]);
  assert.deepEqual(PA.boxes(t, 1, 10, 0.3, 0).map((b) => b.node).sort(), [1, 4, 5, 6]); /* a = 0.2 of main: hidden */
  assert.equal(PA.boxes(t, 1, 10, 0.2, 0).some((b) => b.node === 2), false);
  assert.equal(PA.boxes(t, 1, 10, 0.19, 0).some((b) => b.node === 2), true);
  assert.equal(PA.boxes(t, 6, 10, 0, 0)[0].x1, 1); /* zoom: c is the whole width */
});

test('search: matched share counts nested matches once', () => {
  const p = recording(), t = p.tree;
  const hit = PA.matcher(p.names, '(F)');
  assert.deepEqual(Array.from(hit), [0, 0, 0, 1, 0, 0, 0]);
  assert.equal(PA.matchedTime(t, 0, hit), 5);
  const mainOrB = PA.matcher(p.names, 'main.py');
  assert.equal(PA.matchedTime(t, 0, mainOrB), 10); /* everything under main, once */
  assert.equal(PA.matcher(p.names, '  '), null);
  assert.equal(PA.matchedTime(t, 4, hit), 3);
});

test('callers and callees merged over call sites', () => {
  const t = recording().tree;
  const down = PA.mergedCallees(t, 3);
  assert.equal(down.total[1], 5);
  const up = PA.mergedCallers(t, 3);
  assert.equal(up.total[1], 5);
  const callers = Array.from(PA.children(up, 1)).map((n) => [up.func[n], up.total[n]]);
  assert.deepEqual(callers, [[2, 3], [1, 2]]);
  const grand = PA.children(up, PA.children(up, 1)[0]);
  assert.equal(up.func[grand[0]], 0);
});

test('hide library code folds library frames into their caller', () => {
  const p = recording();
  assert.equal(PA.isLibrary(p, 5), true);
  assert.equal(PA.isLibrary(p, 6), false);
  const f = PA.foldLibrary(p, p.tree);
  const c = Array.from({ length: f.size }, (_, i) => i).find((i) => f.func[i] === 4);
  const kids = Array.from(PA.children(f, c)).map((n) => f.func[n]);
  assert.deepEqual(kids, [6]); /* g now directly under c */
  assert.equal(f.total[c], 4);
  assert.equal(f.self[c], 3);
  assert.equal(f.total[0], 10);
});

test('a pstats file is unrolled as snakeviz does: edge cumtime, scaled to fit, own box for the rest', () => {
  /* main calls f and g; f also called by g; f's edges: main->f 3 s, g->f 1 s; g: 4 s. */
  const strings = ['m.py', 'main', 'f', 'g'];
  const funcs = [0, 1, 1, 1, 1, 2, 10, 0, 5, 2, 2, 2, 4, 4, 0, 9, 3, 1, 1, 3, 4];
  const edges = [0, 1, 1, 1, 3, 3, 2, 1, 1, 1, 1, 1, 0, 2, 1, 1, 3, 4];
  const p = PA.load({ source: 'pstats', tick: 1, strings, funcs: withStats(funcs), edges });
  const t = p.tree;
  assert.equal(p.approximate, true);
  const main = PA.children(t, 0)[0];
  assert.equal(t.func[main], 0);
  assert.equal(t.total[main], 10);
  const kids = Array.from(PA.children(t, main)).map((n) => [t.func[n], t.total[n]]);
  assert.deepEqual(kids, [[2, 4], [1, 3]]);
  assert.equal(t.self[main], 3);
  const g = PA.children(t, main)[0];
  assert.deepEqual(Array.from(PA.children(t, g)).map((n) => [t.func[n], t.total[n]]), [[1, 1]]);
});

test('unrolling stops at recursion and scales children down to the box', () => {
  const strings = ['r.py', 'r', 's'];
  /* r calls itself and s; the edge r -> s says 8 s (as a merged edge can), r's box is 5 s */
  const funcs = [0, 1, 1, 3, 1, 1, 5, 0, 2, 2, 1, 1, 4, 4];
  const edges = [0, 0, 2, 2, 0, 5, 0, 1, 1, 1, 4, 8];
  const t = PA.load({ source: 'pstats', tick: 1, strings, funcs: withStats(funcs), edges }).tree;
  const r = PA.children(t, 0)[0];
  const kids = Array.from(PA.children(t, r));
  assert.equal(kids.length, 1);
  assert.equal(t.func[kids[0]], 1);
  assert.equal(t.total[kids[0]], 5);
});

test('stats table order follows pstats sort_stats', () => {
  const p = recording();
  const rows = [0, 1, 2, 3, 4, 5, 6];
  assert.deepEqual(PA.sortRows(p, rows, 'tottime', false), [3, 4, 2, 6, 0, 1, 5]);
  assert.deepEqual(PA.sortRows(p, rows, 'cumtime', false), [0, 3, 2, 4, 1, 5, 6]);
  assert.deepEqual(PA.sortRows(p, rows, 'ncalls', false), [3, 0, 1, 2, 4, 5, 6]);
  assert.deepEqual(PA.sortRows(p, rows, 'name', false).map((i) => p.names[i]),
    p.names.slice().sort());
  assert.deepEqual(PA.sortRows(p, rows, 'tottime', true)[6], 3);
});

test('the process and thread roots are offered by the selector', () => {
  const strings = ['~', '<process 10: gunicorn>', '<thread 11 "MainThread">', '<process 12: gunicorn>', 'w.py', 'work'];
  const funcs = [0, 0, 1, 1, 1, 0, 2, 0, 0, 2, 1, 1, 0, 2, 0, 0, 3, 1, 1, 0, 2, 4, 1, 5, 2, 2, 4, 4];
  const nodes = [-1, -1, 0, 4, 0, 0, 0, 0, 2, 1, 1, 1, 0, 2, 1, 3, 2, 2, 2, 2, 2, 0, 0, 2, 1, 3, 4, 2, 2, 2];
  const p = PA.load({ source: 'recording', tick: 1, strings, funcs: withStats(funcs), edges: [], nodes: nodeColumns(nodes) });
  assert.deepEqual(PA.rootChoices(p, p.tree).map((c) => c.label.trim()),
    ['<process 10: gunicorn>', '<thread 11 "MainThread">', '<process 12: gunicorn>']);
});

test('sunburst arcs and paths', () => {
  const a = PA.arc({ x0: 0, x1: 0.25, depth: 1 }, 10, 5);
  assert.ok(Math.abs(a.a1 - Math.PI / 2) < 1e-12);
  assert.equal(a.r0, 15);
  assert.equal(a.r1, 25);
  assert.match(PA.arcPath(a, 50, 50), /^M50\.00,35\.00L50\.00,25\.00A25,25 0 0 1 75\.00,50\.00/);
  assert.match(PA.arcPath({ a0: 0, a1: 2 * Math.PI, r0: 0, r1: 10 }, 0, 0), /A10,10 0 1 1/);
});

test('a cProfile dump where nothing is uncalled: the function of the largest cumtime is the root', () => {
  /* exec -> module -> imp -> exec (an import runs exec again), and disable, uncalled, calling nothing */
  const strings = ['~', '<built-in method builtins.exec>', 'm.py', '<module>', 'imp', "<method 'disable'>"];
  const funcs = [0, 0, 1, 2, 1, 0, 9, 2, 1, 3, 1, 1, 0, 9, 2, 5, 4, 1, 1, 0, 2, 0, 0, 5, 1, 1, 0, 0];
  const edges = [0, 1, 1, 1, 0, 9, 1, 2, 1, 1, 0, 2, 2, 0, 1, 1, 0, 2];
  const t = PA.load({ source: 'pstats', tick: 1, strings, funcs: withStats(funcs), edges }).tree;
  const roots = Array.from(PA.children(t, 0)).map((n) => t.func[n]);
  assert.deepEqual(roots, [0]);
  assert.equal(t.total[0], 9);
});

test('the page data: plain JSON, or deflated and base64-encoded as output/html_page.c writes it', async () => {
  const zlib = require('node:zlib');
  const data = { strings: ['a\u00e9\u4e2d'], nodes: Array.from({ length: 5000 }, (_, i) => i * 7) };
  const text = JSON.stringify(data);
  assert.deepEqual(await PA.decode(text, undefined), data);
  const packed = zlib.deflateSync(Buffer.from(text, 'utf8')).toString('base64');
  assert.deepEqual(await PA.decode(packed, 'deflate-base64'), data);
  assert.deepEqual(await PA.decode('\n' + packed + '\n', 'deflate-base64'), data);
  await assert.rejects(PA.decode('AAAA', 'deflate-base64'));
});

test('a column flipped without sorting again: the same order as sorting the other way, ties kept', () => {
  const p = recording();
  const rows = [0, 1, 2, 3, 4, 5, 6];
  for (const column of ['ncalls', 'tottime', 'percall_tt', 'cumtime', 'percall_ct', 'name']) {
    for (const flip of [false, true]) {
      assert.deepEqual(PA.flipRows(p, PA.sortRows(p, rows, column, flip), column), PA.sortRows(p, rows, column, !flip),
        column + (flip ? ' flipped' : ''));
    }
  }
});

/* The viewer's data model: the profile the page carries (a string table, the pstats
 * function and edge tables, the call tree as one flat node array, per-line times) turned
 * into typed arrays, and the trees derived from it: the tree of a recording as it was
 * sampled, a tree unrolled from a pstats file's caller/callee totals (as snakeviz does),
 * library code folded into its callers, and the merged callers/callees of one function. */
'use strict';
(function (PA) {
  const FUNC_FIELDS = 8;   /* file, line, name, has_stats, nc, cc, tt, ct */
  const EDGE_FIELDS = 6;   /* caller, callee, nc, cc, tt, ct */
  const NATIVE_LINE_FIELDS = 5; /* func, file (a string), line, self, total: a C function's lines (--native) */

  /* A tree: node 0 is the whole profile (func -1); parents come before children. */
  function makeTree(func, parent, self, total, calls) {
    const n = func.length;
    const count = new Int32Array(n + 1);
    for (let i = 1; i < n; i++) count[parent[i] + 1]++;
    const start = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) start[i + 1] = start[i] + count[i + 1];
    const fill = start.slice(0, n);
    const kids = new Int32Array(Math.max(n - 1, 0));
    for (let i = 1; i < n; i++) kids[fill[parent[i]]++] = i;
    for (let i = 0; i < n; i++) {
      if (start[i + 1] - start[i] > 1) {
        const part = Array.from(kids.subarray(start[i], start[i + 1]));
        part.sort((a, b) => total[b] - total[a] || a - b);
        kids.set(part, start[i]);
      }
    }
    return { func, parent, self, total, calls, start, kids, size: n };
  }

  function children(tree, node) {
    return tree.kids.subarray(tree.start[node], tree.start[node + 1]);
  }

  /* A tree from plain arrays that grow (builders below). */
  function treeBuilder() {
    return { func: [-1], parent: [-1], self: [0], total: [0], calls: [0], index: new Map() };
  }
  function builderChild(b, parent, func) {
    const key = parent * 1048576 + func; /* exact for < 2^32 nodes and 2^20 functions */
    let n = b.index.get(key);
    if (n === undefined) {
      n = b.func.length;
      b.func.push(func); b.parent.push(parent); b.self.push(0); b.total.push(0); b.calls.push(0);
      b.index.set(key, n);
    }
    return n;
  }
  function builderTree(b) {
    return makeTree(Int32Array.from(b.func), Int32Array.from(b.parent), Float64Array.from(b.self),
      Float64Array.from(b.total), Float64Array.from(b.calls));
  }

  /* The profile from the page's JSON object. */
  function load(data) {
    const p = { strings: data.strings, info: data.info || {}, source: data.source,
      sources: data.sources || {}, approximate: data.source !== 'recording' };
    const f = data.funcs, nf = f.length / FUNC_FIELDS;
    p.nfuncs = nf;
    p.fFile = new Int32Array(nf); p.fLine = new Int32Array(nf); p.fName = new Int32Array(nf);
    p.stats = new Uint8Array(nf); /* a key of the stats dict, not only somebody's caller */
    p.nc = new Float64Array(nf); p.cc = new Float64Array(nf); p.tt = new Float64Array(nf); p.ct = new Float64Array(nf);
    for (let i = 0; i < nf; i++) {
      const o = i * FUNC_FIELDS;
      p.fFile[i] = f[o]; p.fLine[i] = f[o + 1]; p.fName[i] = f[o + 2]; p.stats[i] = f[o + 3];
      p.nc[i] = f[o + 4]; p.cc[i] = f[o + 5]; p.tt[i] = f[o + 6]; p.ct[i] = f[o + 7];
    }
    /* edges as columns, grouped by callee and by caller; edge objects only on demand */
    const e = data.edges || [], ne = e.length / EDGE_FIELDS;
    p.nedges = ne;
    p.eCaller = new Int32Array(ne); p.eCallee = new Int32Array(ne);
    p.eNc = new Float64Array(ne); p.eCc = new Float64Array(ne); p.eTt = new Float64Array(ne); p.eCt = new Float64Array(ne);
    for (let i = 0; i < ne; i++) {
      const o = i * EDGE_FIELDS;
      p.eCaller[i] = e[o]; p.eCallee[i] = e[o + 1];
      p.eNc[i] = e[o + 2]; p.eCc[i] = e[o + 3]; p.eTt[i] = e[o + 4]; p.eCt[i] = e[o + 5];
    }
    p.byCallee = groupBy(nf, p.eCallee);
    p.byCaller = groupBy(nf, p.eCaller);
    p.names = new Array(nf);
    p.labels = new Array(nf);
    for (let i = 0; i < nf; i++) {
      p.names[i] = stdString(p, i);
      p.labels[i] = shortLabel(p, i);
    }
    /* func -> [[line, self, total], ...] sorted by line, made when first asked for */
    let lines = null;
    const rawLines = data.lines || { func: [], line: [], self: [], total: [] }, tick = data.tick;
    Object.defineProperty(p, 'lines', { get: () => lines || (lines = groupLines(rawLines, tick)) });
    if (data.nodes && data.nodes.func.length) {
      /* columns, in pre-order: "up" is the distance back to the parent (0: the root) */
      const d = data.nodes, n = d.func.length;
      const func = Int32Array.from(d.func), parent = new Int32Array(n);
      const self = new Float64Array(n), total = new Float64Array(n), calls = Float64Array.from(d.calls);
      for (let i = 0; i < n; i++) {
        parent[i] = d.up[i] ? i - d.up[i] : -1;
        self[i] = d.self[i] * tick; total[i] = d.total[i] * tick;
      }
      p.tree = makeTree(func, parent, self, total, calls);
    } else {
      p.tree = unroll(p, data.unrollDepth || 40);
    }
    p.nativeLines = nativeLines(data);
    return p;
  }

  /* Items 0..key.length-1 grouped by key (0..n-1): group k is order[start[k]..start[k+1]). */
  function groupBy(n, key) {
    const start = new Int32Array(n + 1);
    for (let i = 0; i < key.length; i++) start[key[i] + 1]++;
    for (let k = 0; k < n; k++) start[k + 1] += start[k];
    const fill = start.slice(0, n), order = new Int32Array(key.length);
    for (let i = 0; i < key.length; i++) order[fill[key[i]]++] = i;
    return { start, order };
  }

  function edge(p, i) {
    return { caller: p.eCaller[i], callee: p.eCallee[i], nc: p.eNc[i], cc: p.eCc[i], tt: p.eTt[i], ct: p.eCt[i] };
  }
  function edgesIn(p, group, func) {
    const out = [];
    for (let k = group.start[func]; k < group.start[func + 1]; k++) out.push(edge(p, group.order[k]));
    return out;
  }
  /* The pstats edges into func (its callers) and out of it (its callees). */
  function callersOf(p, func) { return edgesIn(p, p.byCallee, func); }
  function calleesOf(p, func) { return edgesIn(p, p.byCaller, func); }

  /* The page's line columns, sorted by function and line: "func" is the step from the
   * previous entry's function, "line" the step from the previous line of the same
   * function (the line itself where the function changes). */
  function groupLines(l, tick) {
    const map = new Map();
    let func = 0, line = 0, rows = null;
    for (let i = 0; i < l.func.length; i++) {
      const step = l.func[i];
      func += step;
      if (i === 0 || step !== 0) {
        line = l.line[i];
        if (!map.has(func)) map.set(func, []);
        rows = map.get(func);
      } else {
        line += l.line[i];
      }
      rows.push([line, l.self[i] * tick, l.total[i] * tick]);
    }
    return map;
  }

  /* The page's data element's text as the JSON object load() takes: plain JSON, or
   * (encoding "deflate-base64", output/html_page.c) zlib-deflated JSON in base64,
   * inflated by the platform's DecompressionStream. A promise. */
  async function decode(text, encoding) {
    if (encoding !== 'deflate-base64') return JSON.parse(text);
    let bytes;
    if (Uint8Array.fromBase64) { /* Chromium 140+, Firefox 133+ */
      bytes = Uint8Array.fromBase64(text.trim());
    } else {
      const raw = atob(text.trim());
      bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    }
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return JSON.parse(await new Response(stream).text());
  }

  /* pstats' func_std_string: "file:line(name)", or the bare name for ("~", 0, name). */
  function stdString(p, i) {
    const file = p.strings[p.fFile[i]], name = p.strings[p.fName[i]];
    if (file === '~' && p.fLine[i] === 0)
      return name.startsWith('<') && name.endsWith('>') ? '{' + name.slice(1, -1) + '}' : name;
    return file + ':' + p.fLine[i] + '(' + name + ')';
  }
  function shortLabel(p, i) {
    const file = p.strings[p.fFile[i]], name = p.strings[p.fName[i]];
    if (file === '~') return name;
    return name + ' ' + file.slice(file.lastIndexOf('/') + 1) + ':' + p.fLine[i];
  }

  /* func -> [[line, self, total, file], ...] by file, then line: a C function's lines. */
  function nativeLines(data) {
    const out = new Map(), nl = data.native_lines || [];
    for (let i = 0; i < nl.length; i += NATIVE_LINE_FIELDS) {
      if (!out.has(nl[i])) out.set(nl[i], []);
      out.get(nl[i]).push([nl[i + 2], nl[i + 3] * data.tick, nl[i + 4] * data.tick, nl[i + 1]]);
    }
    for (const rows of out.values()) rows.sort((a, b) => a[3] - b[3] || a[0] - b[0]);
    return out;
  }


  /* snakeviz's unrolling of a call graph into a tree (its sv_build_hierarchy), for a
   * pstats file, which has no tree: a function's box is split among its callees by the
   * callee edges' cumtime summed over all call sites, scaled down to fit the box; the
   * rest is the function's own box; a function already on the path is not entered
   * again. Roots: the functions nobody calls that call something; when there are none
   * or they hold less time than the function of the largest cumtime (under cProfile,
   * builtins.exec is called again by the imports its <module> makes, so nothing is
   * uncalled), that function as well, as snakeviz falls back to it. The
   * result is an approximation, and the page says so. Boxes below 1/10000 of the whole
   * and levels beyond maxDepth are not unrolled. */
  function unroll(p, maxDepth) {
    const b = treeBuilder();
    const called = new Uint8Array(p.nfuncs);
    for (let i = 0; i < p.nedges; i++) if (p.eCaller[i] !== p.eCallee[i]) called[p.eCallee[i]] = 1;
    const roots = [];
    let top = -1;
    for (let i = 0; i < p.nfuncs; i++) {
      if (!called[i] && calleesOf(p, i).some((e) => e.callee !== i)) roots.push(i);
      if (top < 0 || p.ct[i] > p.ct[top]) top = i;
    }
    let whole = 0;
    for (const r of roots) whole += p.ct[r];
    if (top >= 0 && p.ct[top] > whole && !roots.includes(top)) {
      roots.push(top);
      whole += p.ct[top];
    }
    const floor = whole / 10000;
    const onPath = new Uint8Array(p.nfuncs);
    const budget = { left: 400000 };
    function grow(node, func, time, depth) {
      b.total[node] = time;
      let sum = 0;
      const kids = [];
      onPath[func] = 1;
      if (depth < maxDepth) {
        for (const e of calleesOf(p, func)) {
          if (onPath[e.callee] || e.ct <= 0) continue;
          kids.push(e);
          sum += e.ct;
        }
      }
      const scale = sum > time ? time / sum : 1;
      let used = 0;
      for (const e of kids) {
        const t = e.ct * scale;
        if (t < floor || budget.left <= 0) continue;
        budget.left--;
        const child = builderChild(b, node, e.callee);
        b.calls[child] += e.nc;
        grow(child, e.callee, b.total[child] + t, depth + 1);
        used += t;
      }
      onPath[func] = 0;
      b.self[node] = Math.max(time - used, 0);
    }
    for (const r of roots) {
      const node = builderChild(b, 0, r);
      b.calls[node] = p.nc[r];
      grow(node, r, p.ct[r], 1);
      b.total[0] += p.ct[r];
    }
    return builderTree(b);
  }

  /* Whether a function is library code: the standard library, site-packages, frozen
   * modules, C built-ins. Synthetic roots (<process>, <thread>, <truncated>, a request
   * route) are not. */
  const LIBRARY = /(\/lib\/python\d[\d.]*\/|\/site-packages\/|\/dist-packages\/|^<frozen |\/lib-dynload\/)/;
  function isLibrary(p, func) {
    if (func < 0) return false;
    const file = p.strings[p.fFile[func]], name = p.strings[p.fName[func]];
    if (file === '~') return /^(<built-in |<method |\{built-in |\{method )/.test(name);
    return LIBRARY.test(file);
  }

  /* The tree with every library frame folded into its caller: its own time becomes the
   * caller's, its callees become the caller's (merged with the caller's own callees). */
  function foldLibrary(p, tree) {
    const b = treeBuilder();
    const map = new Int32Array(tree.size);
    for (let i = 1; i < tree.size; i++) { /* parents come first */
      const parent = map[tree.parent[i]];
      const n = isLibrary(p, tree.func[i]) && tree.parent[i] !== 0 ? parent : builderChild(b, parent, tree.func[i]);
      map[i] = n;
      b.self[n] += tree.self[i];
      if (n !== parent) { b.total[n] += tree.total[i]; b.calls[n] += tree.calls[i]; }
    }
    b.total[0] = tree.total[0];
    b.self[0] = tree.self[0];
    return builderTree(b);
  }

  /* The nodes of func in the tree that have no func further out (under `under`). */
  function outermost(tree, func, under) {
    const out = [];
    const stack = [[under, false]];
    while (stack.length) {
      const [node, inside] = stack.pop();
      const match = tree.func[node] === func;
      if (match && !inside) out.push(node);
      for (const c of children(tree, node)) stack.push([c, inside || match]);
    }
    return out;
  }

  /* Everything func called, merged over all its call sites: a tree whose one root is
   * func (its total = the time func was on the stack), recursion kept below it. */
  function mergedCallees(tree, func) {
    const b = treeBuilder();
    const top = builderChild(b, 0, func);
    for (const start of outermost(tree, func, 0)) {
      const stack = [[start, top]];
      while (stack.length) {
        const [node, into] = stack.pop();
        b.self[into] += tree.self[node];
        b.total[into] += tree.total[node];
        b.calls[into] += tree.calls[node];
        for (const c of children(tree, node)) stack.push([c, builderChild(b, into, tree.func[c])]);
      }
    }
    b.total[0] = b.total[top];
    return builderTree(b);
  }

  /* Everyone who called func, merged: an inverted tree whose root is func, whose
   * children are its direct callers, theirs their callers, each weighted by the time
   * func ran under that path (outermost occurrences, so recursion counts once). */
  function mergedCallers(tree, func) {
    const b = treeBuilder();
    const top = builderChild(b, 0, func);
    for (const node of outermost(tree, func, 0)) {
      const t = tree.total[node];
      b.total[top] += t;
      let into = top;
      for (let up = tree.parent[node]; up > 0; up = tree.parent[up]) {
        into = builderChild(b, into, tree.func[up]);
        b.total[into] += t;
      }
      b.self[into] += t;
    }
    b.total[0] = b.total[top];
    return builderTree(b);
  }

  /* The synthetic roots a recording has: <process ...> and <thread ...> nodes in the
   * top two levels, for the selector. */
  function rootChoices(p, tree) {
    const out = [];
    const visit = (node, level) => {
      for (const c of children(tree, node)) {
        const name = p.strings[p.fName[tree.func[c]]];
        if (p.strings[p.fFile[tree.func[c]]] !== '~' || !/^<(process|thread)\b/.test(name)) continue;
        out.push({ node: c, label: (level ? '\u2003' : '') + name });
        if (level === 0) visit(c, 1);
      }
    };
    visit(0, 0);
    return out;
  }

  /* The path of nodes from the tree's node 0 to node, node 0 excluded. */
  function pathTo(tree, node) {
    const path = [];
    for (let n = node; n > 0; n = tree.parent[n]) path.push(n);
    return path.reverse();
  }

  Object.assign(PA, { makeTree, children, decode, load, callersOf, calleesOf, unroll, isLibrary, foldLibrary, outermost,
    mergedCallees, mergedCallers, rootChoices, pathTo, stdString });
})(typeof module === 'object' ? module.exports : (self.PA = self.PA || {}));

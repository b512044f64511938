/* Chart geometry, free of the DOM: which boxes of a tree are shown from a root (depth
 * and cutoff as snakeviz has them), where each one lies, and the search arithmetic. */
'use strict';
(function (PA) {
  /* Boxes from `root`: {node, depth, x0, x1} with x in [0, 1] of the root's total time,
   * children left to right by time (largest first), each at its true share of its parent.
   * depth: levels below the root shown (the root is level 0, levels 0..depth).
   * cutoff: a child at or below this fraction of its parent's time is hidden (and so is
   * everything under it), as snakeviz's 1/1000, 1/100, none.
   * minWidth: boxes narrower than this (a fraction of the whole width) are not listed. */
  function boxes(tree, root, depth, cutoff, minWidth) {
    const out = [];
    const whole = tree.total[root];
    if (!(whole > 0)) return out;
    const stack = [[root, 0, 0]];
    while (stack.length) {
      const [node, level, x0] = stack.pop();
      const w = tree.total[node] / whole;
      out.push({ node, depth: level, x0, x1: x0 + w });
      if (level >= depth) continue;
      let x = x0;
      const kids = tree.kids, end = tree.start[node + 1];
      const pending = [];
      for (let k = tree.start[node]; k < end; k++) {
        const c = kids[k];
        const share = tree.total[node] > 0 ? tree.total[c] / tree.total[node] : 0;
        const cw = tree.total[c] / whole;
        if (share > cutoff && cw >= minWidth) pending.push([c, level + 1, x]);
        x += cw;
      }
      for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i]);
    }
    return out;
  }

  /* A sunburst arc for a box: angles in radians, radii in rings. */
  function arc(box, ringWidth, hole) {
    return { a0: box.x0 * 2 * Math.PI, a1: box.x1 * 2 * Math.PI,
      r0: hole + box.depth * ringWidth, r1: hole + (box.depth + 1) * ringWidth };
  }

  /* An SVG path for a ring segment centred at (cx, cy). */
  function arcPath(a, cx, cy) {
    const p = (r, t) => (cx + r * Math.sin(t)).toFixed(2) + ',' + (cy - r * Math.cos(t)).toFixed(2);
    const span = a.a1 - a.a0;
    if (span >= 2 * Math.PI - 1e-9) { /* a full ring: two halves */
      const m = a.a0 + Math.PI;
      return 'M' + p(a.r1, a.a0) + 'A' + a.r1 + ',' + a.r1 + ' 0 1 1 ' + p(a.r1, m) + 'A' + a.r1 + ',' + a.r1 +
        ' 0 1 1 ' + p(a.r1, a.a0) + (a.r0 > 0 ? 'M' + p(a.r0, a.a0) + 'A' + a.r0 + ',' + a.r0 + ' 0 1 0 ' +
        p(a.r0, m) + 'A' + a.r0 + ',' + a.r0 + ' 0 1 0 ' + p(a.r0, a.a0) : '') + 'Z';
    }
    const large = span > Math.PI ? 1 : 0;
    return 'M' + p(a.r0, a.a0) + 'L' + p(a.r1, a.a0) + 'A' + a.r1 + ',' + a.r1 + ' 0 ' + large + ' 1 ' +
      p(a.r1, a.a1) + 'L' + p(a.r0, a.a1) + (a.r0 > 0 ? 'A' + a.r0 + ',' + a.r0 + ' 0 ' + large + ' 0 ' +
      p(a.r0, a.a0) : '') + 'Z';
  }

  /* A case-insensitive test on "file:line(function)"; null for an empty query. The
   * lower-cased names are kept on the array for the next query. */
  function matcher(names, query) {
    const q = query.trim().toLowerCase();
    if (!q) return null;
    if (!names.lower) Object.defineProperty(names, 'lower', { value: names.map((s) => s.toLowerCase()) });
    const lower = names.lower, hit = new Uint8Array(names.length);
    for (let i = 0; i < lower.length; i++) hit[i] = lower[i].includes(q) ? 1 : 0;
    return hit;
  }

  /* The time under `root` spent in matching functions, each sample once: the total of
   * every matching node that has no matching node between it and the root. */
  function matchedTime(tree, root, hit) {
    let sum = 0;
    const stack = [root];
    while (stack.length) {
      const node = stack.pop();
      if (tree.func[node] >= 0 && hit[tree.func[node]]) { sum += tree.total[node]; continue; }
      for (let k = tree.start[node]; k < tree.start[node + 1]; k++) stack.push(tree.kids[k]);
    }
    return sum;
  }

  /* Rows of the stats table in the order pstats' sort_stats(key) gives: times and calls
   * descending, the name ascending; ties keep the table's order. flip reverses it. The
   * keys are computed once per column (the name as its rank among all names) and kept
   * on the profile. */
  const SORT = {
    ncalls: (p, i) => p.nc[i], tottime: (p, i) => p.tt[i],
    percall_tt: (p, i) => (p.nc[i] ? p.tt[i] / p.nc[i] : 0),
    cumtime: (p, i) => p.ct[i], percall_ct: (p, i) => (p.cc[i] ? p.ct[i] / p.cc[i] : 0),
  };
  function sortKey(p, column) {
    if (!p.sortKeys) p.sortKeys = {};
    let key = p.sortKeys[column];
    if (key) return key;
    key = new Float64Array(p.nfuncs);
    if (column === 'name') { /* ascending: the rank, negated to sort like the others */
      const order = Array.from({ length: p.nfuncs }, (_, i) => i);
      order.sort((a, b) => (p.names[a] < p.names[b] ? -1 : p.names[a] > p.names[b] ? 1 : 0));
      for (let r = 0, rank = 0; r < order.length; r++) {
        if (r > 0 && p.names[order[r]] !== p.names[order[r - 1]]) rank = r;
        key[order[r]] = -rank;
      }
    } else {
      for (let i = 0; i < p.nfuncs; i++) key[i] = SORT[column](p, i);
    }
    return (p.sortKeys[column] = key);
  }
  function sortRows(p, rows, column, flip) {
    const key = sortKey(p, column), sign = flip ? -1 : 1;
    return rows.slice().sort((a, b) => (key[b] - key[a]) * sign); /* stable: ties keep their order */
  }

  /* sortRows(p, rows, column, !flip) from order = sortRows(p, rows, column, flip) without
   * sorting again: the order reversed, then each run of equal keys turned back so that
   * ties keep the table's order. */
  function flipRows(p, order, column) {
    const key = sortKey(p, column), out = order.slice().reverse();
    for (let i = 0; i < out.length;) {
      let j = i + 1;
      while (j < out.length && key[out[j]] === key[out[i]]) j++;
      if (j - i > 1) {
        const run = out.slice(i, j).reverse();
        for (let k = 0; k < run.length; k++) out[i + k] = run[k];
      }
      i = j;
    }
    return out;
  }

  Object.assign(PA, { boxes, arc, arcPath, matcher, matchedTime, sortRows, flipRows });
})(typeof module === 'object' ? module.exports : (self.PA = self.PA || {}));

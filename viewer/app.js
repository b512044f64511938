/* The page: reads the profile from the <script id="pyattach-data"> element, draws the
 * chart, the breadcrumb, the stats table and the callers/callees of a chosen function,
 * and answers the controls. Geometry and arithmetic live in model.js and layout.js. */
'use strict';
(function (PA) {
  const TABLE_ROWS = 100;   /* rows drawn before "show all" (snakeviz pages its table too) */
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const fmt = (x) => (x === 0 ? '0' : Number(x.toPrecision(4)).toString());
  const pct = (x) => (100 * x).toFixed(x < 0.001 ? 3 : 1) + '%';

  performance.mark('pyattach-script');
  const el = $('pyattach-data');
  PA.ready = PA.decode(el.textContent, el.dataset.encoding).then((data) => {
    performance.mark('pyattach-data');
    main(PA.load(data));
  }).catch((e) => {
    $('summary').textContent = 'cannot read the profile in this page: ' + e;
    console.error('pyattach viewer: cannot read the profile:', e);
  });

  /* Everything else: the page for profile p. */
  function main(p) {
    const st = {
      style: 'icicle', depth: 10, cutoff: 0.001, rootLabel: 'all', hideLib: false, hit: null,
      base: p.tree,        /* the tree shown: the recording's, or with library code folded */
      tree: p.tree,        /* the chart's tree: base, or one function's merged callees */
      root: 0,             /* the chart's root node in st.tree */
      top: 0,              /* where the breadcrumb starts (the selected process/thread root) */
      focus: -1,           /* function made the chart's root from the table, or -1 */
      sort: 'tottime', asc: false, showAll: false, chosen: -1,
    };

    function color(func) {
      if (func < 0) return '#9aa0a6';
      const name = p.names[func];
      let h = 0;
      for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
      const lib = PA.isLibrary(p, func);
      return 'hsl(' + (h % 360) + ',' + (lib ? 18 : 62) + '%,' + (lib ? 72 : 66) + '%)';
    }

    function label(func) { return func < 0 ? 'all' : p.labels[func]; }

    /* ---- the chart ---- */
    function drawChart() {
      const host = $('chart');
      const width = Math.max(host.clientWidth, 320);
      if (st.style === 'icicle') host.innerHTML = icicleSvg(st.tree, st.root, width, false, 'chart');
      else host.innerHTML = sunburstSvg(st.tree, st.root, Math.min(width, Math.max(360, window.innerHeight - 40)));
      drawCrumbs();
      drawMatched();
    }

    /* Row height and label width from the chart's font (viewer.css --chart-font: larger
     * on a 4K screen): 22 px rows at 12 px, labels cut at ~0.6 em a character. */
    function chartFont() {
      const px = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--chart-font')) || 12;
      return { row: Math.round(px * 22 / 12), base: Math.round(px * 15 / 12), char: px * 0.6 };
    }

    function icicleSvg(tree, root, width, upward, id) {
      const { row: ROW, base, char } = chartFont();
      const list = PA.boxes(tree, root, st.depth, st.cutoff, 0.5 / width);
      let levels = 0;
      for (const b of list) levels = Math.max(levels, b.depth + 1);
      const h = levels * ROW;
      const parts = [];
      for (const b of list) {
        const x = b.x0 * width, w = (b.x1 - b.x0) * width;
        const y = upward ? h - (b.depth + 1) * ROW : b.depth * ROW;
        const f = tree.func[b.node];
        const cls = 'box' + (st.hit && f >= 0 && st.hit[f] ? ' match' : '');
        parts.push('<rect class="' + cls + '" data-node="' + b.node + '" data-func="' + f + '" x="' + x.toFixed(2) +
          '" y="' + y + '" width="' + w.toFixed(2) + '" height="' + (ROW - 1) + '" fill="' + color(f) + '"></rect>');
        if (w > 5 * char) {
          const text = label(f), fit = Math.floor((w - 6) / char);
          parts.push('<text x="' + (x + 3).toFixed(2) + '" y="' + (y + base) + '">' +
            esc(text.length > fit ? text.slice(0, Math.max(fit - 1, 1)) + '\u2026' : text) + '</text>');
        }
      }
      return '<svg id="' + id + '-svg" data-tree="' + id + '" width="' + width + '" height="' + h + '">' + parts.join('') + '</svg>';
    }

    function sunburstSvg(tree, root, size) {
      const list = PA.boxes(tree, root, st.depth, st.cutoff, 0.002 / (2 * Math.PI));
      let levels = 1;
      for (const b of list) levels = Math.max(levels, b.depth + 1);
      const ring = (size / 2 - 4) / (levels + 0.5), c = size / 2;
      const parts = [];
      for (const b of list) {
        const f = tree.func[b.node];
        const a = PA.arc(b, ring, b.depth === 0 ? 0 : ring / 2);
        if (b.depth === 0) { a.r0 = 0; a.r1 = ring * 1.5; }
        const cls = 'box' + (st.hit && f >= 0 && st.hit[f] ? ' match' : '');
        parts.push('<path class="' + cls + '" data-node="' + b.node + '" data-func="' + f + '" d="' +
          PA.arcPath(a, c, c) + '" fill="' + color(f) + '"></path>');
      }
      return '<svg id="chart-svg" data-tree="chart" width="' + size + '" height="' + size + '">' + parts.join('') + '</svg>';
    }

    function drawCrumbs() {
      const links = [];
      if (st.focus >= 0) {
        links.push('<a data-crumb="back">' + esc(st.rootLabel === 'all' ? 'all' : st.rootLabel) + '</a>');
        links.push('<a data-crumb="0">' + esc(label(st.focus)) + ' (all calls)</a>');
      } else {
        links.push('<a data-crumb="' + st.top + '">' + esc(st.top ? label(st.tree.func[st.top]) : 'all') + '</a>');
      }
      const path = PA.pathTo(st.tree, st.root);
      const from = path.indexOf(st.top) + 1;
      for (const n of path.slice(st.focus >= 0 ? 1 : from)) links.push('<a data-crumb="' + n + '">' + esc(label(st.tree.func[n])) + '</a>');
      $('crumbs').innerHTML = links.join('');
    }

    function drawMatched() {
      if (!st.hit) { $('matched').textContent = ''; return; }
      const whole = st.base.total[0];
      const t = PA.matchedTime(st.base, 0, st.hit);
      let text = 'matched: ' + pct(whole > 0 ? t / whole : 0) + ' of the total (' + fmt(t) + ' s)';
      if (st.root !== 0 || st.tree !== st.base) {
        const here = PA.matchedTime(st.tree, st.root, st.hit), rt = st.tree.total[st.root];
        text += ', ' + pct(rt > 0 ? here / rt : 0) + ' of this view';
      }
      $('matched').textContent = text;
    }

    function zoom(node) {
      if (node === st.root && node !== st.top && st.tree.parent[node] >= 0) node = st.tree.parent[node]; /* zoom out */
      st.root = node;
      drawChart();
    }

    /* ---- the tooltip ---- */
    function showTip(ev, tree, node) {
      const f = tree.func[node], whole = st.base.total[0];
      const rows = ['<b>' + esc(f < 0 ? 'all' : p.names[f]) + '</b>'];
      rows.push('this box: ' + fmt(tree.total[node]) + ' s (' + pct(whole ? tree.total[node] / whole : 0) + ' of the total)');
      rows.push('own time in this box: ' + fmt(tree.self[node]) + ' s');
      if (f >= 0) rows.push('function total (cumtime): ' + fmt(p.ct[f]) + ' s, tottime ' + fmt(p.tt[f]) + ' s, ' + p.nc[f] + ' calls');
      const tip = $('tip');
      tip.innerHTML = rows.join('<br>');
      tip.hidden = false;
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 4) + 'px';
      tip.style.top = Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 4) + 'px';
    }

    /* ---- the stats table ---- */
    /* Every row sorted once per column and direction; a search filters that order. */
    const orders = new Map();
    function tableRows() {
      const flip = st.sort === 'name' ? !st.asc : st.asc, key = st.sort + (flip ? ' flip' : '');
      const other = st.sort + (flip ? '' : ' flip');
      if (!orders.has(key) && orders.has(other)) orders.set(key, PA.flipRows(p, orders.get(other), st.sort));
      if (!orders.has(key)) {
        const rows = [];
        for (let i = 0; i < p.nfuncs; i++) if (p.stats[i]) rows.push(i);
        orders.set(key, PA.sortRows(p, rows, st.sort, flip));
      }
      const order = orders.get(key);
      return st.hit ? order.filter((i) => st.hit[i]) : order;
    }

    function ncalls(nc, cc) { return nc === cc ? String(nc) : nc + '/' + cc; }

    function drawTable() {
      const rows = tableRows();
      const shown = st.showAll ? rows : rows.slice(0, TABLE_ROWS);
      const html = new Array(shown.length);
      for (let k = 0; k < shown.length; k++) {
        const i = shown[k];
        html[k] = '<tr data-func="' + i + '"' + (i === st.chosen ? ' class="chosen"' : '') + '><td>' + ncalls(p.nc[i], p.cc[i]) +
          '</td><td>' + fmt(p.tt[i]) + '</td><td>' + fmt(p.nc[i] ? p.tt[i] / p.nc[i] : 0) + '</td><td>' + fmt(p.ct[i]) +
          '</td><td>' + fmt(p.cc[i] ? p.ct[i] / p.cc[i] : 0) + '</td><td>' + esc(p.names[i]) + '</td></tr>';
      }
      $('stats').tBodies[0].innerHTML = html.join('');
      $('rowcount').textContent = '(' + rows.length + (shown.length < rows.length ? ', first ' + shown.length + ' shown' : '') + ')';
      $('more').hidden = shown.length >= rows.length;
      for (const th of $('stats').tHead.rows[0].cells) {
        th.classList.toggle('sorted', th.dataset.col === st.sort);
        th.classList.toggle('asc', th.dataset.col === st.sort && st.asc);
      }
    }

    /* ---- callers and callees of one function ---- */
    function edgeRows(edges, other) {
      return edges.sort((a, b) => b.ct - a.ct).map((e) => '<tr data-func="' + e[other] + '"><td>' + ncalls(e.nc, e.cc) +
        '</td><td>' + fmt(e.tt) + '</td><td>' + fmt(e.ct) + '</td><td>' + esc(p.names[e[other]]) + '</td></tr>').join('');
    }

    function drawSandwich(f) {
      st.chosen = f;
      $('sandwich').hidden = false;
      $('sw-name').textContent = p.names[f];
      $('sw-figures').textContent = ncalls(p.nc[f], p.cc[f]) + ' calls, tottime ' + fmt(p.tt[f]) + ' s, cumtime ' + fmt(p.ct[f]) + ' s';
      $('callers').tBodies[0].innerHTML = edgeRows(PA.callersOf(p, f), 'caller');
      $('callees').tBodies[0].innerHTML = edgeRows(PA.calleesOf(p, f), 'callee');
      const width = Math.max($('sandwich').clientWidth - 24, 320);
      const up = PA.mergedCallers(st.base, f), down = PA.mergedCallees(st.base, f);
      st.swTrees = { callers: up, callees: down };
      $('sw-callers-chart').innerHTML = up.total[0] > 0 ? icicleSvg(up, 1, width, true, 'callers') : '';
      $('sw-callees-chart').innerHTML = down.total[0] > 0 ? icicleSvg(down, 1, width, false, 'callees') : '';
      drawLines(f);
    }

    /* A C function's lines (--native, where debug info had them): file:line each, since
     * code inlined from headers has lines of other files; the source where it was read. */
    function drawNativeLines(rows) {
      const out = rows.map((r) => {
        const file = p.strings[r[3]], src = p.sources[r[3]];
        const text = src === undefined ? '' : (src.split('\n')[r[0] - 1] || '');
        return '<tr class="hot"><td>' + esc(file.slice(file.lastIndexOf('/') + 1) + ':' + r[0]) + '</td><td>' + fmt(r[1]) +
          '</td><td>' + fmt(r[2]) + '</td><td>' + esc(text) + '</td></tr>';
      });
      $('sw-lines').innerHTML = '<h3>Lines: own and total time per source line (from debug info)</h3>' +
        '<table class="lines" id="lines"><thead><tr><th>line</th><th>own s</th><th>total s</th><th>source</th></tr></thead><tbody>' +
        out.join('') + '</tbody></table>';
    }

    function drawLines(f) {
      const rows = p.lines.get(f);
      const native = p.nativeLines.get(f);
      if ((!rows || !rows.length) && native && native.length) { drawNativeLines(native); return; }
      if (!rows || !rows.length) { $('sw-lines').innerHTML = ''; return; }
      const src = p.sources[p.fFile[f]];
      const text = src === undefined ? null : src.split('\n');
      const byLine = new Map(rows.map((r) => [r[0], r]));
      let first = Math.min(p.fLine[f] || rows[0][0], rows[0][0]), last = rows[rows.length - 1][0];
      if (!text) first = last + 1; /* no source: the sampled lines only */
      const out = [];
      const row = (n, r) => '<tr' + (r ? ' class="hot"' : '') + '><td>' + n + '</td><td>' + (r ? fmt(r[1]) : '') + '</td><td>' +
        (r ? fmt(r[2]) : '') + '</td><td>' + (text ? esc(text[n - 1] === undefined ? '' : text[n - 1]) : '') + '</td></tr>';
      if (text) for (let n = first; n <= last; n++) out.push(row(n, byLine.get(n)));
      else for (const r of rows) out.push(row(r[0], r));
      $('sw-lines').innerHTML = '<h3>Lines: own and total time per line' + (text ? '' : ' (source not read at record time)') +
        '</h3><table class="lines" id="lines"><thead><tr><th>line</th><th>own s</th><th>total s</th><th>source</th></tr></thead><tbody>' +
        out.join('') + '</tbody></table>';
    }

    /* ---- state changes ---- */
    function rebuildBase() {
      st.base = st.hideLib ? PA.foldLibrary(p, p.tree) : p.tree;
      const choices = PA.rootChoices(p, st.base);
      const sel = $('root');
      sel.innerHTML = '<option value="all">all</option>' + choices.map((c) => '<option value="' + esc(c.label.trim()) + '">' +
        esc(c.label) + '</option>').join('');
      const found = choices.find((c) => c.label.trim() === st.rootLabel);
      if (!found) st.rootLabel = 'all';
      sel.value = st.rootLabel;
      sel.disabled = choices.length === 0;
      st.tree = st.base;
      st.focus = -1;
      st.top = st.root = found ? found.node : 0;
    }

    function focusFunction(f) {
      st.focus = f;
      st.tree = PA.mergedCallees(st.base, f);
      st.top = 0;
      st.root = 1;
      drawChart();
      window.scrollTo(0, 0);
    }

    function init() {
      $('title').textContent = 'pyattach: ' + (p.info.program || p.info.file || 'profile');
      const info = [];
      if (p.info.mode) info.push(p.info.mode + ' time');
      if (p.info.duration) info.push(fmt(p.info.duration) + ' s recorded');
      if (p.info.samples) info.push(p.info.samples + ' samples');
      info.push(fmt(p.tree.total[0]) + ' s in the profile');
      $('summary').textContent = info.join(' \u00b7 ');
      $('approx').hidden = !p.approximate;
      rebuildBase();

      $('style').onchange = (e) => { st.style = e.target.value; drawChart(); };
      $('depth').onchange = (e) => { st.depth = +e.target.value; drawChart(); if (st.chosen >= 0) drawSandwich(st.chosen); };
      $('cutoff').onchange = (e) => { st.cutoff = +e.target.value; drawChart(); if (st.chosen >= 0) drawSandwich(st.chosen); };
      $('root').onchange = (e) => { st.rootLabel = e.target.value; rebuildBase(); drawChart(); };
      $('hidelib').onchange = (e) => { st.hideLib = e.target.checked; rebuildBase(); drawChart(); if (st.chosen >= 0) drawSandwich(st.chosen); };
      $('search').oninput = (e) => {
        st.hit = PA.matcher(p.names, e.target.value);
        drawChart();
        drawTable();
        if (st.chosen >= 0) drawSandwich(st.chosen);
      };
      $('showall').onclick = () => { st.showAll = true; drawTable(); };
      $('sw-close').onclick = () => { $('sandwich').hidden = true; st.chosen = -1; drawTable(); };
      $('sw-root').onclick = () => focusFunction(st.chosen);
      $('stats').tHead.onclick = (e) => {
        const col = e.target.closest('th') && e.target.closest('th').dataset.col;
        if (!col) return;
        st.asc = col === st.sort ? !st.asc : col === 'name';
        st.sort = col;
        drawTable();
      };
      const chooseRow = (e) => {
        const tr = e.target.closest('tr[data-func]');
        if (tr) { drawSandwich(+tr.dataset.func); drawTable(); }
      };
      $('stats').tBodies[0].onclick = chooseRow;
      $('callers').tBodies[0].onclick = chooseRow;
      $('callees').tBodies[0].onclick = chooseRow;
      $('crumbs').onclick = (e) => {
        const a = e.target.closest('a');
        if (!a) return;
        if (a.dataset.crumb === 'back') { st.tree = st.base; st.focus = -1; rebuildBase(); drawChart(); return; }
        zoom(+a.dataset.crumb === 0 && st.focus >= 0 ? 1 : +a.dataset.crumb);
      };
      const treeOf = (el) => ({ chart: st.tree, callers: st.swTrees && st.swTrees.callers, callees: st.swTrees && st.swTrees.callees })[el.closest('svg').dataset.tree];
      document.body.addEventListener('click', (e) => {
        const box = e.target.closest('.box');
        if (!box) return;
        const svg = box.closest('svg');
        if (svg.dataset.tree === 'chart') zoom(+box.dataset.node);
        else if (+box.dataset.func >= 0) { drawSandwich(+box.dataset.func); drawTable(); }
      });
      document.body.addEventListener('mouseover', (e) => {
        const box = e.target.closest('.box');
        for (const el of document.querySelectorAll('.box.same')) el.classList.remove('same');
        if (!box) { $('tip').hidden = true; return; }
        for (const el of box.closest('svg').querySelectorAll('.box[data-func="' + box.dataset.func + '"]')) el.classList.add('same');
        showTip(e, treeOf(box), +box.dataset.node);
      });
      let resizeTimer = 0;
      window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawChart, 100); });
      drawChart();
      drawTable();
      performance.mark('pyattach-drawn');
      /* after the frame that shows them: what bench/bench_viewer.py calls first render */
      requestAnimationFrame(() => setTimeout(() => {
        performance.mark('pyattach-painted');
        prepare();
      }, 0));
    }

    /* While the page is idle after the first frame: what the first sort of each column
     * and the first search would otherwise compute then (sort keys, each column's order
     * in its first direction, the lower-cased names), one piece per idle period. */
    function prepare() {
      const idle = window.requestIdleCallback || ((f) => setTimeout(f, 50));
      const work = [() => PA.matcher(p.names, 'x')];
      for (const col of ['ncalls', 'tottime', 'percall_tt', 'cumtime', 'percall_ct', 'name']) {
        work.push(() => {
          const sort = st.sort, asc = st.asc;
          st.sort = col; st.asc = col === 'name';
          tableRows();
          st.sort = sort; st.asc = asc;
        });
      }
      const next = () => { if (work.length) { work.shift()(); idle(next); } };
      idle(next);
    }

    PA.app = { state: st, profile: p };
    init();
  }
})(self.PA);

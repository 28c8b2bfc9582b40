/* Term explorer (workbench/reports/explorer.py), after Scattertext (Kessler 2017).
 * Plain JavaScript, no library. Corpus strings reach the page only through textContent and
 * createTextNode; attributes are set only to numbers, fixed strings or class names. */
(function () {
  "use strict";

  var SVGNS = "http://www.w3.org/2000/svg";
  var D = JSON.parse(document.getElementById("data").textContent);
  var C = D.columns;
  var COL = {};
  C.forEach(function (c, i) { COL[c] = i; });
  var T = D.terms;
  var N = T.length;
  var MAX_ROWS = 500;
  var COLOUR = { target: "#b2182b", reference: "#2166ac", none: "#888888" };
  var SIDE_NAME = { target: D.groups.target, reference: D.groups.reference, none: "—" };
  var HEAD_AR = {
    term: "الكلمة", n_target: "العدد (هدف)", n_reference: "العدد (مرجع)", freq_target: "لكل 10,000 (هدف)",
    freq_reference: "لكل 10,000 (مرجع)", docs_target: "وثائق (هدف)", docs_reference: "وثائق (مرجع)",
    outlets_target: "مصادر (هدف)", outlets_reference: "مصادر (مرجع)", G2: "الأرجحية", p: "القيمة الاحتمالية",
    p_adj: "القيمة المصححة", log_ratio: "لوغاريتم النسبة", lrc: "النسبة المحافظة", log_odds: "لوغاريتم الأرجحية",
    log_odds_z: "درجة z", chi2_yates: "كاي تربيع", direction: "الاتجاه", chi2_mh: "كاي تربيع MH"
  };

  var state = { q: "", dir: "all", min: 0, y: D.y_measures[0] || null, sort: null, desc: true, sel: -1 };

  // ------------------------------------------------------------------ helpers
  function byId(id) { return document.getElementById(id); }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.setAttribute("class", cls); }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  // an English line under an Arabic one: its own left-to-right block
  function en(text) {
    var e = el("span", "en", text);
    e.setAttribute("dir", "ltr");
    e.setAttribute("lang", "en");
    return e;
  }

  function sv(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }

  function num(v, col) {
    if (v === null || v === undefined) { return "—"; }
    if (typeof v !== "number") { return String(v); }
    if (col === "p" || col === "p_adj" || col === "p_homogeneity") {
      return v === 0 ? "0" : (v < 0.001 ? v.toExponential(2) : v.toFixed(4));
    }
    if (Number.isInteger(v)) { return String(v); }
    var a = Math.abs(v);
    return a >= 1000 ? v.toFixed(0) : (a >= 100 ? v.toFixed(1) : v.toFixed(2));
  }

  // Arabic search folding: harakat and tatweel out, alef variants and alef maksura folded.
  function fold(s) {
    return String(s).toLowerCase()
      .replace(/[\u064B-\u065F\u0670\u0640]/g, "")
      .replace(/[\u0622\u0623\u0625\u0671]/g, "\u0627")
      .replace(/\u0649/g, "\u064A");
  }

  function val(i, col) { return COL[col] === undefined ? null : T[i][COL[col]]; }
  function dir(i) { var d = val(i, "direction"); return d === "target" || d === "reference" ? d : "none"; }
  function total(i) { return (val(i, "n_target") || 0) + (val(i, "n_reference") || 0); }

  var FOLDED = T.map(function (row, i) {
    return fold(row[COL.term]) + "\u0000" + fold(D.full[String(i)] || "");
  });

  function matches(i) { return state.q === "" || FOLDED[i].indexOf(state.q) >= 0; }
  function passes(i) {
    return (state.dir === "all" || dir(i) === state.dir) && total(i) >= state.min;
  }

  // ------------------------------------------------------------------ header and controls
  function header() {
    byId("title").textContent = D.title;
    var g = D.groups;
    var sub = byId("subtitle");
    clear(sub);
    sub.appendChild(el("span", "iso", g.column));
    sub.appendChild(document.createTextNode(": "));
    sub.appendChild(el("span", "iso target", g.target));
    sub.appendChild(document.createTextNode(" (" + D.n_docs.target + " وثيقة، " + D.tokens.target + " كلمة) مقابل "));
    sub.appendChild(el("span", "iso reference", g.reference));
    sub.appendChild(document.createTextNode(" (" + D.n_docs.reference + " وثيقة، " + D.tokens.reference + " كلمة)"));
    var s = D.settings;
    var scope = byId("scope");
    scope.appendChild(el("span", "ar", "يعرض " + N + " من " + s.terms_in_table + " كلمة من جدول التميز (الأكثر تميزا " +
      "والأكثر تكرارا)، وحتى " + s.lines_per_term + " سياقات لكل كلمة."));
    scope.appendChild(en("Showing " + N + " of " + s.terms_in_table + " terms of the keyness table (the most key by " +
      "|log_odds_z| and G2, and the most frequent); up to " + s.lines_per_term + " concordance lines per term; " +
      "documents: " + s.selection + "."));
    var d = byId("direction");
    [["all", "الكل — all"], ["target", null], ["reference", null], ["none", "لا فرق — none"]].forEach(function (o) {
      var opt = el("option", null, o[1] === null ? SIDE_NAME[o[0]] + " (" + o[0] + ")" : o[1]);
      opt.value = o[0];
      d.appendChild(opt);
    });
    var y = byId("y-measure");
    D.y_measures.forEach(function (m) { var opt = el("option", null, m); opt.value = m; y.appendChild(opt); });
    var legend = byId("legend");
    ["target", "reference", "none"].forEach(function (k) {
      legend.appendChild(el("span", "dot", null)).style.background = COLOUR[k];
      legend.appendChild(el("span", "iso " + k, k === "none" ? "لا فرق — none" : SIDE_NAME[k]));
    });
  }

  // ------------------------------------------------------------------ scatter
  var W = 760, H = 520, ML = 58, MR = 16, MT = 14, MB = 46;
  var circles = [];

  function extent(values) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (v !== null && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (lo === hi) { lo -= 1; hi += 1; }
    var pad = (hi - lo) * 0.04;
    return [lo - pad, hi + pad];
  }

  function ticks(lo, hi, n) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    step *= err >= 5 ? 5 : (err >= 2 ? 2 : 1);
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) { out.push(Math.round(t / step) * step); }
    return out;
  }

  // ticks of a log10 axis: 1, 2, 5 times powers of ten (only powers of ten on a wide range)
  function logTicks(lo, hi) {
    var out = [], steps = hi - lo > 3 ? [1] : [1, 2, 5];
    for (var k = Math.floor(lo); k <= Math.ceil(hi); k++) {
      steps.forEach(function (m) {
        var v = Math.log10(m) + k;
        var shown = k >= 0 ? String(m * Math.pow(10, k)) : (m * Math.pow(10, k)).toFixed(-k);
        if (v >= lo && v <= hi) { out.push([v, shown]); }
      });
    }
    return out;
  }

  function plot() {
    var holder = byId("plot-holder");
    clear(holder);
    circles = [];
    var svg = sv("svg", { viewBox: "0 0 " + W + " " + H, role: "img", direction: "ltr" });
    svg.setAttribute("aria-label", "scatter of terms: frequency against keyness");
    holder.appendChild(svg);
    var ys = T.map(function (r, i) { return state.y ? val(i, state.y) : 0; });
    var xe = extent(D.x), ye = extent(ys);
    var sx = function (v) { return ML + (v - xe[0]) / (xe[1] - xe[0]) * (W - ML - MR); };
    var sy = function (v) { return MT + (ye[1] - v) / (ye[1] - ye[0]) * (H - MT - MB); };
    logTicks(xe[0], xe[1]).forEach(function (t) {
      svg.appendChild(sv("line", { x1: sx(t[0]), x2: sx(t[0]), y1: MT, y2: H - MB, "class": "grid" }));
      var lab = sv("text", { x: sx(t[0]), y: H - MB + 15, "text-anchor": "middle" });
      lab.textContent = t[1];
      svg.appendChild(lab);
    });
    ticks(ye[0], ye[1], 6).forEach(function (t) {
      svg.appendChild(sv("line", { x1: ML, x2: W - MR, y1: sy(t), y2: sy(t), "class": "grid" }));
      var lab = sv("text", { x: ML - 5, y: sy(t) + 4, "text-anchor": "end" });
      lab.textContent = String(Math.round(t * 100) / 100);
      svg.appendChild(lab);
    });
    if (ye[0] < 0 && ye[1] > 0) {
      svg.appendChild(sv("line", { x1: ML, x2: W - MR, y1: sy(0), y2: sy(0), "class": "axis" }));
    }
    svg.appendChild(sv("line", { x1: ML, x2: W - MR, y1: H - MB, y2: H - MB, "class": "axis" }));
    svg.appendChild(sv("line", { x1: ML, x2: ML, y1: MT, y2: H - MB, "class": "axis" }));
    var xl = sv("text", { x: (ML + W - MR) / 2, y: H - 8, "text-anchor": "middle" });
    xl.textContent = "التكرار لكل 10,000 كلمة (مقياس لوغاريتمي) — rate per 10,000 tokens, both groups (log scale)";
    svg.appendChild(xl);
    var yl = sv("text", { x: 12, y: (MT + H - MB) / 2, "text-anchor": "middle",
      transform: "rotate(-90 12 " + (MT + H - MB) / 2 + ")" });
    yl.textContent = (state.y || "") + "  (+ " + D.groups.target + " / − " + D.groups.reference + ")";
    svg.appendChild(yl);
    // least key first, so the most key points are drawn on top
    var order = T.map(function (r, i) { return i; }).filter(function (i) { return D.x[i] !== null && ys[i] !== null; });
    order.sort(function (a, b) { return Math.abs(ys[a]) - Math.abs(ys[b]) || a - b; });
    order.forEach(function (i) {
      var c = sv("circle", { cx: sx(D.x[i]).toFixed(1), cy: sy(ys[i]).toFixed(1), r: 3.2, fill: COLOUR[dir(i)] });
      c.setAttribute("data-i", String(i));
      var tip = sv("title", {});
      tip.textContent = T[i][COL.term] + " — " + state.y + " " + num(ys[i]) + ", n " + total(i);
      c.appendChild(tip);
      c.addEventListener("click", function () { select(i, true); });
      svg.appendChild(c);
      circles[i] = c;
    });
    // labels: the most key terms of each side, skipping any that would overlap one already placed
    var boxes = [];
    ["target", "reference"].forEach(function (side) {
      var placed = 0;
      order.filter(function (i) { return dir(i) === side; }).reverse().forEach(function (i) {
        if (placed >= 10) { return; }
        var x = sx(D.x[i]), y = sy(ys[i]);
        var w = String(T[i][COL.term]).length * 6.5 + 4, right = x > (ML + W - MR) / 2;
        var box = [right ? x - 5 - w : x + 5, y - 17, right ? x - 5 : x + 5 + w, y - 3];
        var overlaps = boxes.some(function (b) { return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3]; });
        if (overlaps) { return; }
        boxes.push(box);
        placed += 1;
        var t = sv("text", { x: (right ? x - 5 : x + 5).toFixed(1), y: (y - 5).toFixed(1),
          "text-anchor": right ? "end" : "start", "class": "label" });
        t.textContent = T[i][COL.term];
        svg.appendChild(t);
      });
    });
    highlight();
  }

  function highlight() {
    for (var i = 0; i < N; i++) {
      var c = circles[i];
      if (!c) { continue; }
      var cls = [];
      if (!passes(i) || !matches(i)) { cls.push("dim"); }
      else if (state.q !== "") { cls.push("hit"); }
      if (i === state.sel) { cls.push("sel"); }
      c.setAttribute("class", cls.join(" "));
      c.setAttribute("r", i === state.sel ? "6" : (state.q !== "" && cls[0] === "hit" ? "5" : "3.2"));
    }
    if (state.sel >= 0 && circles[state.sel]) { circles[state.sel].parentNode.appendChild(circles[state.sel]); }
  }

  // ------------------------------------------------------------------ term table
  function headers() {
    var tr = byId("t-head");
    C.forEach(function (c) {
      var th = el("th", typeof (T[0] || [])[COL[c]] === "number" ? "num" : null, c);
      if (HEAD_AR[c]) { th.setAttribute("title", HEAD_AR[c] + " — " + c); }
      th.setAttribute("scope", "col");
      th.addEventListener("click", function () {
        if (state.sort === c) { state.desc = !state.desc; } else { state.sort = c; state.desc = c !== "term"; }
        table();
      });
      tr.appendChild(th);
    });
  }

  function compare(a, b) {
    var x = T[a][COL[state.sort]], y = T[b][COL[state.sort]];
    if (x === y) { return a - b; }
    if (x === null) { return 1; }
    if (y === null) { return -1; }
    var r = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "ar");
    return (state.desc ? -r : r) || a - b;
  }

  function table() {
    var rows = [];
    for (var i = 0; i < N; i++) { if (passes(i) && matches(i)) { rows.push(i); } }
    if (state.sort !== null) { rows.sort(compare); }
    Array.prototype.forEach.call(byId("t-head").children, function (th) {
      if (th.textContent === state.sort) { th.setAttribute("aria-sort", state.desc ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    var body = byId("t-body");
    clear(body);
    rows.slice(0, MAX_ROWS).forEach(function (i) {
      var tr = el("tr", i === state.sel ? "sel" : null);
      tr.setAttribute("data-i", String(i));
      C.forEach(function (c, j) {
        var v = T[i][j];
        var td;
        if (c === "term") {
          td = el("td", null);
          var b = el("button", "term " + dir(i), v);
          b.setAttribute("type", "button");
          td.appendChild(b);
        } else if (c === "direction") {
          td = el("td", dir(i), v);
        } else {
          td = el("td", typeof v === "number" || v === null ? "num" : "iso", num(v, c));
        }
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () { select(i, false); });
      body.appendChild(tr);
    });
    var count = byId("t-count");
    clear(count);
    count.appendChild(el("span", "ar", rows.length + " كلمة" +
      (rows.length > MAX_ROWS ? "، يعرض أول " + MAX_ROWS : "") +
      ". انقر عنوان عمود للترتيب."));
    count.appendChild(en(rows.length + " terms" + (rows.length > MAX_ROWS ? "; the first " + MAX_ROWS +
      " shown: refine the filter" : "") + ". Click a column heading to sort."));
  }

  // ------------------------------------------------------------------ details of one term
  function row(cells, head) {
    var tr = el("tr", null);
    cells.forEach(function (c) {
      var cell;
      if (Array.isArray(c[0])) {  // a heading: Arabic above English
        cell = el(head ? "th" : "td", c[1] || null);
        cell.appendChild(el("span", "ar", c[0][0]));
        cell.appendChild(en(c[0][1]));
      } else {
        cell = el(head ? "th" : "td", c[1] || null, c[0]);
      }
      tr.appendChild(cell);
    });
    return tr;
  }

  function details(i) {
    byId("details-hint").hidden = true;
    byId("details-body").hidden = false;
    var h = byId("d-term");
    clear(h);
    h.appendChild(el("span", "iso " + dir(i), T[i][COL.term]));
    var full = D.full[String(i)];
    if (full) { h.setAttribute("title", full); } else { h.removeAttribute("title"); }
    var parts = [];
    ["G2", "p_adj", "log_ratio", "lrc", "log_odds_z", "chi2_mh", "odds_ratio_mh"].forEach(function (m) {
      if (COL[m] !== undefined) { parts.push(m + " " + num(val(i, m), m)); }
    });
    var dmeas = byId("d-measures");
    clear(dmeas);
    dmeas.appendChild(en(["direction: " + (dir(i) === "none" ? "none" : SIDE_NAME[dir(i)])].concat(parts).join(" · ")));

    var counts = byId("d-counts");
    clear(counts);
    counts.appendChild(row([[["المجموعة", "group"]], [["العدد", "n"], "num"], [["لكل 10,000", "per 10,000"], "num"],
      [["وثائق", "docs"], "num"], [["مصادر", "outlets"], "num"]], true));
    ["target", "reference"].forEach(function (s) {
      counts.appendChild(row([[SIDE_NAME[s], "iso " + s], [num(val(i, "n_" + s)), "num"],
        [num(val(i, "freq_" + s)), "num"], [num(val(i, "docs_" + s)), "num"], [num(val(i, "outlets_" + s)), "num"]]));
    });

    var outs = byId("d-outlets");
    clear(outs);
    outs.appendChild(row([[["المصدر", "outlet"]], [["المجموعة", "group"]], [["العدد", "n"], "num"],
      [["الكلمات", "tokens"], "num"], [["لكل 10,000", "per 10,000"], "num"], [""]], true));
    var oc = D.outlet_counts[i] || [];
    var rates = D.outlets.map(function (o, j) { return o.tokens > 0 ? oc[j] / o.tokens * D.per : 0; });
    var top = Math.max.apply(null, rates.concat([1e-12]));
    var order = D.outlets.map(function (o, j) { return j; });
    order.sort(function (a, b) {
      return (D.outlets[a].side === D.outlets[b].side ? 0 : (D.outlets[a].side === "target" ? -1 : 1)) ||
        rates[b] - rates[a] || a - b;
    });
    order.forEach(function (j) {
      var o = D.outlets[j];
      var tr = row([["", "outlet"], [SIDE_NAME[o.side], "iso " + o.side],
        [String(oc[j] || 0), "num"], [String(o.tokens), "num"], [rates[j].toFixed(2), "num"]]);
      tr.firstChild.appendChild(el("span", "ar iso", o.name || o.outlet));
      if (o.name) { tr.firstChild.appendChild(el("span", "en iso id", o.outlet)); }
      var td = el("td", null);
      var bar = el("span", "bar " + o.side);
      bar.style.width = (rates[j] / top * 6).toFixed(2) + "em";
      td.appendChild(bar);
      tr.appendChild(td);
      outs.appendChild(tr);
    });

    var m = D.matches[i] || [0, 0];
    var lines = D.lines[i] || [];
    var dm = byId("d-matches");
    clear(dm);
    dm.appendChild(el("span", "ar", m[0] + " ورود في " + m[1] + " وثيقة من المجموعتين، يعرض منها " +
      lines.length + "."));
    dm.appendChild(en(m[0] + " occurrences in " + m[1] + " documents of the two groups; " + lines.length + " shown" +
      (m[0] === 0 ? " (a bigram formed across a removed stop word has no adjacent occurrence)" : "") + "."));
    var kw = byId("d-kwic");
    clear(kw);
    kw.appendChild(row([[["السياق السابق", "before"], "before"], [["الكلمة", "keyword"], "kw"],
      [["السياق اللاحق", "after"], "after"]], true));
    lines.forEach(function (line) {
      var art = D.articles[line[0]];
      var o = D.outlets[art[0]];
      var tr = el("tr", "line " + o.side);
      // the words before the keyword sit on its right: a left-to-right cell around a right-to-left
      // span keeps the word next to the keyword visible when the line is too long
      var before = el("td", "before");
      before.setAttribute("dir", "ltr");
      var span = el("span", "iso", line[1]);
      span.setAttribute("dir", "rtl");
      before.appendChild(span);
      tr.appendChild(before);
      var k = el("td", "kw iso", line[2]);
      k.setAttribute("dir", "rtl");
      tr.appendChild(k);
      var after = el("td", "after iso", line[3]);
      after.setAttribute("dir", "rtl");
      tr.appendChild(after);
      kw.appendChild(tr);
      var src = el("tr", "src");
      var td = el("td", null);
      td.setAttribute("colspan", "3");
      td.appendChild(el("span", "iso " + o.side, o.outlet));
      td.appendChild(document.createTextNode(" · "));
      td.appendChild(el("span", "iso", art[1]));
      td.appendChild(document.createTextNode(" · "));
      td.appendChild(el("span", "iso", art[3]));
      td.appendChild(document.createTextNode(" · "));
      td.appendChild(el("span", "iso", art[2]));
      src.appendChild(td);
      kw.appendChild(src);
    });
  }

  function select(i, fromPlot) {
    state.sel = i;
    details(i);
    highlight();
    Array.prototype.forEach.call(byId("t-body").children, function (tr) {
      tr.setAttribute("class", tr.getAttribute("data-i") === String(i) ? "sel" : "");
      if (fromPlot && tr.getAttribute("data-i") === String(i) && tr.scrollIntoView) {
        tr.scrollIntoView({ block: "nearest" });
      }
    });
  }

  // ------------------------------------------------------------------ wiring
  function refresh() { highlight(); table(); }

  header();
  headers();
  plot();
  table();
  byId("search").addEventListener("input", function (e) { state.q = fold(e.target.value.trim()); refresh(); });
  byId("direction").addEventListener("change", function (e) { state.dir = e.target.value; refresh(); });
  byId("min-count").addEventListener("input", function (e) {
    var v = parseInt(e.target.value, 10);
    state.min = isFinite(v) && v > 0 ? v : 0;
    refresh();
  });
  byId("y-measure").addEventListener("change", function (e) { state.y = e.target.value; plot(); });
  document.body.setAttribute("data-explorer", "ready");
}());

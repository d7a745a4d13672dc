// The backward explorer: draws the recorded graph (layout computed in Python) and walks the
// backward pass. States: 0 = the start (the loss, dL/dL = 1), 1..N = the ops in the engine's
// order (node.recorded.step), N + 1 = the end (every parameter's .grad).
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("explore-data").textContent);
  const T = D.tensors, NODES = D.nodes, EDGES = D.edges, STEPS = D.steps;
  const N = STEPS.length - 1, LAST = N + 1;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const panel = $("panel"), svg = $("graph"), viewport = $("viewport");
  let state = 0, selected = null;

  // ------------------------------------------------------------------ numbers and text
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const num = (v) => (typeof v === "string" ? (v === "NaN" ? NaN : v === "Infinity" ? Infinity : -Infinity) : v);
  function fmt(v) {
    v = num(v);
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
    const a = Math.abs(v);
    if (a < 1e-3 || a >= 1e5) return v.toExponential(2).replace("e-", "e\u2212");
    return String(Number(v.toPrecision(4)));
  }
  const shapeText = (s) => (s == null ? "" : s.length === 0 ? "scalar" : "(" + s.join(", ") + ")");
  const node = (id) => NODES[id];
  const stepOf = (id) => (node(id).kind === "loss" ? 0 : node(id).position);

  // ------------------------------------------------------------------ tensors
  function colour(v, scale) {
    v = num(v);
    if (!Number.isFinite(v) || !scale) return "";
    const a = Math.min(1, Math.abs(v) / scale) * 0.42;
    return v >= 0 ? `background:rgba(198,40,40,${a.toFixed(3)})` : `background:rgba(33,102,172,${a.toFixed(3)})`;
  }
  function statsText(p) {
    const s = p.stats;
    if (!s) return "empty";
    const parts = [];
    if (s.norm !== undefined) {
      parts.push("\u2016\u00b7\u2016 " + fmt(s.norm), "mean " + fmt(s.mean), "max|\u00b7| " + fmt(s.maxabs), "range [" + fmt(s.min) + ", " + fmt(s.max) + "]");
    }
    return parts.join(" \u00b7 ");
  }
  function badText(p) {
    const s = p.stats;
    if (!s || (!s.nan && !s.inf)) return "";
    const bits = [];
    if (s.nan) bits.push(s.nan + " NaN");
    if (s.inf) bits.push(s.inf + " inf");
    return `<div class="warn">\u26a0 ${bits.join(", ")} (stats above are of the finite entries)</div>`;
  }
  function matrix(p) {
    const pv = p.preview, scale = p.stats && p.stats.maxabs;
    let h = '<table class="matrix">';
    for (let r = 0; r < pv.rows; r++) {
      h += "<tr>";
      for (let c = 0; c < pv.cols; c++) {
        const k = r * pv.cols + c;
        if (k >= pv.v.length) break; // the last row of a wrapped vector
        const v = pv.v[k], bad = !Number.isFinite(num(v));
        h += `<td data-i="${pv.flat[k]}" data-v="${esc(v)}" title="${esc(v)}" class="${bad ? "bad" : ""}" style="${colour(v, scale)}">${fmt(v)}</td>`;
      }
      if (pv.cols < pv.cols_total) h += '<td class="more">\u2026</td>';
      h += "</tr>";
    }
    if (pv.rows < pv.rows_total) h += `<tr><td class="more" colspan="${pv.cols}">\u22ee</td></tr>`;
    return h + "</table>";
  }
  // role: what the view shows (grad-arriving, input-grad, uses, value, param-grad, ...)
  function tensorView(idx, what, role, attrs) {
    if (idx === null || idx === undefined) return `<div class="note">${esc(what)}: not recorded</div>`;
    const p = T[idx];
    const extra = Object.entries(attrs || {}).map(([k, v]) => ` data-${k}="${esc(v)}"`).join("");
    let h = `<div class="tensor" data-role="${role}" data-tensor="${idx}"${extra}>`;
    h += `<div class="meta"><span class="what">${esc(what)}</span> &nbsp;${shapeText(p.shape)} ${p.dtype === "float32" ? "" : esc(p.dtype)}</div>`;
    if (p.size === 0) return h + '<div class="note">empty</div></div>';
    if (p.size === 1) {
      h += matrix(p);
    } else if (p.complete) {
      h += matrix(p) + `<div class="stats">${statsText(p)}</div>`;
    } else {
      const pv = p.preview;
      const lead = pv.fixed.length ? "[" + pv.fixed.join(", ") + "]" : "";
      h += `<div class="stats">${statsText(p)}</div>`;
      h += matrix(p);
      const corner = pv.vector ? pv.v.length : pv.rows + "\u00d7" + pv.cols;
      h += `<div class="heat-caption">the first ${corner} entries${lead ? " of " + lead : ""} of ${p.size.toLocaleString()}</div>`;
      if (p.heat) {
        h += `<canvas class="heat" data-heat="${idx}"></canvas><div class="heat-caption">heat-map of all ${p.size.toLocaleString()} entries as a ${p.heat.matrix.join("\u00d7")} matrix${p.heat.row_axes === 2 ? " (rows: axes 0 and 1)" : ""}; each cell the largest-magnitude entry of its block (red +, blue \u2212)</div>`;
      }
    }
    return h + badText(p) + "</div>";
  }
  function drawHeats() {
    panel.querySelectorAll("canvas.heat").forEach((cv) => {
      const hm = T[+cv.dataset.heat].heat;
      const cell = Math.max(3, Math.min(14, Math.floor(320 / hm.cols)));
      const ch = Math.max(3, Math.min(14, Math.floor(140 / hm.rows)));
      cv.width = hm.cols * cell; cv.height = hm.rows * ch;
      const g = cv.getContext("2d");
      hm.q.forEach((q, i) => {
        const r = Math.floor(i / hm.cols), c = i % hm.cols;
        if (q === null) g.fillStyle = "#ff00ff";
        else {
          const a = Math.abs(q) / 99;
          g.fillStyle = q >= 0 ? `rgba(198,40,40,${a})` : `rgba(33,102,172,${a})`;
        }
        g.fillRect(c * cell, r * ch, cell, ch);
      });
    });
  }

  // ------------------------------------------------------------------ the graph
  const nodeEls = {}, edgeEls = [];
  function el(tag, attrs, parent) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function pathOf(route) {
    let d = `M${route[0][0]},${route[0][1]}`;
    for (let i = 1; i < route.length; i++) {
      const [x0, y0] = route[i - 1], [x1, y1] = route[i], dy = (y1 - y0) / 2;
      d += ` C${x0},${y0 + dy} ${x1},${y1 - dy} ${x1},${y1}`;
    }
    return d;
  }
  function drawGraph() {
    const ge = $("edges"), gn = $("nodes");
    EDGES.forEach((e, i) => {
      edgeEls.push(el("path", { d: pathOf(e.route), class: "edge", "data-edge": i, "marker-end": "url(#arrow)" }, ge));
    });
    NODES.forEach((n) => {
      const g = el("g", { class: "node " + n.kind + (n.anomaly ? " anomaly" : ""), "data-node": n.id, transform: `translate(${n.x},${n.y})` }, gn);
      el("rect", { x: -n.w / 2, y: -n.h / 2, width: n.w, height: n.h, rx: n.kind === "op" ? n.h / 2 : 6 }, g);
      const t1 = el("text", { y: n.sub ? -2 : 4 }, g);
      t1.textContent = n.label;
      if (n.sub) { const t2 = el("text", { y: 12, class: "sub" }, g); t2.textContent = n.sub; }
      if (n.kind === "op" && n.position) {
        const bx = n.w / 2 - 4, by = -n.h / 2 + 2;
        el("circle", { cx: bx, cy: by, r: 8, class: "badge-bg" }, g).style.display = "none";
        const b = el("text", { x: bx, y: by + 3.5, class: "badge" }, g);
        b.textContent = n.position; b.style.display = "none";
      }
      const tip = el("title", {}, g);
      tip.textContent = n.kind === "op" ? n.grad_fn + (n.module ? " in " + n.module : "") + "\n" + (n.formula || "") : n.name + " " + shapeText(n.shape);
      g.addEventListener("click", (ev) => { if (!dragged) { ev.stopPropagation(); select(n.id); } });
      nodeEls[n.id] = g;
    });
  }
  function edgeLabel(e) { // short: it sits just below the input it goes to
    const p = T[e.grad];
    if (p.size === 1) return "g = " + fmt(p.preview.v[0]);
    return "\u2016g\u2016 = " + fmt(p.stats && p.stats.norm !== undefined ? p.stats.norm : NaN);
  }
  function paintGraph() {
    const cur = state >= 0 && state <= N ? STEPS[state] : null;
    NODES.forEach((n) => {
      const g = nodeEls[n.id], s = stepOf(n.id);
      const done = n.kind === "loss" ? state > 0 : n.kind === "op" && s !== undefined && s !== null && s < state;
      const got = n.kind === "param" && n.contributions.some((c) => c.position <= state);
      const receiving = n.kind === "param" && cur !== null && n.contributions.some((c) => c.op === cur);
      g.classList.toggle("current", n.id === cur);
      g.classList.toggle("done", done);
      g.classList.toggle("got", got);
      g.classList.toggle("receiving", receiving);
      g.classList.toggle("selected", n.id === selected);
      const badge = g.querySelectorAll(".badge-bg, .badge");
      badge.forEach((b) => { b.style.display = done || n.id === cur ? "" : "none"; });
    });
    const labels = $("edge-labels"), boxes = [];
    labels.textContent = "";
    EDGES.forEach((e, i) => {
      const p = edgeEls[i];
      const hot = cur !== null && e.target === cur && e.grad !== null;
      const incoming = cur !== null && e.source === cur;
      const tgt = node(e.target);
      const done = e.grad !== null && !hot && (tgt.kind === "loss" ? state > 0 : stepOf(e.target) < state);
      p.setAttribute("class", "edge" + (hot ? " hot" : incoming ? " incoming" : done ? " done" : ""));
      if (hot) { p.removeAttribute("marker-end"); p.setAttribute("marker-start", "url(#arrow-hot)"); }
      else { p.removeAttribute("marker-start"); p.setAttribute("marker-end", incoming ? "url(#arrow-in)" : done ? "url(#arrow-done)" : "url(#arrow)"); }
      if (hot) {
        const len = p.getTotalLength(), at = p.getPointAtLength(Math.min(30, len * 0.45));
        const m = [at.x, at.y + 4];
        const g = el("g", { class: "edge-label" }, labels);
        el("title", {}, g).textContent = "the gradient handed back along this edge: dL/d" + node(e.source).name + " " + shapeText(T[e.grad].shape);
        const t = el("text", { x: m[0], y: m[1] + 4 }, g);
        t.textContent = edgeLabel(e);
        const w = t.getComputedTextLength() + 10;
        let x = m[0];
        for (const b of boxes) { // labels of neighbouring edges: push apart sideways
          if (Math.abs(b.y - m[1]) < 20 && Math.abs(b.x - x) < (b.w + w) / 2 + 4) {
            x = b.x + Math.sign(x - b.x || 1) * ((b.w + w) / 2 + 4);
          }
        }
        boxes.push({ x, y: m[1], w });
        t.setAttribute("x", x);
        const bg = el("rect", { x: x - w / 2, y: m[1] - 9, width: w, height: 18 });
        g.insertBefore(bg, t);
      }
    });
  }

  // pan and zoom: a transform on the viewport group
  let view = { k: 1, x: 0, y: 0 }, dragged = false;
  const applyView = () => viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`);
  function fit() {
    const r = svg.getBoundingClientRect();
    const k = Math.min(r.width / D.size.width, r.height / D.size.height, 1.25);
    if (k >= 0.75) { view = { k, x: (r.width - D.size.width * k) / 2, y: (r.height - D.size.height * k) / 2 }; applyView(); return true; }
    return false;
  }
  function centreOn(id, force) {
    const n = node(id), r = svg.getBoundingClientRect();
    const sx = n.x * view.k + view.x, sy = n.y * view.k + view.y, m = 60;
    if (!force && sx > m && sx < r.width - m && sy > m && sy < r.height - m) return;
    view.x = r.width / 2 - n.x * view.k; view.y = r.height / 2 - n.y * view.k; applyView();
  }
  function initView() {
    if (!fit()) { view.k = 1; centreOn(STEPS[Math.min(state, N)], true); }
  }
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect(), px = ev.clientX - r.left, py = ev.clientY - r.top;
    const f = Math.exp(-ev.deltaY * 0.0015), k = Math.max(0.1, Math.min(4, view.k * f));
    view.x = px - (px - view.x) * (k / view.k); view.y = py - (py - view.y) * (k / view.k); view.k = k; applyView();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("mousedown", (ev) => { drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y }; dragged = false; });
  window.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { dragged = true; svg.classList.add("dragging"); }
    view.x = drag.vx + dx; view.y = drag.vy + dy; applyView();
  });
  window.addEventListener("mouseup", () => { drag = null; svg.classList.remove("dragging"); setTimeout(() => { dragged = false; }, 0); });

  // ------------------------------------------------------------------ the panel
  function consumersText(n) {
    const cs = (n.consumers || []).map(node);
    if (cs.length <= 1) return "";
    return `<div class="note">Its output was used ${cs.length} times, so G is the <b>sum</b> of what ${cs.map((c) => esc(c.kind === "loss" ? "the loss" : c.name) + (c.position ? " (step " + c.position + ")" : "")).join(", ")} handed back.</div>`;
  }
  function inputCard(n, inp, opts) {
    const src = node(inp.node), label = `<b>${esc(inp.label)}</b>`;
    const cls = src.kind === "param" ? "to-param" : src.kind === "op" ? "to-op" : "to-const";
    let h = `<div class="card ${cls}" data-k="${inp.k}">`;
    if (src.kind === "const") {
      return h + `<div class="card-head">\u2192 input ${inp.k} ${label}: <i>${esc(src.name)}</i> ${shapeText(src.shape)}, data / a constant: no gradient needed (the op skips it)</div></div>`;
    }
    const where = src.kind === "param"
      ? `parameter <i>${esc(src.name)}</i>: added into <code>${esc(src.name)}.grad</code>` + (src.contributions.length > 1 ? ` (share ${src.contributions.findIndex((c) => c.op === n.id) + 1} of ${src.contributions.length}: it is used ${src.contributions.length} times)` : "")
      : `the output of <i>${esc(src.name)}</i> (processed at step ${src.position || "\u2013"})` + ((src.consumers || []).length > 1 ? ", which waits until all its consumers are done" : "");
    h += `<div class="card-head">\u2192 input ${inp.k} ${label}: ${where}</div>`;
    if (inp.grad === null) h += '<div class="note">no gradient (not needed)</div>';
    else h += tensorView(inp.grad, "dL/d" + inp.label, opts.role, { node: n.id, k: inp.k, target: src.id });
    return h + "</div>";
  }
  function settingsText(n) {
    const s = Object.entries(n.settings || {});
    return s.length ? `<div class="settings">settings: ${s.map(([k, v]) => esc(k) + "=" + esc(v)).join(", ")}</div>` : "";
  }
  function opStep(n) {
    let h = `<h2>${esc(n.name)}<span class="gf">${esc(n.grad_fn)}</span></h2>`;
    h += `<div class="where">step ${n.position} of ${N}${n.module ? " \u00b7 in " + esc(n.module) : ""} \u00b7 its output: ${shapeText(n.shape)}</div>`;
    h += `<div class="section s-in"><h3><span class="num">1</span>The gradient arriving: G = dL/d(output)</h3>`;
    h += consumersText(n) + tensorView(n.grad, "G", "grad-arriving", { node: n.id }) + "</div>";
    h += `<div class="section"><h3><span class="num">2</span>The local derivative</h3><div class="formula">${esc(n.formula || "(no formula in the docstring)")}</div>`;
    const used = n.inputs.filter((i) => i.uses), rest = n.inputs.filter((i) => !i.uses);
    if (used.length || n.uses_output) {
      h += '<div class="note">with the values it saved in the forward pass:</div>';
      used.forEach((i) => { h += tensorView(i.value, i.label + " (input " + i.k + ")", "uses", { node: n.id, k: i.k }); });
      if (n.uses_output) h += tensorView(n.output, "output", "uses", { node: n.id, k: "out" });
    } else {
      h += '<div class="note">It saved none of its inputs: the gradient depends on G (and the settings) only.</div>';
    }
    if (n.derived) h += '<div class="note">(and what forward computed from them: a mask, indices, or a normalised value)</div>';
    if (rest.length || !n.uses_output) {
      h += "<details><summary>the other values</summary>";
      rest.forEach((i) => { h += tensorView(i.value, i.label + " (input " + i.k + ")", "value", { node: n.id, k: i.k }); });
      if (!n.uses_output) h += tensorView(n.output, "output", "output", { node: n.id });
      h += "</details>";
    }
    h += settingsText(n) + "</div>";
    h += `<div class="section s-out"><h3><span class="num">3</span>Handed to each input: dL/d(input) = G \u00d7 local derivative</h3>`;
    n.inputs.forEach((i) => { h += inputCard(n, i, { role: "input-grad" }); });
    h += '<div class="note">Each gradient has its input\'s shape (a broadcast input gets the sum over the copies).</div></div>';
    return h;
  }
  function startView() {
    const l = node(STEPS[0]);
    let h = `<h2>Start: backward() begins at the loss</h2><div class="where">before step 1 of ${N}</div>`;
    h += '<div class="intro"><b>loss.backward()</b> computes dL/d(everything) by the chain rule, from the end back. It starts with <b>dL/dL = 1</b>, then visits each op once, newest first, as soon as every use of its output has handed back its gradient. At each op: take the gradient G arriving, multiply by the op\'s local derivative, hand the result to each input. A parameter adds what it receives into its <code>.grad</code>.</div>';
    h += tensorView(l.value, "the loss L", "value", { node: l.id });
    h += tensorView(l.grad, "dL/dL (the seed)", "grad-arriving", { node: l.id });
    h += `<div class="note">Press <b>Next</b> (or \u2192) to process the first op, ${esc(node(STEPS[1] !== undefined ? STEPS[1] : STEPS[0]).name)}.</div>`;
    (D.notes || []).forEach((t) => { h += `<div class="warn">${esc(t)}</div>`; });
    return h;
  }
  function paramGrad(p, role) {
    let h = tensorView(p.grad, p.name + ".grad", role, { node: p.id, name: p.name });
    if (p.grad !== null && !p.grad_matches) h += '<div class="warn">.grad also holds gradients from an earlier backward() (not zeroed): it is not just this pass\'s sum.</div>';
    return h;
  }
  function endView() {
    const params = NODES.filter((n) => n.kind === "param");
    let h = `<h2>Done: every parameter has its gradient</h2><div class="where">after step ${N} of ${N}</div>`;
    h += `<div class="intro">Each parameter's <code>.grad</code> now holds dL/d(parameter): the sum of every share it received. An optimizer step reads these.</div><div class="formula">${esc(D.accumulate)}</div>`;
    params.forEach((p) => { h += `<div class="card to-param"><div class="card-head"><b>${esc(p.name)}</b> ${shapeText(p.shape)} \u00b7 ${p.contributions.length} share${p.contributions.length === 1 ? "" : "s"}</div>${paramGrad(p, "param-grad")}</div>`; });
    return h;
  }
  function nodeView(n) {
    const back = `<div class="back"><button class="link" id="back">\u2190 back to ${state === 0 ? "the start" : state === LAST ? "the end" : "step " + state}</button></div>`;
    let h = back;
    if (n.kind === "op") {
      h += `<h2>${esc(n.name)}<span class="gf">${esc(n.grad_fn)}</span></h2><div class="where">${n.position ? "step " + n.position + " of " + N : "not reached by backward"}${n.module ? " \u00b7 in " + esc(n.module) : ""}</div>`;
      h += `<div class="formula">${esc(n.formula || "")}</div>` + settingsText(n);
      h += tensorView(n.output, "output", "output", { node: n.id });
      h += tensorView(n.grad, "G = dL/d(output)", "grad-arriving", { node: n.id });
      n.inputs.forEach((i) => {
        h += `<div class="card"><div class="card-head">input ${i.k} <b>${esc(i.label)}</b> from <i>${esc(node(i.node).name)}</i></div>`;
        h += tensorView(i.value, "value", "value", { node: n.id, k: i.k });
        if (i.grad !== null) h += tensorView(i.grad, "dL/d" + i.label + " (handed back)", "input-grad", { node: n.id, k: i.k });
        h += "</div>";
      });
    } else if (n.kind === "param") {
      h += `<h2>${esc(n.name)}<span class="gf">parameter (AccumulateGrad)</span></h2><div class="where">${shapeText(n.shape)} ${esc(n.dtype)} \u00b7 used by ${n.consumers.length} op${n.consumers.length === 1 ? "" : "s"}</div>`;
      h += `<div class="formula">${esc(D.accumulate)}</div>`;
      h += tensorView(n.value, "value (as the forward pass used it)", "value", { node: n.id });
      if (n.current_value !== undefined) h += tensorView(n.current_value, "value now (changed since: an optimizer step?)", "value-now", { node: n.id });
      h += paramGrad(n, "param-grad");
      n.contributions.forEach((c, j) => { h += tensorView(c.grad, `share ${j + 1}: from ${node(c.op).name} (step ${c.position})`, "contribution", { node: n.id, op: c.op }); });
    } else if (n.kind === "const") {
      h += `<h2>${esc(n.name)}<span class="gf">data / constant</span></h2><div class="where">no gradient: nothing it came from requires grad</div>`;
      h += tensorView(n.value, "value", "value", { node: n.id });
    } else {
      h += `<h2>${esc(n.name)}<span class="gf">the loss</span></h2>`;
      h += tensorView(n.value, "value", "value", { node: n.id }) + tensorView(n.grad, "dL/dL", "grad-arriving", { node: n.id });
    }
    return h;
  }
  function paintPanel() {
    let kind, h;
    if (selected !== null) { kind = "node"; h = nodeView(node(selected)); }
    else if (state === 0) { kind = "start"; h = startView(); }
    else if (state === LAST) { kind = "end"; h = endView(); }
    else { kind = "step"; h = opStep(node(STEPS[state])); }
    panel.innerHTML = `<div id="view" data-view="${kind}" data-state="${state}" data-node="${selected !== null ? selected : state <= N ? STEPS[state] : ""}">${h}</div>`;
    drawHeats();
    const back = $("back");
    if (back) back.addEventListener("click", () => { selected = null; paint(); });
  }

  // ------------------------------------------------------------------ stepping
  function paint() {
    $("counter").textContent = state === 0 ? `start (${N} steps)` : state === LAST ? `done (${N} steps)` : `step ${state} of ${N}`;
    $("slider").value = state;
    $("prev").disabled = $("reset").disabled = state === 0;
    $("next").disabled = $("end").disabled = state === LAST;
    paintGraph();
    paintPanel();
  }
  function go(s) {
    state = Math.max(0, Math.min(LAST, s));
    selected = null;
    paint();
    if (state <= N) centreOn(STEPS[state], false);
    else if (!fit()) centreOn(STEPS[0], false);
  }
  function select(id) { selected = id; paint(); }
  $("slider").max = LAST;
  $("next").addEventListener("click", () => go(state + 1));
  $("prev").addEventListener("click", () => go(state - 1));
  $("reset").addEventListener("click", () => go(0));
  $("end").addEventListener("click", () => go(LAST));
  $("slider").addEventListener("input", (ev) => go(+ev.target.value));
  $("fit").addEventListener("click", () => { if (!fit()) { view.k = 0.5; centreOn(STEPS[Math.min(state, N)], true); } });
  document.addEventListener("keydown", (ev) => {
    if (ev.target && ev.target.id === "slider") return; // the slider steps itself
    if (ev.key === "ArrowRight" || ev.key === "ArrowDown") { go(state + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") { go(state - 1); ev.preventDefault(); }
    else if (ev.key === "Home") go(0);
    else if (ev.key === "End") go(LAST);
    else if (ev.key === "Escape" && selected !== null) { selected = null; paint(); }
  });
  drawGraph();
  initView();
  paint();
  // for scripts and tests: step, select a node, bring a node into view
  window.explorer = { go, select, show: (id) => centreOn(id, true), get state() { return state; }, steps: N };
})();

"use strict";
// Renders the documents of #trawl-data: the text with a <mark> per record (nested ones inside
// one another; a record that crosses the end of another is split there, its parts sharing
// `data-rec`), a legend that shows or hides each label, and a tooltip on hover and focus.
(function () {
  const docs = JSON.parse(document.getElementById("trawl-data").textContent).filter(Boolean);
  const labels = [...new Set(docs.flatMap(d => (d.records || []).map(r => r.label)))].sort();
  // Neighbouring labels far apart on the colour wheel (the golden angle).
  const hue = l => (labels.indexOf(l) * 137.5 + 20) % 360;
  const all = [];
  const main = document.getElementById("docs");
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  };
  // Offsets are code points: index the text by them.
  for (const d of docs) {
    const art = el("article", {});
    art.append(el("h2", {}, d.id));
    if (d.error) {
      art.append(el("p", { class: "error" }, d.error.kind + ": " + d.error.message));
      main.append(art);
      continue;
    }
    const chars = Array.from(d.text);
    const recs = d.records.map((r, i) => ({ r, id: all.push(r) - 1, start: r.start, end: r.end }));
    const text = el("div", { class: "text" });
    render(text, chars, 0, chars.length, recs);
    art.append(el("p", { class: "count" }, d.records.length + " records"), text);
    main.append(art);
  }
  function render(parent, chars, from, to, recs) {
    putMarks(parent, chars, from, to, recs, top => {
      const m = el("mark", { tabindex: "0", "data-rec": String(top.id), "data-label": top.r.label });
      m.style.setProperty("--hue", hue(top.r.label));
      return m;
    });
  }
  // The legend: one checkbox per label.
  const legend = document.getElementById("legend");
  for (const l of labels) {
    const box = el("input", { type: "checkbox", checked: "", "data-label": l });
    const sw = el("span", { class: "swatch" });
    sw.style.background = "hsl(" + hue(l) + ", 60%, 55%)";
    const n = all.filter(r => r.label === l).length;
    legend.append(el("label", {}, box, sw, l + " (" + n + ")"));
    box.addEventListener("change", () => {
      for (const m of document.querySelectorAll('mark[data-label="' + CSS.escape(l) + '"]')) {
        m.classList.toggle("off", !box.checked);
        m.tabIndex = box.checked ? 0 : -1;
      }
    });
  }
  // The tooltip.
  const tip = document.getElementById("tip");
  // A span as its text, a list as its items.
  const shown = v => Array.isArray(v) ? "[" + v.map(shown).join(", ") + "]"
    : v && typeof v === "object" && "text" in v ? JSON.stringify(v.text) : JSON.stringify(v);
  function table(title, obj) {
    const keys = Object.keys(obj || {});
    if (!keys.length) return null;
    const t = el("table", {});
    t.append(el("tr", {}, el("td", {}, title), el("td", {})));
    for (const k of keys) t.append(el("tr", {}, el("td", {}, "  " + k), el("td", {}, shown(obj[k]))));
    return t;
  }
  function show(m) {
    const r = all[Number(m.dataset.rec)];
    tip.replaceChildren(
      el("div", { class: "l" }, r.label + " " + JSON.stringify(r.text)),
      el("div", {}, r.rule ? "rule " + r.rule : "lexicon entry"),
      el("div", { class: "src" }, r.source || ""),
    );
    for (const t of [table("fields", r.fields), table("captures", r.captures)]) if (t) tip.append(t);
    const box = m.getBoundingClientRect();
    tip.hidden = false;
    tip.style.left = Math.max(4, window.scrollX + box.left) + "px";
    tip.style.top = window.scrollY + box.bottom + 6 + "px";
  }
  const hide = () => { tip.hidden = true; };
  const markOf = e => e.target.closest && e.target.closest("mark:not(.off)");
  document.addEventListener("mouseover", e => { const m = markOf(e); if (m) { e.stopPropagation(); show(m); } });
  document.addEventListener("mouseout", e => { if (markOf(e)) hide(); });
  document.addEventListener("focusin", e => { const m = markOf(e); if (m) show(m); });
  document.addEventListener("focusout", hide);
  document.addEventListener("keydown", e => { if (e.key === "Escape") hide(); });
  // `#focus=Label`: the first record of the label, with its tooltip (a link to show one).
  const focusOn = /^#focus=(.+)$/.exec(location.hash);
  if (focusOn) {
    const m = document.querySelector('mark[data-label="' + CSS.escape(decodeURIComponent(focusOn[1])) + '"]');
    if (m) { m.scrollIntoView({ block: "nearest" }); m.focus({ preventScroll: true }); show(m); }
  }
  // `#selftest`: what a test checks, written into the page (headless browsers dump the DOM).
  if (location.hash === "#selftest") {
    const parts = {};
    for (const m of document.querySelectorAll("mark[data-rec]")) {
      const own = Array.from(m.childNodes).map(n => n.textContent).join("");
      (parts[m.dataset.rec] = parts[m.dataset.rec] || []).push(own);
    }
    const wrong = all.map((r, i) => [r, (parts[i] || []).join("")]).filter(([r, t]) => t !== r.text).map(([r, t]) => [r.label, r.text, t]);
    // The tooltip of the first Person, by the mouse and by the keyboard.
    const first = document.querySelector('mark[data-label="Person"]') || document.querySelector("mark");
    const tipAfter = ev => {
      hide();
      if (first) first.dispatchEvent(ev);
      return tip.hidden ? "" : tip.textContent;
    };
    const hover = tipAfter(new MouseEvent("mouseover", { bubbles: true }));
    const focus = tipAfter(new FocusEvent("focusin", { bubbles: true }));
    hide();
    const out = el("pre", { id: "selftest" });
    out.textContent = JSON.stringify({ records: all.length, highlighted: Object.keys(parts).length, wrong, labels, hover, focus });
    document.body.append(out);
  }
})();

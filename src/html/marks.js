"use strict";
// Shared by the HTML page and the playground: `parts` ({ id, start, end, r: record }) inside the
// code points [from, to) of `chars`, as text with a <mark> per part made by `mark(part)`; nested
// parts inside one another, a part that crosses the end of another split there (its pieces
// share their id); the earliest first, the longest first among equals.
function putMarks(parent, chars, from, to, parts, mark) {
  parts.sort((a, b) => a.start - b.start || b.end - a.end || a.id - b.id);
  let at = from;
  while (parts.length) {
    const top = parts.shift();
    if (top.start > at) parent.append(chars.slice(at, top.start).join(""));
    const inner = [], rest = [];
    for (const p of parts) {
      if (p.start >= top.end) rest.push(p);
      else if (p.end <= top.end) inner.push(p);
      else { inner.push({ ...p, end: top.end }); rest.push({ ...p, start: top.end }); }
    }
    const m = mark(top);
    putMarks(m, chars, top.start, top.end, inner, mark);
    parent.append(m);
    at = Math.max(at, top.end);
    parts = rest;
  }
  if (to > at) parent.append(chars.slice(at, to).join(""));
}

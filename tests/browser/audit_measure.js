// Reflow and target sizes of the page as laid out now; returns a list of problems.
// Sizes in CSS pixels, with half a pixel of slack for sub-pixel layout.
(() => {
  const SLACK = 0.5;
  const shown = (e) => {
    const s = getComputedStyle(e);
    if (s.visibility === "hidden" || s.display === "none") return false;
    const r = e.getBoundingClientRect();
    return r.width > 2 && r.height > 2;  // visually hidden text is 1 px
  };
  const describe = (e) => (e.id ? "#" + e.id : e.tagName.toLowerCase()) + " '" +
    (e.textContent || e.value || "").trim().replace(/\s+/g, " ").slice(0, 50) + "'";
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) {
    const wide = [...document.querySelectorAll("body *")].filter(
      (e) => e.getBoundingClientRect().right > doc.clientWidth + SLACK && shown(e));
    problems.push(`scrolls sideways: ${doc.scrollWidth} px wide in ${doc.clientWidth} px; ` +
      wide.slice(-3).map(describe).join(", "));
  }
  const buttons = "button, input[type=submit], input[type=button], a.usa-button, a.button, summary";
  for (const e of document.querySelectorAll(buttons)) {
    if (!shown(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.width < 44 - SLACK || r.height < 44 - SLACK)
      problems.push(`button ${describe(e)} is ${r.width.toFixed(0)}x${r.height.toFixed(0)} px`);
  }
  for (const e of document.querySelectorAll(".choice label, .checkbox")) {
    if (!shown(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.height < 44 - SLACK)
      problems.push(`choice ${describe(e)} is ${r.height.toFixed(0)} px tall`);
  }
  for (const e of document.querySelectorAll("input[type=radio], input[type=checkbox]")) {
    if (!shown(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.width < 24 - SLACK || r.height < 24 - SLACK)
      problems.push(`input ${describe(e)} is ${r.width.toFixed(0)}x${r.height.toFixed(0)} px`);
  }
  for (const e of document.querySelectorAll("a[href]:not(.usa-button):not(.button):not(.skip-link)")) {
    if (!shown(e)) continue;
    const r = e.getBoundingClientRect();
    const low = [...e.getClientRects()].filter((f) => f.width > 1 && f.height < 24 - SLACK);
    if (r.width < 24 - SLACK || low.length)
      problems.push(`link ${describe(e)} is ${r.width.toFixed(0)} px wide, ` +
        `${(low[0] || r).height.toFixed(0)} px tall`);
  }
  return problems;
})

// Focus each control (after one Tab, so focus shows as for a keyboard user) and compare
// its ring with what lies behind it: the nearest painted background. WCAG contrast.
(() => {
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const behind = (e) => {
    for (let n = e.parentElement; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length >= 3 && (c.length === 3 || c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const problems = [];
  let checked = 0;
  const focusable = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const e of document.querySelectorAll(focusable)) {
    const r = e.getBoundingClientRect();
    if (r.width < 2 || r.height < 2 || e.disabled || e.closest("[inert], fieldset[disabled]")) continue;
    e.focus({preventScroll: true});
    if (document.activeElement !== e) continue;
    checked++;
    const s = getComputedStyle(e);
    const name = (e.id ? "#" + e.id : e.tagName.toLowerCase()) + " '" + (e.textContent || "").trim().slice(0, 40) + "'";
    const width = parseFloat(s.outlineWidth);
    if (s.outlineStyle === "none" || width < 2) { problems.push(`${name}: no focus ring`); continue; }
    const c = ratio(rgb(s.outlineColor), behind(e));
    if (c < 3) problems.push(`${name}: focus ring ${s.outlineColor} is ${c.toFixed(2)}:1 against its background`);
  }
  document.activeElement && document.activeElement.blur();
  return {checked, problems};
})

// An accessibility audit run inside the page: landmarks, one h1, names for every control and
// image, and WCAG AA contrast for every piece of visible text. Returns what is wrong, as text.
() => {
  const problems = [];
  for (const [selector, what] of [["main", "a main landmark"], ["header nav", "site navigation"],
                                  ["footer", "a footer"]]) {
    if (document.querySelectorAll(selector).length !== 1) problems.push(`not exactly one ${what}`);
  }
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(`${h1} h1 headings`);
  if (!document.documentElement.lang) problems.push("no lang on <html>");

  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
    if (!visible(el)) continue;
    const label = [...(el.labels || [])].map((l) => l.textContent).join(" ").trim()
      || el.getAttribute("aria-label") || el.title
      || (el.tagName === "BUTTON" ? el.textContent.trim() : "");
    if (!label) problems.push(`a ${el.tagName.toLowerCase()} without a name: ${el.outerHTML.slice(0, 90)}`);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`an image without alt: ${img.src}`);
  }
  for (const a of document.querySelectorAll("a")) {
    if (visible(a) && !a.textContent.trim() && !a.querySelector("img[alt]:not([alt=''])")) {
      problems.push(`a link without text: ${a.href}`);
    }
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (+el.getAttribute("tabindex") > 0) problems.push("a positive tabindex breaks keyboard order");
  }

  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const rgba = (text) => (text.match(/[\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const backgroundOf = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el) || !visible(el)) continue;
    if (el.closest("script, style, [hidden]")) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const fg = luminance(rgba(style.color)), bg = luminance(backgroundOf(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize), bold = +style.fontWeight >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) {
      problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: "${walker.currentNode.textContent.trim().slice(0, 40)}"`);
    }
  }
  return problems;
}

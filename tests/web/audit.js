// An accessibility audit run inside the page: landmarks, one h1 and headings in order, names
// for every control and image, WCAG AA contrast for every piece of visible text, and what phones
// need: no sideways scrolling at the window's width, 16 px text in fields (iOS zooms on anything
// smaller) and 44×44 px targets (links inside a sentence are exempt, as WCAG 2.5.8 allows).
// Returns what is wrong, as text.
() => {
  const problems = [];
  for (const [selector, what] of [["main", "a main landmark"], ["header nav", "site navigation"],
                                  ["footer", "a footer"]]) {
    if (document.querySelectorAll(selector).length !== 1) problems.push(`not exactly one ${what}`);
  }
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(`${h1} h1 headings`);
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  let previous = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = +h.tagName[1];
    if (level > previous + 1) {
      problems.push(`${previous ? "h" + previous : "the start"} followed by h${level}: "${h.textContent.trim().slice(0, 40)}"`);
    }
    previous = level;
  }

  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
    if (!visible(el)) continue;
    const label = [...(el.labels || [])].map((l) => l.textContent).join(" ").trim()
      || el.getAttribute("aria-label") || el.title
      || (el.tagName === "BUTTON" ? el.textContent.trim() : "");
    if (!label) problems.push(`a ${el.tagName.toLowerCase()} without a name: ${el.outerHTML.slice(0, 90)}`);
  }
  const describe = (el) => `${el.tagName.toLowerCase()} "${(el.textContent.trim() || el.name || el.outerHTML).slice(0, 40)}"`;
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    const spills = (el) => visible(el) && (el.getBoundingClientRect().right > root.clientWidth + 1
      || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible"));
    const wide = [...document.body.querySelectorAll("*")].filter((el) => spills(el)
      && ![...el.children].some(spills));
    problems.push(`scrolls sideways: ${root.scrollWidth} px wide in ${root.clientWidth} px, past the edge: ${wide.slice(0, 3).map(describe).join(", ")}`);
  }
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (visible(el) && size < 16) problems.push(`text of ${size} px in a field (iOS zooms): ${describe(el)}`);
  }
  const blockOf = (el) => {
    let node = el.parentElement;
    while (node && getComputedStyle(node).display.startsWith("inline")) node = node.parentElement;
    return node || document.body;
  };
  const inSentence = (a) => {  // an inline link among words that are not themselves targets
    if (getComputedStyle(a).display !== "inline") return false;
    const block = blockOf(a).cloneNode(true);
    for (const target of block.querySelectorAll("a, button, input, select, textarea, form")) target.remove();
    return /[\p{L}\p{N}]/u.test(block.textContent);
  };
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    if (!visible(el) || (el.tagName === "A" && inSentence(el))) continue;
    // A radio button's or a checkbox's target takes in its label, which works it too.
    const boxes = [el, ...(el.matches("input[type=radio], input[type=checkbox]") ? el.labels : [])]
      .map((e) => e.getBoundingClientRect());
    const box = { width: Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left)),
                  height: Math.max(...boxes.map((b) => b.bottom)) - Math.min(...boxes.map((b) => b.top)) };
    if (box.width < 43.5 || box.height < 43.5) {
      problems.push(`a target of ${Math.round(box.width)}×${Math.round(box.height)} px: ${describe(el)}`);
    }
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

"""What every browser test does with a page it looks at: keeps a screenshot under
test-artifacts/ and checks what any page must pass there (the accessibility audit, no sideways
scrolling), and on forms for phones that nothing is too small to read or to tap."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.web.conftest import AUDIT

# Inputs under 16 px (phones zoom into them) or controls under 44 px (too small to tap) in a
# form (.compose) or a link-styled button: a list of what is wrong, evaluated in the page.
SMALL_ON_A_PHONE = """() => {
  const small = [];
  const fields = ".compose input:not([type=hidden]):not([type=checkbox]), .compose select,"
    + " .compose textarea, .compose button, button.link,"
    + " .compose label:has(> input[type=checkbox])";
  for (const e of document.querySelectorAll(fields)) {
    const size = parseFloat(getComputedStyle(e).fontSize), box = e.getBoundingClientRect();
    const name = e.name || e.id || e.textContent.trim();
    if (e.matches("input, select, textarea") && size < 16) small.push(name + ": " + size + "px");
    if (box.height < 44) small.push(name + ": " + box.height + "px high");
    if (e.matches("button") && box.width < 44) small.push(name + ": " + box.width + "px wide");
  }
  return small;
}"""


def kept(
    page: Any, shots: Path, name: str, *, audit: bool = True, fits: bool = True,
    checks: Sequence[str] = (),
) -> None:  # fmt: skip
    """A full-page screenshot `shots/name.png`; then, unless turned off, the audit and no
    sideways scrolling; and each of `checks` (scripts returning what is wrong) finds nothing."""
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    if audit:
        assert page.evaluate(AUDIT) == [], name
    if fits:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name}: scrolls sideways ({width}px)"
    for check in checks:
        assert page.evaluate(check) == [], name

// Times are printed in the event's own zone; add the viewer's local time where it differs.
// The label comes translated from the page (data-your-time on this script's tag).
"use strict";
(() => {
  const label = document.currentScript.dataset.yourTime;
  for (const t of document.querySelectorAll("time[data-local]")) {
    const iso = t.getAttribute("datetime");
    const d = new Date(iso);
    if (isNaN(d)) continue;
    const zone = iso.match(/([+-])(\d\d):(\d\d)$/);
    const offset = zone ? (zone[1] === "-" ? -1 : 1) * (60 * +zone[2] + +zone[3]) : 0;
    if (-d.getTimezoneOffset() === offset) continue;  // the viewer is in the event's zone
    const local = d.toLocaleString([], {weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZoneName: "short"});
    const span = document.createElement("span");
    span.className = "meta local-time";
    span.textContent = " " + label.replace("%(time)s", local);
    t.after(span);
  }
})();

// Copy buttons beside read-only addresses (a calendar's): without JavaScript the button stays
// hidden and the address is there to select; with it, one tap copies it.
"use strict";
(() => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const input = document.getElementById(button.dataset.copy);
    if (!input) continue;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", () => {
      input.select();  // selected either way, for a long press or Ctrl+C if copying fails
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).catch(() => document.execCommand("copy"));
      } else {
        document.execCommand("copy");  // pages not served over https
      }
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  }
  for (const input of document.querySelectorAll("input[readonly]")) {
    input.addEventListener("focus", () => input.select());
  }
})();

// The compose form, enhanced: the browser's time zone when the hub has none, and rows of a
// repeated field (poll options, decisions, action items) added and removed in place. Without
// this script the form works the same: the hub's zone, and a "More rows" button.
(function () {
  "use strict";
  var zone = document.querySelector("select[data-guess-zone]");
  if (zone && window.Intl) {
    var guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (guess && zone.querySelector('option[value="' + guess + '"], option:not([value])')) {
      for (var i = 0; i < zone.options.length; i++) {
        if (zone.options[i].text === guess) { zone.selectedIndex = i; break; }
      }
    }
  }
  document.querySelectorAll("fieldset[data-rows]").forEach(function (set) {
    var rows = set.querySelectorAll(".row");
    if (!rows.length) { return; }
    var template = rows[rows.length - 1];
    function addRemove(row) {
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove";
      remove.textContent = "−";
      remove.setAttribute("aria-label", set.dataset.remove || "Remove");
      remove.title = set.dataset.remove || "Remove";
      remove.addEventListener("click", function () {
        if (set.querySelectorAll(".row").length > 1) { row.remove(); }
        else { row.querySelectorAll("input").forEach(function (i) { i.value = ""; }); }
      });
      row.appendChild(remove);
    }
    set.querySelectorAll(".row").forEach(addRemove);
    var more = set.querySelector('button[name="more"]');
    if (!more) { return; }
    more.addEventListener("click", function (event) {
      event.preventDefault();
      var row = template.cloneNode(true);
      var n = set.querySelectorAll(".row").length;
      row.querySelectorAll("input").forEach(function (i) { i.value = ""; i.id = i.id + "-" + n; });
      row.querySelectorAll("label").forEach(function (l) { l.htmlFor = l.htmlFor + "-" + n; });
      row.querySelectorAll("button").forEach(function (b) { b.remove(); });
      addRemove(row);
      more.parentNode.parentNode.insertBefore(row, more.parentNode);
      row.querySelector("input").focus();
    });
  });
})();

/* Stockledger: keyboard and screen-reader behaviour of the pages (no inline scripts).
 *
 * - Escape closes an open menu or panel (<details class="menu">: Activity, Export) and puts
 *   focus back on its summary.
 * - After an HTMX swap, focus goes somewhere sensible and the change is announced in the
 *   page's live region (#announcer):
 *     "Older rows" (data-focus="new-rows"): the first of the rows it loaded;
 *     swapped content with [data-focus-after-swap] (the "export queued" confirmation): that
 *     element, its text announced.
 */
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick, so the same words are announced again.
    window.setTimeout(function () { region.textContent = text.replace(/\s+/g, " ").trim(); }, 50);
  }

  function focusElement(el) {
    if (!el) return;
    if (!el.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
      el.setAttribute("tabindex", "-1");
    }
    el.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelectorAll("details.menu[open]");
    if (!open.length) return;
    var inside = event.target.closest && event.target.closest("details.menu[open]");
    var target = inside || open[open.length - 1];
    target.open = false;
    var summary = target.querySelector("summary");
    if (summary) summary.focus();
    event.preventDefault();
  });

  // "Older rows": remember the row before the link's row, focus the one after it once swapped.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || source.getAttribute("data-focus") !== "new-rows") return;
    var row = event.detail.target;
    var before = row.previousElementSibling;
    var body = row.parentElement;
    window.setTimeout(function () {
      var first = before ? before.nextElementSibling : body.firstElementChild;
      if (!first) return;
      var count = 0;
      for (var r = first; r && !r.classList.contains("more"); r = r.nextElementSibling) count++;
      focusElement(first);
      announce(count + " older row" + (count === 1 ? "" : "s") + " loaded.");
    }, 0);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.querySelector) return;
    var el = target.matches("[data-focus-after-swap]")
      ? target : target.querySelector("[data-focus-after-swap]");
    if (el) {
      focusElement(el);
      announce((el.querySelector(".ok") || el).textContent);
      return;
    }
    // A form sent back with errors: focus its first invalid field.
    var invalid = target.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea, fieldset.invalid input");
    if (invalid && target.contains(document.activeElement) === false) invalid.focus();
  });
})();

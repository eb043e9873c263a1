// Facilities plans: a click on a room (or a door) selects it; a problem's number shows it on the plan.
(function () {
  "use strict";
  document.querySelectorAll("figure.pick").forEach(function (fig) {
    var base = fig.getAttribute("data-pick");
    var anchor = fig.getAttribute("data-anchor") || "#selection";
    fig.addEventListener("click", function (ev) {
      var el = ev.target.closest("[data-unit], [data-opening]");
      if (!el) return;
      var id = el.getAttribute("data-unit") || el.getAttribute("data-opening");
      window.location.href = base + encodeURIComponent(id) + anchor;
    });
  });
  var selected = document.querySelector("[data-selected]");
  var chosen = selected ? selected.getAttribute("data-selected") : (document.getElementById("feature") || {}).value;
  if (chosen) {
    document.querySelectorAll('figure.pick [data-unit="' + CSS.escape(chosen) + '"], figure.pick [data-opening="' + CSS.escape(chosen) + '"]')
      .forEach(function (el) { el.classList.add("selected"); });
  }
  function focusProblem(n) {
    document.querySelectorAll("g.focus").forEach(function (g) { g.classList.remove("focus"); });
    var g = document.querySelector('figure.plan g[data-problem="' + n + '"]');
    if (!g) return false;
    g.classList.add("focus");
    g.scrollIntoView({ block: "center", behavior: "smooth" });
    return true;
  }
  document.querySelectorAll("a.marker[data-problem]").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      if (focusProblem(a.getAttribute("data-problem"))) ev.preventDefault();
    });
  });
  document.querySelectorAll("figure.plan g[data-problem]").forEach(function (g) {
    g.style.cursor = "pointer";
    g.addEventListener("click", function () {
      var item = document.querySelector('a.marker[data-problem="' + g.getAttribute("data-problem") + '"]');
      if (item) { item.closest("details").open = true; item.scrollIntoView({ block: "center" }); item.focus(); }
    });
  });
})();

// astre serve: live checks as the référent types (progressive enhancement: every page works without it).
// Hand-written, no build step, no library. Licence: MIT, as astre.
(function () {
  "use strict";
  var form = document.querySelector("form[data-check]");
  if (!form) { return; }
  var timer = null;
  function show(answer) {
    var boxes = form.querySelectorAll(".messages");
    boxes.forEach(function (box) {
      var id = box.id.replace(/-messages$/, "");
      var found = answer.champs[id] || [];
      box.textContent = "";
      found.forEach(function (text) {
        var p = document.createElement("p");
        p.className = "message";
        p.textContent = text;
        box.appendChild(p);
      });
      var input = document.getElementById(id);
      if (input && input.matches("input, select, textarea")) {
        if (found.length) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      }
    });
  }
  function check() {
    var body = new FormData(form);
    body.delete("_action");
    fetch(form.dataset.check, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) { show(answer); } })
      .catch(function () { /* the save will check anyway */ });
  }
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(check, 150); });
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 800); });
  // List buttons (add, remove, move): the server draws the form again, nothing is saved;
  // with the script, only the form is replaced (the page keeps its scroll and focus moves to the element).
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name='_action']");
    if (!button || !window.fetch || !window.DOMParser) { return; }
    event.preventDefault();
    var body = new FormData(form);
    body.append("_action", button.value);
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        var drawn = new DOMParser().parseFromString(html, "text/html").querySelector("form.case-form");
        if (!drawn) { throw new Error("formulaire absent"); }
        form.innerHTML = drawn.innerHTML;
        var target = form.querySelector("[autofocus]");
        if (target) { target.focus(); }
      })
      .catch(function () {
        var fallback = document.createElement("input");
        fallback.type = "hidden"; fallback.name = "_action"; fallback.value = button.value;
        form.appendChild(fallback);
        form.submit();
      });
  });
  var summary = document.getElementById("resume-erreurs");
  if (summary && location.hash === "") { summary.focus(); }
})();

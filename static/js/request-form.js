// Progressive enhancement of the place picker (the request form, the evangelist profile,
// the community and evangelist forms): after choosing a prefecture the form reloads with
// its municipalities (the "Show its municipalities" button does the same without
// JavaScript). Everything typed is posted along and comes back.
//
// Choosing alone never reloads (WCAG 3.2.2, on input): the arrow keys step through the 47
// prefectures freely. The list reloads on a deliberate action only: leaving the field with
// a new value (Tab, a click elsewhere), Enter on it, or picking from the opened list with
// the mouse or a finger.
(function () {
  var form = document.querySelector(".request-form");
  if (!form) return;
  var prefecture = form.querySelector("#prefecture");
  var button = form.querySelector('button[name="action"][value="prefecture"]');
  if (!prefecture || !button) return;
  button.closest(".js-hide").classList.add("d-none");

  var shown = prefecture.value; // the prefecture whose municipalities are listed
  var byPointer = false; // the last thing done on the list was with a mouse or finger
  var sent = false;

  function reload() {
    if (sent || prefecture.value === shown) return;
    sent = true;
    button.click();
  }

  prefecture.addEventListener("pointerdown", function () { byPointer = true; });
  prefecture.addEventListener("keydown", function (event) {
    byPointer = false;
    if (event.key === "Enter") {
      event.preventDefault();
      reload();
    }
  });
  prefecture.addEventListener("change", function () { if (byPointer) reload(); });
  prefecture.addEventListener("blur", reload);
  // Back to this page from the browser's history: it may reload again.
  window.addEventListener("pageshow", function (event) { if (event.persisted) sent = false; });

  var notice = document.getElementById("duplicate-notice") || document.getElementById("error-summary");
  if (notice) notice.focus();
  if (form.dataset.focus) {
    var target = document.getElementById(form.dataset.focus);
    if (target) target.focus();
  }
})();

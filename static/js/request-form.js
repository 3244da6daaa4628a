// Progressive enhancement of the request form: choosing a prefecture reloads the form
// with its municipalities at once (the "Show its municipalities" button does the same
// without JavaScript). Everything typed is posted along and comes back.
(function () {
  var form = document.querySelector(".request-form");
  if (!form) return;
  var prefecture = form.querySelector("#prefecture");
  var button = form.querySelector('button[name="action"][value="prefecture"]');
  if (!prefecture || !button) return;
  button.closest(".js-hide").classList.add("d-none");
  prefecture.addEventListener("change", function () { button.click(); });
  var notice = document.getElementById("duplicate-notice") || document.getElementById("error-summary");
  if (notice) notice.focus();
  if (form.dataset.focus) {
    var target = document.getElementById(form.dataset.focus);
    if (target) target.focus();
  }
})();

// "Towns like yours" on the request form (templates/library/_towns_like_yours.html): when a
// municipality is chosen, its suggestions are fetched from /cases/like/<code> (a fragment
// the server renders and escapes) and shown in place. Without JavaScript they show once the
// form comes back with the municipality chosen. Pages without the picker are left alone.
(function () {
  var box = document.getElementById("towns-like-yours");
  var select = document.getElementById("municipality");
  if (!box || !select || select.tagName !== "SELECT" || !window.fetch) return;
  var shown = select.value;

  select.addEventListener("change", function () {
    var code = select.value;
    if (code === shown || !/^[0-9]{6}$/.test(code)) return;
    shown = code;
    fetch(box.dataset.url.replace("__CODE__", code), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && select.value === code) box.innerHTML = html;
      })
      .catch(function () { /* the link to the library stays */ });
  });
})();

/*
 * The dashboard's filter (templates/reports/dashboard.html): once a region is picked,
 * the prefecture list offers only that region's prefectures (the form is a plain GET
 * form and works without this script: the server then says when a prefecture is not in
 * the region). The prefectures' regions are in `data-regions` on the form, as JSON.
 * On the printable page, the Print button opens the browser's print dialogue.
 */
(function () {
  "use strict";

  var form = document.querySelector(".dash-filter");
  if (form) {
    var regions = JSON.parse(form.getAttribute("data-regions") || "{}");
    var region = form.querySelector("select[name=region]");
    var prefecture = form.querySelector("select[name=prefecture]");
    // On load the chosen prefecture stays, even outside the region: the server's message
    // under the field is about it, and what the reader chose is not changed behind them.
    var narrow = function (onLoad) {
      var chosen = region.value;
      prefecture.querySelectorAll("option").forEach(function (option) {
        var keep = !option.value || !chosen || regions[option.value] === chosen || (onLoad === true && option.selected);
        option.hidden = !keep;
        option.disabled = !keep;
      });
      prefecture.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      var picked = prefecture.options[prefecture.selectedIndex];
      if (picked && picked.disabled) prefecture.value = "";
    };
    if (region && prefecture) {
      region.addEventListener("change", function () { narrow(false); });
      narrow(true);
    }
  }

  var button = document.getElementById("dash-print-button");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }
})();

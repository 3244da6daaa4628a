// The use case's file input (templates/use_cases/edit.html): says at once, before the
// form is sent, that a file is too large or that too many are chosen; the server checks
// again (and everything else: the type, the content, the name).
(function () {
  "use strict";
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var maxBytes = parseInt(input.dataset.maxBytes, 10);
    var maxCount = parseInt(input.dataset.maxCount, 10);
    input.addEventListener("change", function () {
      var problem = "";
      if (input.files.length > maxCount) {
        problem = input.dataset.tooMany;
      }
      Array.prototype.forEach.call(input.files, function (file) {
        if (!problem && file.size > maxBytes) {
          problem = input.dataset.tooLarge.replace("{name}", file.name);
        }
      });
      input.setCustomValidity(problem);
      if (problem) {
        input.reportValidity();
      }
    });
    input.form.addEventListener("submit", function (event) {
      if (!input.checkValidity()) {
        event.preventDefault();
        input.reportValidity();
      }
    });
  });
})();

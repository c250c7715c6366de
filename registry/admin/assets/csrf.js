// Copies the CSRF cookie into every POST form and every jQuery request (registry/admin/csrf.py).
(function () {
  function token() {
    var match = document.cookie.match(/(?:^|; )registry_admin_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.method || "").toLowerCase() !== "post") return;
    var field = form.querySelector('input[name="csrf_token"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "csrf_token";
      form.appendChild(field);
    }
    field.value = token();
  }, true);
  if (window.jQuery) {
    jQuery.ajaxSetup({ beforeSend: function (xhr) { xhr.setRequestHeader("X-CSRFToken", token()); } });
  }
  var nativeFetch = window.fetch;
  window.fetch = function (resource, options) {
    options = options || {};
    options.headers = new Headers(options.headers || {});
    options.headers.set("X-CSRFToken", token());
    return nativeFetch(resource, options);
  };
})();

/* Starts Swagger UI or Redoc on the schema named by the page (data-spec-url), with no request to
 * any other host: Swagger's online validator badge is turned off, and "Try it out" sends the
 * page's CSRF token so that it can use the session of the login page. */
(function () {
  "use strict";
  var holder = document.getElementById("docs");
  var specUrl = holder.dataset.specUrl;
  if (holder.dataset.kind === "swagger") {
    var csrfToken = holder.dataset.csrfToken;
    window.ui = window.SwaggerUIBundle({
      url: specUrl,
      dom_id: "#docs",
      deepLinking: true,
      validatorUrl: null,
      presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
      layout: "BaseLayout",
      requestInterceptor: function (request) {
        request.headers["X-CSRF-Token"] = csrfToken;
        return request;
      }
    });
  } else {
    window.Redoc.init(specUrl, {hideDownloadButton: false, expandResponses: "200,201"}, holder);
  }
})();

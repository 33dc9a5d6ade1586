/* The built-in demo: draws one API path (its JSON with clickable links, an export table that
 * refreshes itself while renders run) and forms for its other methods, built from /openapi.json.
 * demo_views.js (loaded first) draws pictures of the JSON above it: timelines, curves, media.
 * Every request goes to this instance with the session cookie; unsafe ones carry the CSRF token.
 * Data from the API is only ever inserted as text, never as markup. */
(function () {
  "use strict";

  var root = document.getElementById("demo");
  var apiPath = root.dataset.apiPath;
  var demoBase = root.dataset.demoBase;             // http://host[/prefix]/demo
  var appBase = demoBase.replace(/\/demo$/, "");    // http://host[/prefix]
  var csrfToken = root.dataset.csrfToken;
  var ACTIVE = ["pending", "in-progress", "cancel"];
  var REFRESH_MS = 2000;
  var JSON_TYPE = "application/json", MULTIPART = "multipart/form-data";
  var spec = null;
  var shown = null;          // the JSON the view shows now
  var refreshTimer = null;
  var views = window.OpenShotDemoViews || null;

  // --- small helpers --------------------------------------------------------------------------

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      node.append(child);
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function deref(schema) {
    var guard = 0;
    while (schema && schema.$ref && guard++ < 10) {
      schema = schema.$ref.split("/").slice(1).reduce(function (o, k) { return o[k]; }, spec);
    }
    return schema || {};
  }

  function call(method, path, body) {
    var headers = {Accept: JSON_TYPE};
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
    var payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers["Content-Type"] = JSON_TYPE; payload = JSON.stringify(body); }
    return fetch(appBase + path, {method: method, headers: headers, body: payload, credentials: "same-origin"})
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        var read = response.status === 204 ? Promise.resolve(null)
          : type.indexOf("json") >= 0 ? response.json()
          : type.indexOf("text/") === 0 ? response.text() : response.blob();
        return read.then(function (data) {
          return {status: response.status, ok: response.ok, type: type, data: data};
        });
      });
  }

  // --- the schema: which template a path matches, what its operations answer --------------------

  function templateOf(path) {
    var bare = path.split("?")[0];
    var templates = Object.keys(spec.paths);
    for (var i = 0; i < templates.length; i++) {
      var pattern = templates[i].replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, "([^/]+)");
      if (new RegExp("^" + pattern + "$").test(bare)) return templates[i];
    }
    return null;
  }

  function successContent(operation) {
    var codes = Object.keys(operation.responses || {}).filter(function (c) { return c[0] === "2"; });
    for (var i = 0; i < codes.length; i++) {
      var content = (operation.responses[codes[i]] || {}).content;
      if (content) return Object.keys(content);
    }
    return [];
  }

  function answersJson(operation) { return successContent(operation).indexOf(JSON_TYPE) >= 0; }

  // An URL of this instance -> where a click should go: the demo page of an API path, else the
  // URL itself (media, downloads). Other strings are not links.
  function linkFor(value) {
    if (typeof value !== "string" || value.indexOf(appBase + "/") !== 0) return null;
    var path = value.slice(appBase.length);
    var template = templateOf(path);
    if (template) {
      var item = spec.paths[template];
      if (!item.get || answersJson(item.get)) return {href: demoBase + path, demo: true};
    }
    return {href: value, demo: false};
  }

  // --- drawing JSON -----------------------------------------------------------------------------

  function appendJson(parent, value, depth) {
    var pad = new Array(depth + 1).join("  ");
    if (Array.isArray(value)) {
      if (!value.length) { parent.append("[]"); return; }
      parent.append("[\n");
      value.forEach(function (item, i) {
        parent.append(pad + "  ");
        appendJson(parent, item, depth + 1);
        parent.append(i < value.length - 1 ? ",\n" : "\n");
      });
      parent.append(pad + "]");
    } else if (value !== null && typeof value === "object") {
      var keys = Object.keys(value);
      if (!keys.length) { parent.append("{}"); return; }
      parent.append("{\n");
      keys.forEach(function (key, i) {
        parent.append(pad + "  ", el("span", {"class": "json-key", text: JSON.stringify(key)}), ": ");
        appendJson(parent, value[key], depth + 1);
        parent.append(i < keys.length - 1 ? ",\n" : "\n");
      });
      parent.append(pad + "}");
    } else if (typeof value === "string") {
      var link = linkFor(value);
      var text = JSON.stringify(value);
      parent.append(link ? el("a", {href: link.href, "class": "json-link", target: link.demo ? null : "_blank"}, text)
                         : el("span", {"class": "json-string", text: text}));
    } else {
      parent.append(el("span", {"class": "json-" + (value === null ? "null" : typeof value),
                                text: JSON.stringify(value)}));
    }
  }

  function jsonBlock(value) {
    var pre = el("pre", {"class": "json"});
    appendJson(pre, value, 0);
    return pre;
  }

  function cell(row, key) {
    var value = row[key];
    if (key === "progress") {
      var number = Number(value) || 0;
      return el("td", {"class": "progress-cell"},
                el("progress", {max: "100", value: String(number)}), " " + number.toFixed(0) + "%");
    }
    if (key === "status") return el("td", {"class": "status status-" + value, text: String(value)});
    if (key === "id" && row.url) {
      var link = linkFor(row.url);
      return el("td", null, el("a", {href: link ? link.href : row.url, "class": "row-link", text: String(value)}));
    }
    if (key === "output" && value) return el("td", null, el("a", {href: value, target: "_blank", text: "output"}));
    return el("td", {text: value === null || value === undefined ? "" : typeof value === "object"
                       ? JSON.stringify(value) : String(value)});
  }

  var COLUMNS = ["id", "name", "title", "type", "export_type", "status", "progress", "output", "position",
                 "start", "end", "layer", "width", "height", "date_created"];

  function pageTable(page) {
    var rows = page.results;
    var columns = COLUMNS.filter(function (c) { return rows.some(function (r) { return c in r; }); });
    var table = el("table", {"class": "results", id: "results-table"},
      el("thead", null, el("tr", null, columns.map(function (c) { return el("th", {text: c}); })
        .reduce(function (f, n) { f.append(n); return f; }, document.createDocumentFragment()))));
    var body = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr", {"data-url": row.url || ""});
      columns.forEach(function (c) { tr.append(cell(row, c)); });
      body.append(tr);
    });
    table.append(body);
    var pager = el("p", {"class": "pager"}, page.count + " in all. ");
    [["previous", "« previous"], ["next", "next »"]].forEach(function (pair) {
      var link = page[pair[0]] && linkFor(page[pair[0]]);
      if (link) pager.append(el("a", {href: link.href, rel: pair[0], text: pair[1]}), " ");
    });
    return el("div", null, rows.length ? table : el("p", {text: "Nothing here yet."}), pager);
  }

  function isActive(data) {
    var items = data && Array.isArray(data.results) ? data.results : [data];
    return items.some(function (item) { return item && ACTIVE.indexOf(item.status) >= 0; });
  }

  function showResponse(target, method, path, response) {
    clear(target);
    target.append(el("p", {"class": "response-line " + (response.ok ? "ok" : "error")},
                      el("code", {text: method + " " + path}), " → " + response.status));
    var data = response.data;
    if (data instanceof Blob) {
      var url = URL.createObjectURL(data);
      target.append(response.type.indexOf("image/") === 0 ? el("img", {src: url, alt: path, "class": "preview"})
                    : el("a", {href: url, download: "", text: "Download (" + data.size + " bytes)"}));
    } else if (typeof data === "string") {
      target.append(el("pre", {"class": "text", text: data}));
    } else if (data !== null) {
      if (data && Array.isArray(data.results) && "count" in data) target.append(pageTable(data));
      target.append(jsonBlock(data));
    }
  }

  // --- the view of the path ---------------------------------------------------------------------

  function load() {
    var view = document.getElementById("demo-view");
    var template = templateOf(apiPath);
    window.clearTimeout(refreshTimer);
    if (!template) {
      clear(view).append(el("p", {"class": "error", text: "This path is not an endpoint of the API."}));
      return Promise.resolve(null);
    }
    var get = spec.paths[template].get;
    if (!get) {
      clear(view).append(el("p", {text: "This endpoint has no GET; use its form below."}));
      return Promise.resolve(null);
    }
    var kinds = successContent(get);
    var bare = apiPath.split("?")[0];
    if (!answersJson(get) && !kinds.some(function (k) { return k.indexOf("image/") === 0; })) {
      clear(view).append(el("p", null, "This endpoint answers with a file: ",
                                el("a", {href: appBase + apiPath, text: "download it"}), "."));
      return Promise.resolve(null);
    }
    return call("GET", apiPath).then(function (response) {
      showResponse(view, "GET", apiPath, response);
      shown = response.ok && !(response.data instanceof Blob) ? response.data : null;
      if (views && shown && typeof shown === "object") {
        try {
          views.show({template: template, apiPath: apiPath, data: shown});
        } catch (error) {  // the pictures are extra: the JSON and the forms must still work
          if (window.console) window.console.error("demo views:", error);
        }
      }
      if (response.ok && isActive(response.data)) {
        view.append(el("p", {"class": "refreshing", text: "A render is running: this view refreshes every 2 s."}));
        refreshTimer = window.setTimeout(load, REFRESH_MS);
      }
      root.dataset.loaded = bare;
      return response;
    });
  }

  function crumbs() {
    var nav = clear(document.getElementById("demo-crumbs"));
    var parts = apiPath.split("?")[0].split("/").filter(Boolean);
    nav.append(el("a", {href: demoBase + "/", text: "/"}));
    var path = "/";
    parts.forEach(function (part) {
      path += part + "/";
      var link = linkFor(appBase + path);
      nav.append(" ", link && link.demo ? el("a", {href: link.href, text: part + "/"}) : el("span", {text: part + "/"}));
    });
  }

  // --- forms --------------------------------------------------------------------------------------

  function requestSchema(operation) {
    var content = (operation.requestBody || {}).content || {};
    var multipart = content[MULTIPART] && deref(content[MULTIPART].schema);
    var hasFile = multipart && Object.keys(multipart.properties || {}).some(function (k) {
      return multipart.properties[k].format === "binary";
    });
    if (hasFile) return {schema: multipart, multipart: true};
    var json = content[JSON_TYPE] ? deref(content[JSON_TYPE].schema) : null;
    return json ? {schema: json, multipart: false} : null;
  }

  function isJsonField(prop) {
    if (prop.format === "json") return true;
    if (prop.type === "object") return true;
    if (prop.anyOf) return prop.anyOf.some(function (p) { return p.type === "object"; });
    return !prop.type && !prop.anyOf && !prop.enum;
  }

  function referenceOptions(kind, datalist) {
    call("GET", "/" + kind + "/").then(function (response) {
      ((response.data && response.data.results) || []).forEach(function (item) {
        var label = item.name || item.title || (item.json && item.json.name) || "";
        datalist.append(el("option", {value: item.url, text: label + " #" + item.id}));
      });
    });
  }

  function fieldFor(form, name, prop, required, current, mode) {
    prop = deref(prop);
    var id = form.id + "-" + name;
    var initial = mode === "update" ? current[name] : prop["default"];
    var input;
    if (prop.format === "binary") {
      input = el("input", {type: "file", name: name, id: id});
    } else if (prop.enum) {
      input = el("select", {name: name, id: id});
      if (!required || initial === undefined) input.append(el("option", {value: "", text: "—"}));
      prop.enum.forEach(function (v) {
        input.append(el("option", {value: String(v), text: String(v), selected: v === initial}));
      });
    } else if (prop.type === "boolean") {
      input = el("input", {type: "checkbox", name: name, id: id, checked: initial === true});
    } else if (isJsonField(prop)) {
      var text = initial === undefined || initial === null ? "" : typeof initial === "string" ? initial
        : JSON.stringify(initial, null, 2);
      input = el("textarea", {name: name, id: id, rows: String(Math.min(12, Math.max(2, text.split("\n").length))),
                              "data-json": "1"});
      input.value = text;
    } else if (prop.type === "integer" || prop.type === "number") {
      input = el("input", {type: "number", name: name, id: id, step: prop.type === "integer" ? "1" : "any",
                           min: prop.minimum, max: prop.maximum});
      if (initial !== undefined && initial !== null) input.value = String(initial);
    } else {
      input = el("input", {type: "text", name: name, id: id});
      if (initial !== undefined && initial !== null) input.value = String(initial);
      if (prop["x-reference"]) {
        var list = el("datalist", {id: id + "-options"});
        input.setAttribute("list", list.id);
        form.append(list);
        referenceOptions(prop["x-reference"], list);
      }
    }
    if (required && prop.type !== "boolean" && prop.format !== "binary") input.required = true;
    input.dataset.kind = prop.type || (isJsonField(prop) ? "json" : "string");
    input.dataset.initial = input.type === "checkbox" ? String(input.checked) : input.value;
    var label = el("label", {"for": id}, name + (required ? " *" : ""));
    var hint = prop.description ? el("small", {text: prop.description}) : null;
    return el("div", {"class": "field"}, label, input, hint);
  }

  function collect(form, mode) {
    var values = {}, files = false;
    Array.prototype.forEach.call(form.querySelectorAll("input[name], select[name], textarea[name]"), function (input) {
      var raw = input.type === "checkbox" ? String(input.checked) : input.value;
      if (mode === "update" && input.type !== "file" && raw === input.dataset.initial) return;
      if (input.type === "file") {
        if (input.files.length) { values[input.name] = input.files[0]; files = true; }
      } else if (input.type === "checkbox") {
        values[input.name] = input.checked;
      } else if (raw.trim() === "") {
        if (mode === "update") values[input.name] = null;
      } else if (input.dataset.kind === "integer" || input.dataset.kind === "number") {
        values[input.name] = Number(raw);
      } else if (input.dataset.json) {
        try { values[input.name] = JSON.parse(raw); } catch (e) { values[input.name] = raw; }
      } else {
        values[input.name] = raw;
      }
    });
    if (!files) return values;
    var data = new FormData();
    Object.keys(values).forEach(function (key) {
      var v = values[key];
      data.append(key, v instanceof File ? v : typeof v === "object" ? JSON.stringify(v) : String(v));
    });
    return data;
  }

  function operationForm(method, operation, current) {
    var mode = method === "PATCH" ? "update" : method === "PUT" ? "replace" : "create";
    var formId = "form-" + method.toLowerCase();
    var form = el("form", {id: formId, "class": "op-form", "data-method": method});
    var body = requestSchema(operation);
    var props = body ? body.schema.properties || {} : {};
    var required = body ? body.schema.required || [] : [];
    Object.keys(props).forEach(function (name) {
      form.append(fieldFor(form, name, props[name], required.indexOf(name) >= 0, current || {}, mode));
    });
    var label = {POST: "Send POST", PATCH: "Save changes (PATCH)", DELETE: "Delete"}[method];
    form.append(el("button", {type: "submit", "class": "op-submit", text: label}));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (method === "DELETE" && !window.confirm("Delete " + apiPath + "?")) return;
      var payload = method === "DELETE" ? undefined : collect(form, mode);
      var result = document.getElementById("demo-result");
      call(method, apiPath, payload).then(function (response) {
        showResponse(result, method, apiPath, response);
        if (response.ok && method === "DELETE") {
          var parent = apiPath.split("?")[0].replace(/[^/]+\/$/, "");
          window.location.assign(demoBase + parent);
        } else if (response.ok) {
          load().then(function () { renderForms(); });
        }
      }, function (error) {
        clear(result).append(el("p", {"class": "error", text: String(error)}));
      });
    });
    return el("section", {"class": "op op-" + method.toLowerCase()},
              el("h2", null, el("span", {"class": "method method-" + method.toLowerCase(), text: method}),
                 " " + (operation.summary || "")),
              operation.description ? el("p", {text: operation.description}) : null, form);
  }

  function queryForm(operation) {
    var params = (operation.parameters || []).filter(function (p) { return p.in === "query" && p.name !== "page"; });
    if (!params.length) return null;
    var form = el("form", {id: "form-get", "class": "op-form", method: "get", action: demoBase + apiPath.split("?")[0]});
    var query = new URLSearchParams(apiPath.split("?")[1] || "");
    params.forEach(function (p) {
      var current = {};
      if (query.has(p.name)) current[p.name] = query.get(p.name);
      var field = fieldFor(form, p.name, p.schema || {}, false, current, query.has(p.name) ? "update" : "create");
      form.append(field);
    });
    form.append(el("button", {type: "submit", text: "GET with these parameters"}));
    return el("section", {"class": "op op-get"}, el("h2", {text: "Query parameters"}), form);
  }

  function renderForms() {
    var holder = clear(document.getElementById("demo-forms"));
    var template = templateOf(apiPath);
    if (!template) return;
    var item = spec.paths[template];
    if (item.get) {
      var query = queryForm(item.get);
      if (query) holder.append(query);
    }
    // PATCH edits one object: the one shown, not a list.
    var current = shown && typeof shown === "object" && !Array.isArray(shown) && !("results" in shown) ? shown : null;
    ["POST", "PATCH", "DELETE"].forEach(function (method) {
      var operation = item[method.toLowerCase()];
      if (!operation || (method === "PATCH" && !current)) return;
      holder.append(operationForm(method, operation, current));
    });
  }

  function start() {
    fetch(root.dataset.specUrl, {headers: {Accept: JSON_TYPE}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (document_) {
        spec = document_;
        if (views) {
          views.init({el: el, clear: clear, call: call, appBase: appBase, demoBase: demoBase, csrfToken: csrfToken,
                      reload: function () { return load().then(function () { renderForms(); }); }},
                     document.getElementById("demo-visual"));
        }
        crumbs();
        return load();
      })
      .then(function () {
        renderForms();
        root.dataset.ready = "1";
      })
      .catch(function (error) {
        document.getElementById("demo-view").append(el("p", {"class": "error", text: "The demo failed: " + error}));
      });
  }

  start();
})();

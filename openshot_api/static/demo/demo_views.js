/* The demo's pictures of what the JSON describes, above the JSON of the page:
 * - a project: its timeline (one row per layer, top layer on top, a ruler in seconds and frames,
 *   clips with their file's name and a thumbnail at their start, effects on their own row), a
 *   scrubber that shows the frame an export would show, a render button with common presets, its
 *   exports with live progress and their output inline, and a drop zone that uploads media;
 * - a clip or an effect: a curve for every animated keyframe (demo_curves.js), and for clips the
 *   preset and keyframe forms that change them;
 * - files: their thumbnail and a player; exports: progress while they render, then the output
 *   (video, audio, picture, the frames of an image sequence) or the error.
 * Everything goes through the JSON API as the signed-in user (demo.js's call(): the session
 * cookie, and the CSRF token on unsafe methods). API data is inserted as text, never as markup.
 * Exposes window.OpenShotDemoViews = {init, show}; demo.js calls show() after each GET. */
(function () {
  "use strict";

  var curves = window.OpenShotDemoCurves;
  var api = null, holder = null, current = null, el = null, clear = null;
  var ACTIVE = ["pending", "in-progress", "cancel"];
  var POLL_MS = 1000;            // an export's own JSON, while it renders
  var SCRUB_DELAY_MS = 250;      // the scrubber asks for a frame once the slider rests this long
  var LABEL_PX = 110;            // the timeline's row labels
  var THUMB_WIDTH = 96;          // clip thumbnails on the timeline
  var PREVIEW_WIDTH = 320;       // the scrubber's frame
  var WEB_IMAGES = {png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", bmp: "image/bmp"};
  var PROPERTY_ORDER = ["alpha", "scale_x", "scale_y", "location_x", "location_y", "rotation", "shear_x",
                        "shear_y", "origin_x", "origin_y", "volume", "time"];

  // Common exports; the form shows every field, so any preset can be changed before it is sent.
  // Sizes keep the project's shape at the preset's height (gif: its width).
  var RENDER_PRESETS = [
    {id: "mp4-1080p", label: "MP4 1080p (H.264 + AAC)", height: 1080,
     fields: {export_type: "video", video_format: "mp4", video_codec: "libx264", audio_codec: "aac",
              video_bitrate: "crf 23", audio_bitrate: "192000"}},
    {id: "webm-720p", label: "WebM 720p (VP8 + Vorbis)", height: 720,
     fields: {export_type: "video", video_format: "webm", video_codec: "libvpx", audio_codec: "libvorbis",
              video_bitrate: "4000000", audio_bitrate: "128000"}},
    {id: "gif", label: "Animated GIF (480 px wide)", width: 480,
     fields: {export_type: "video", video_format: "gif", video_codec: "gif", audio_codec: "",
              video_bitrate: "", audio_bitrate: ""}},
    {id: "mp3", label: "MP3 audio (192 kb/s)", audioOnly: true,
     fields: {export_type: "audio", video_format: "mp3", video_codec: "", audio_codec: "libmp3lame",
              video_bitrate: "", audio_bitrate: "192000"}},
    {id: "waveform", label: "Waveform picture (PNG)", size: [1280, 240],
     fields: {export_type: "waveform", video_format: "png", video_codec: "", audio_codec: "",
              video_bitrate: "", audio_bitrate: ""},
     json: {wave_color: "#2f6fb2", wave_background_color: "#ffffff"}}
  ];
  var RENDER_FIELDS = ["video_format", "video_codec", "audio_codec", "video_bitrate", "audio_bitrate"];

  // --- helpers ------------------------------------------------------------------------------------

  // An URL of this instance as a path the API helpers take, else null.
  function pathOf(url) {
    return typeof url === "string" && url.indexOf(api.appBase + "/") === 0 ? url.slice(api.appBase.length) : null;
  }

  function demoHref(url) { var path = pathOf(url); return path ? api.demoBase + path : url; }

  function detailOf(response) {
    var data = response.data;
    return (data && typeof data === "object" && data.detail) || (typeof data === "string" && data.slice(0, 200))
      || "HTTP " + response.status;
  }

  function checked(response) {
    if (!response.ok) throw new Error(detailOf(response));
    return response.data;
  }

  // Every item of a paginated list (``next`` links followed, at most ``pages`` pages).
  function getAll(path, pages) {
    var items = [];
    function page(at, count) {
      return api.call("GET", at).then(checked).then(function (data) {
        items = items.concat(data.results || []);
        var next = data.next && pathOf(data.next);
        return next && count < (pages || 50) ? page(next, count + 1) : items;
      });
    }
    return page(path, 1);
  }

  function number(value, fallback) {
    var n = Number(value);
    return value !== null && value !== "" && isFinite(n) ? n : fallback;
  }

  function fpsOf(rate, fallback) {
    var value = rate && number(rate.num, 0) / number(rate.den, 1);
    return value > 0 && isFinite(value) ? value : fallback;
  }

  function even(value) { return Math.max(2, Math.round(value / 2) * 2); }

  function seconds(value) { return (Math.round(value * 100) / 100).toFixed(2) + " s"; }

  function note(text, kind) { return el("p", {"class": "note" + (kind ? " " + kind : ""), text: text}); }

  function heading(text) { return el("h2", {"class": "visual-heading", text: text}); }

  function failure(box) {
    return function (error) { box.append(note(String(error && error.message || error), "error")); };
  }

  // --- files ----------------------------------------------------------------------------------------

  function mediaKind(info) {
    if (info.has_single_image || info.media_type === "image") return "image";
    if (info.media_type === "video" || info.media_type === "audio") return info.media_type;
    if (info.has_video) return "video";
    return info.has_audio ? "audio" : "other";
  }

  function fileName(file) {
    var info = (file && file.json) || {};
    return String(info.name || info.path || ("file " + (file && file.id)));
  }

  // The thumbnail endpoint's URL for ``frame`` of a file at ``width`` (its own shape), or null
  // for files without pictures.
  function fileThumbnail(file, frame, width) {
    var info = file.json || {};
    var kind = mediaKind(info);
    if (kind !== "video" && kind !== "image") return null;
    var height = Math.max(1, Math.round(width * number(info.height, 9) / number(info.width, 16)));
    var frames = Math.floor(number(info.video_length, 0));
    var at = kind === "image" ? 1 : Math.max(1, frames ? Math.min(frame, frames) : frame);
    return api.appBase + pathOf(file.url) + "thumbnail/?frame_number=" + at + "&width=" + width + "&height=" +
      height + "&image_format=JPG&image_quality=80";
  }

  // The owner's own download URL: same origin whatever the storage, so the page's CSP holds.
  function downloadOf(item) { return api.appBase + pathOf(item.url) + "download/"; }

  function player(kind, src, label, poster) {
    if (kind === "video") {
      return el("video", {"class": "player", controls: true, preload: "metadata", playsinline: true, src: src,
                          poster: poster, "aria-label": label});
    }
    if (kind === "audio") {
      return el("audio", {"class": "player", controls: true, preload: "metadata", src: src, "aria-label": label});
    }
    if (kind === "image") return el("img", {"class": "player-image", src: src, alt: label});
    return null;
  }

  function fileCard(file, compact) {
    var info = file.json || {};
    var kind = mediaKind(info);
    var middle = Math.max(1, Math.floor(number(info.video_length, 2) / 2));
    var thumb = fileThumbnail(file, middle, compact ? 160 : PREVIEW_WIDTH);
    var facts = [kind];
    if (number(info.duration, 0) && kind !== "image") facts.push(seconds(number(info.duration, 0)));
    if (info.width && info.height) facts.push(info.width + "×" + info.height);
    if (kind === "video" && fpsOf(info.fps, 0)) facts.push(Math.round(fpsOf(info.fps, 0) * 100) / 100 + " fps");
    if (info.has_audio && info.sample_rate) facts.push(info.sample_rate + " Hz × " + (info.channels || "?"));
    var card = el("article", {"class": "file-card" + (compact ? " compact" : ""), "data-file-id": String(file.id),
                              "data-kind": kind},
      el("h3", null, el("a", {href: demoHref(file.url), text: fileName(file)})),
      el("p", {"class": "facts", text: facts.join(" · ")}));
    var row = el("div", {"class": "file-media"});
    // In lists a video's thumbnail is its poster and nothing loads until it is played.
    if (thumb && !(compact && kind === "video")) {
      row.append(el("figure", {"class": "file-thumb"},
                    el("img", {src: thumb, alt: "Thumbnail of " + fileName(file), loading: "lazy"}),
                    el("figcaption", {text: kind === "image" ? "thumbnail" : "thumbnail, frame " + middle})));
    }
    var media = compact && kind === "image" ? null
      : player(kind, downloadOf(file), fileName(file), compact ? thumb : null);
    if (media) {
      if (compact) media.setAttribute("preload", "none");
      row.append(media);
    } else if (kind !== "image") {
      row.append(note("No picture or sound a browser can play."));
    }
    card.append(row);
    return card;
  }

  function fileView(node, file) {
    node.append(heading("Media"), fileCard(file, false));
  }

  function fileListView(node, page, context) {
    var grid = el("div", {"class": "file-grid", id: "file-grid"});
    node.append(heading("Media"));
    var project = /^\/projects\/(\d+)\/files\/$/.exec(context.apiPath.split("?")[0]);
    if (project) {
      node.append(dropZone(api.appBase + "/projects/" + project[1] + "/", function () { api.reload(); }));
    }
    node.append(grid);
    function update(data) {
      clear(grid);
      (data.results || []).forEach(function (file) { grid.append(fileCard(file, true)); });
      if (!(data.results || []).length) grid.append(note("No files here yet."));
    }
    update(page);
    return update;
  }

  // --- uploads ----------------------------------------------------------------------------------

  /* A drop zone (and a file input for keyboards) that uploads each file as the API takes it: a
   * multipart POST /files/ with ``media`` and the ``project`` URL, by XMLHttpRequest so its upload
   * progress can be shown. ``uploaded(file, item)`` runs for each file the API stored. */
  function dropZone(projectUrl, uploaded) {
    var input = el("input", {type: "file", id: "upload-input", multiple: true});
    var list = el("ul", {"class": "uploads", id: "upload-list"});
    var zone = el("div", {"class": "drop-zone", id: "upload-drop"},
      el("p", null, "Drop video, audio or image files here to upload them to this project, or ",
         el("label", {"for": "upload-input", "class": "pick", text: "choose files"}), "."),
      input);
    function send(files) {
      Array.prototype.forEach.call(files, function (file) { upload(file, projectUrl, list, uploaded); });
    }
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("over");
      if (event.dataTransfer && event.dataTransfer.files.length) send(event.dataTransfer.files);
    });
    input.addEventListener("change", function () { send(input.files); input.value = ""; });
    return el("div", {"class": "uploader"}, zone, list);
  }

  function upload(file, projectUrl, list, uploaded) {
    var bar = el("progress", {"class": "upload-progress", max: "100", value: "0"});
    var status = el("span", {"class": "upload-status", text: "uploading…"});
    var item = el("li", {"class": "upload-item"}, el("strong", {text: file.name}), " ", bar, " ", status);
    list.append(item);
    var form = new FormData();
    form.append("project", projectUrl);
    form.append("json", "{}");
    form.append("media", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", api.appBase + "/files/");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", api.csrfToken);
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      bar.value = Math.round(event.loaded / event.total * 100);
      status.textContent = bar.value < 100 ? bar.value + "%" : "probing…";
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 201 && data) {
        bar.value = 100;
        item.classList.add("done");
        item.dataset.fileId = String(data.id);
        clear(status).append("stored as ", el("a", {href: demoHref(data.url), text: fileName(data)}));
        if (uploaded) uploaded(data, item);
      } else {
        item.classList.add("failed");
        status.textContent = "failed (" + xhr.status + "): " + ((data && data.detail) || xhr.statusText);
      }
    });
    xhr.addEventListener("error", function () {
      item.classList.add("failed");
      status.textContent = "failed: the connection broke";
    });
    xhr.send(form);
  }

  // --- exports ----------------------------------------------------------------------------------

  function extension(format) { return String(format || "").toLowerCase().replace(/^.*\./, ""); }

  function exportOutput(item) {
    var src = downloadOf(item);
    var ext = extension(item.video_format);
    var label = "Export " + item.id;
    var box = el("div", {"class": "export-output"});
    if (item.export_type === "image sequence") {
      box.append(sequenceView(src));
    } else if (item.export_type === "audio") {
      box.append(player("audio", src, label));
    } else if (WEB_IMAGES[ext]) {
      box.append(player("image", src, label));  // image and waveform pictures, gifs
    } else if (item.export_type === "image") {
      box.append(note("Browsers cannot show ." + ext + " pictures; download it."));
    } else {
      box.append(player("video", src, label));
    }
    box.append(el("a", {href: src, "class": "download", download: "", text: "Download"}));
    return box;
  }

  /* One export: status, a progress bar, then its output or error. ``card.update(json)`` redraws
   * it; with ``poll`` it reads its own JSON every second while it renders. */
  function exportCard(item, poll) {
    var status = el("span", {"class": "export-status"});
    var bar = el("progress", {"class": "export-progress", max: "100", value: "0"});
    var percent = el("span", {"class": "export-percent"});
    var body = el("div", {"class": "export-body"});
    var actions = el("span", {"class": "export-actions"});
    var card = el("article", {"class": "export-card", "data-export-id": String(item.id)},
      el("h3", null, el("a", {href: demoHref(item.url), text: "Export " + item.id}), " ",
         el("span", {"class": "facts", text: item.export_type + " · " + item.video_format +
                                               " · frames " + item.start_frame + "–" + (item.end_frame || "end")})),
      el("p", {"class": "export-state"}, status, " ", bar, " ", percent, " ", actions), body);
    var shownOutput = null;

    function act(name, label) {
      return el("button", {type: "button", "class": "export-" + name, text: label, onclick: function () {
        api.call("POST", pathOf(item.url) + name + "/").then(function (response) {
          if (!response.ok) { body.append(note(detailOf(response), "error")); return; }
          card.update(response.data);
          if (poll) watch();
          else api.reload();  // demo.js refreshes its page again while the export is active
        });
      }});
    }

    card.update = function (data) {
      item = data;
      card.dataset.status = data.status;
      status.className = "export-status status-" + data.status;
      status.textContent = data.status;
      var value = Math.max(0, Math.min(100, number(data.progress, 0)));
      bar.value = value;
      percent.textContent = value.toFixed(0) + "%";
      clear(actions);
      if (ACTIVE.indexOf(data.status) >= 0 && data.status !== "cancel") actions.append(act("cancel", "Cancel"));
      if (data.status === "failed") actions.append(act("retry", "Retry"));
      var key = data.status === "completed" ? data.status + " " + data.output : data.status;
      if (key === shownOutput) return;
      shownOutput = key;  // the player is made once, so a refresh does not stop it playing
      clear(body);
      if (data.status === "completed") body.append(exportOutput(data));
      if (data.status === "failed") {
        body.append(el("p", {"class": "export-error", text: (data.json && data.json.error) || "The render failed."}));
      }
    };

    var watching = false;
    function watch() {
      if (watching) return;  // one loop per card, however often it is asked for
      watching = true;
      (function next() {
        window.setTimeout(function () {
          if (!card.isConnected) { watching = false; return; }  // its page was redrawn or left
          api.call("GET", pathOf(item.url)).then(function (response) {
            if (response.ok) card.update(response.data);
            // A busy or unreachable server is asked again; a gone export is not.
            if (response.status >= 500 || (response.ok && ACTIVE.indexOf(response.data.status) >= 0)) next();
            else watching = false;
          }, next);
        }, POLL_MS);
      })();
    }

    card.update(item);
    if (poll && ACTIVE.indexOf(item.status) >= 0) watch();
    return card;
  }

  function exportView(node, item) {
    var card = exportCard(item, false);  // demo.js refreshes this page while it renders
    node.append(heading("Render"), card);
    return function (data) { card.update(data); };
  }

  function exportListView(node, page) {
    var grid = el("div", {"class": "export-cards", id: "export-cards"});
    var cards = {}, order = "";
    node.append(heading("Renders"), grid);
    function update(data) {
      var results = data.results || [];
      var ids = results.map(function (e) { return e.id; }).join(",");
      if (ids !== order) {
        order = ids;
        cards = {};
        clear(grid);
        results.forEach(function (e) { cards[e.id] = exportCard(e, false); grid.append(cards[e.id]); });
        if (!results.length) grid.append(note("No exports here yet."));
      } else {
        results.forEach(function (e) { cards[e.id].update(e); });
      }
    }
    update(page);
    return update;
  }

  // The frames of an image sequence's zip, read in the browser: the zip's central directory
  // lists them; PNG and JPEG members are stored, others deflated (DecompressionStream).
  function zipEntries(buffer) {
    var view = new DataView(buffer), size = buffer.byteLength, end = -1;
    for (var i = size - 22; i >= Math.max(0, size - 65557); i--) {
      if (view.getUint32(i, true) === 0x06054b50) { end = i; break; }
    }
    if (end < 0) throw new Error("This is not a zip file.");
    var count = view.getUint16(end + 10, true), at = view.getUint32(end + 16, true);
    if (count === 0xffff || at === 0xffffffff) throw new Error("The zip is too large to list here; download it.");
    var decoder = new TextDecoder(), entries = [];
    for (var n = 0; n < count; n++) {
      if (view.getUint32(at, true) !== 0x02014b50) throw new Error("The zip's directory is damaged.");
      var nameLength = view.getUint16(at + 28, true);
      var local = view.getUint32(at + 42, true);
      entries.push({name: decoder.decode(new Uint8Array(buffer, at + 46, nameLength)),
                    method: view.getUint16(at + 10, true), compressed: view.getUint32(at + 20, true),
                    data: local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true)});
      at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    }
    return entries;
  }

  function memberImage(buffer, entry) {
    var type = WEB_IMAGES[extension(entry.name)];
    if (!type) return Promise.resolve(null);
    var raw = new Blob([new Uint8Array(buffer, entry.data, entry.compressed)]);
    if (entry.method === 0) return Promise.resolve(URL.createObjectURL(new Blob([raw], {type: type})));
    if (entry.method !== 8 || !window.DecompressionStream) return Promise.resolve(null);
    return new Response(raw.stream().pipeThrough(new DecompressionStream("deflate-raw"))).blob()
      .then(function (blob) { return URL.createObjectURL(new Blob([blob], {type: type})); });
  }

  function sequenceView(src) {
    var box = el("div", {"class": "sequence"}, note("Reading the frames…"));
    var SHOWN = 24;
    fetch(src, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.arrayBuffer();
    }).then(function (buffer) {
      var entries = zipEntries(buffer);
      var list = el("ol", {"class": "frame-list"});
      clear(box).append(note(entries.length + " frame" + (entries.length === 1 ? "" : "s") + " in the zip" +
                             (entries.length > SHOWN ? " (the first " + SHOWN + " shown)" : "") + ":"), list);
      entries.forEach(function (entry, index) {
        var item = el("li", {"class": "frame", "data-name": entry.name}, el("span", {text: entry.name}));
        list.append(item);
        if (index < SHOWN) {
          memberImage(buffer, entry).then(function (url) {
            if (url) item.prepend(el("img", {src: url, alt: entry.name}));
          });
        }
      });
    }).catch(function (error) { clear(box).append(note("The frames could not be read: " + error.message, "error")); });
    return box;
  }

  // --- the render form ----------------------------------------------------------------------------

  function renderForm(project, lastFrame, created) {
    var form = el("form", {"class": "render-form", id: "render-form"});
    var preset = el("select", {id: "render-preset"});
    RENDER_PRESETS.forEach(function (p) { preset.append(el("option", {value: p.id, text: p.label})); });
    var inputs = {};
    function field(name, label, attrs) {
      inputs[name] = el("input", Object.assign({id: "render-" + name, name: name}, attrs));
      return el("label", {"class": "render-field"}, label + " ", inputs[name]);
    }
    var message = el("p", {"class": "render-message", id: "render-message", "aria-live": "polite"});
    var advanced = el("details", {"class": "render-advanced"}, el("summary", {text: "Formats, codecs and bit rates"}));
    RENDER_FIELDS.forEach(function (name) { advanced.append(field(name, name, {type: "text"})); });
    form.append(
      el("label", {"class": "render-field"}, "Preset ", preset),
      field("width", "width", {type: "number", min: "2", step: "2"}),
      field("height", "height", {type: "number", min: "2", step: "2"}),
      field("start_frame", "from frame", {type: "number", min: "1", step: "1", value: "1"}),
      field("end_frame", "to frame", {type: "number", min: "1", step: "1", placeholder: lastFrame + " (end)"}),
      el("button", {type: "submit", id: "render-submit", "class": "primary", text: "Render this project"}),
      advanced, message);
    var exportType = "video";

    function choose() {
      var p = RENDER_PRESETS.filter(function (x) { return x.id === preset.value; })[0];
      exportType = p.fields.export_type;
      RENDER_FIELDS.forEach(function (name) { inputs[name].value = p.fields[name]; });
      var width = project.width, height = project.height;
      if (p.height) { height = p.height; width = even(p.height * project.width / project.height); }
      if (p.width) { width = p.width; height = even(p.width * project.height / project.width); }
      if (p.size) { width = p.size[0]; height = p.size[1]; }
      inputs.width.value = p.audioOnly ? "" : String(even(width));
      inputs.height.value = p.audioOnly ? "" : String(even(height));
      inputs.width.disabled = inputs.height.disabled = !!p.audioOnly;
      form.dataset.json = JSON.stringify(p.json || {});
    }
    preset.addEventListener("change", choose);
    choose();

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {project: project.url, export_type: exportType};
      RENDER_FIELDS.concat(["start_frame", "end_frame"]).forEach(function (name) {
        var value = inputs[name].value.trim();
        // A blank codec is the format's own default (the API's would be libx264 / ac3); other
        // blank fields take the API's default.
        if (value === "" && !/_codec$/.test(name)) return;
        body[name] = inputs[name].type === "number" ? Number(value) : value;
      });
      var json = JSON.parse(form.dataset.json || "{}");
      if (!inputs.width.disabled && inputs.width.value) json.width = Number(inputs.width.value);
      if (!inputs.height.disabled && inputs.height.value) json.height = Number(inputs.height.value);
      body.json = json;
      message.className = "render-message";
      message.textContent = "Queuing the render…";
      api.call("POST", "/exports/", body).then(function (response) {
        if (!response.ok) {
          message.className = "render-message error";
          message.textContent = "The render was refused (" + response.status + "): " + detailOf(response);
          return;
        }
        message.textContent = "Export " + response.data.id + " queued.";
        created(response.data);
      }, function (error) {
        message.className = "render-message error";
        message.textContent = String(error);
      });
    });
    return form;
  }

  // --- the project: timeline, scrubber, render, exports, uploads ---------------------------------

  function rulerStep(pps, fps) {
    var steps = [1 / fps, 2 / fps, 5 / fps, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    for (var i = 0; i < steps.length; i++) if (steps[i] * pps >= 72) return steps[i];
    return steps[steps.length - 1];
  }

  function timeLabel(t) {
    if (t < 60) return (Math.round(t * 100) / 100) + " s";
    var m = Math.floor(t / 60), s = Math.round((t - m * 60) * 10) / 10;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function isAnimated(json) {
    return Object.keys(json || {}).some(function (key) {
      var value = json[key];
      return value && typeof value === "object" && Array.isArray(value.Points) && curves.animated(value);
    });
  }

  /* The timeline: rows of absolutely placed blocks, ``pps`` pixels per second (data-pps on
   * #timeline): a clip at ``position`` lasting ``end - start`` seconds is ``position * pps`` from
   * its track's left edge and ``(end - start) * pps`` wide. */
  function timelineView(box, project, clips, effects, files, seek) {
    var fps = number(project.fps_num, 30) / number(project.fps_den, 1);
    var byUrl = {};
    files.forEach(function (f) { byUrl[f.url] = f; });
    var length = 0;
    clips.concat(effects).forEach(function (item) {
      length = Math.max(length, item.position + item.end - item.start);
    });
    var layers = [];
    clips.forEach(function (c) { if (layers.indexOf(c.layer) < 0) layers.push(c.layer); });
    layers.sort(function (a, b) { return b - a; });  // libopenshot draws higher layers over lower ones

    var zoom = 1;
    var timeline = el("div", {"class": "timeline", id: "timeline", "data-fps": String(fps),
                              "data-length": String(length)});
    var inner = el("div", {"class": "tl-inner"});
    var ruler = el("div", {"class": "tl-track tl-ruler", title: "Click to show this time in the preview"});
    inner.append(el("div", {"class": "tl-row tl-ruler-row"},
                    el("div", {"class": "tl-label", text: "seconds · frame"}), ruler));
    var blocks = [];
    layers.forEach(function (layer) {
      var track = el("div", {"class": "tl-track"});
      inner.append(el("div", {"class": "tl-row", "data-layer": String(layer)},
                      el("div", {"class": "tl-label", text: "Layer " + layer}), track));
      clips.filter(function (c) { return c.layer === layer; }).forEach(function (clip) {
        var file = byUrl[clip.file];
        var name = file ? fileName(file) : "file " + String(clip.file).replace(/\/$/, "").split("/").pop();
        var block = el("a", {"class": "tl-clip", href: demoHref(clip.url), "data-clip-id": String(clip.id),
                             "data-layer": String(clip.layer), "data-position": String(clip.position),
                             "data-start": String(clip.start), "data-end": String(clip.end),
                             title: name + ": at " + seconds(clip.position) + " for " + seconds(clip.end - clip.start) +
                                    " (" + seconds(clip.start) + "–" + seconds(clip.end) + " of the file)"});
        var info = (file && file.json) || {};
        var thumb = file && fileThumbnail(file, Math.round(clip.start * fpsOf(info.fps, fps)) + 1, THUMB_WIDTH);
        if (thumb) {
          // Its size is known before it loads (the file's shape), so the block does not jump.
          var thumbHeight = Math.max(1, Math.round(THUMB_WIDTH * number(info.height, 9) / number(info.width, 16)));
          block.append(el("img", {"class": "tl-thumb", src: thumb, alt: "", width: String(THUMB_WIDTH),
                                  height: String(thumbHeight)}));
        } else if (file && mediaKind(info) === "audio") {
          block.append(el("span", {"class": "tl-audio", text: "♪"}));
        }
        block.append(el("span", {"class": "tl-name", text: name}));
        if (isAnimated(clip.json)) block.append(el("span", {"class": "tl-keys", title: "animated", text: "◆"}));
        track.append(block);
        blocks.push({node: block, item: clip});
      });
    });
    if (effects.length) {
      var track = el("div", {"class": "tl-track"});
      inner.append(el("div", {"class": "tl-row tl-effects", "data-layer": "effects"},
                      el("div", {"class": "tl-label", text: "Effects"}), track));
      effects.forEach(function (effect) {
        var block = el("a", {"class": "tl-effect", href: demoHref(effect.url), "data-effect-id": String(effect.id),
                             title: effect.type + " on layer " + effect.layer + ": at " + seconds(effect.position) +
                                    " for " + seconds(effect.end - effect.start)},
                       el("span", {"class": "tl-name",
                                   text: (effect.title || effect.type) + " · layer " + effect.layer}));
        track.append(block);
        blocks.push({node: block, item: effect});
      });
    }
    var playhead = el("div", {"class": "tl-playhead", id: "tl-playhead"});
    inner.append(playhead);
    timeline.append(inner);
    var tools = el("div", {"class": "tl-tools"},
      el("span", {text: project.width + "×" + project.height + " · " + (Math.round(fps * 1000) / 1000) + " fps · " +
                        seconds(length) + " (" + Math.floor(length * fps + 1e-6) + " frames)"}),
      el("button", {type: "button", id: "tl-zoom-out", text: "−", title: "Zoom out",
                    onclick: function () { zoom = Math.max(1, zoom / 2); layout(); }}),
      el("button", {type: "button", id: "tl-zoom-in", text: "+", title: "Zoom in",
                    onclick: function () { zoom = Math.min(256, zoom * 2); layout(); }}));
    box.append(tools, timeline);
    var now = 0, pps = 1;

    function layout() {
      var available = Math.max(200, timeline.clientWidth - LABEL_PX - 24);
      pps = available / Math.max(length, 1 / fps) * zoom;
      timeline.dataset.pps = String(pps);
      var width = length * pps;
      inner.style.width = (LABEL_PX + width + 24) + "px";
      Array.prototype.forEach.call(inner.querySelectorAll(".tl-track"), function (t) { t.style.width = width + "px"; });
      blocks.forEach(function (b) {
        b.node.style.left = (b.item.position * pps) + "px";
        b.node.style.width = ((b.item.end - b.item.start) * pps) + "px";
      });
      clear(ruler);
      var step = rulerStep(pps, fps);
      for (var k = 0; k * step <= length + 1e-9; k++) {
        var t = k * step;
        var tick = el("span", {"class": "tl-tick"}, el("span", {"class": "tl-sec", text: timeLabel(t)}),
                      el("span", {"class": "tl-frame", text: "f" + (Math.round(t * fps) + 1)}));
        tick.style.left = (t * pps) + "px";
        ruler.append(tick);
      }
      place(now);
    }

    function place(t) {
      now = t;
      playhead.style.left = (LABEL_PX + t * pps) + "px";
    }

    ruler.addEventListener("click", function (event) {
      var t = (event.clientX - ruler.getBoundingClientRect().left) / pps;
      seek(Math.max(1, Math.min(Math.floor(length * fps + 1e-6), Math.round(t * fps) + 1)));
    });
    window.addEventListener("resize", function () { if (timeline.isConnected) layout(); });
    layout();
    return {place: place, length: length};
  }

  /* A slider over the project's frames and the frame it shows, from the project's thumbnail
   * endpoint (small, debounced; answers that come after a newer request are dropped). */
  function scrubberView(box, project, lastFrame, moved) {
    var fps = number(project.fps_num, 30) / number(project.fps_den, 1);
    // At most PREVIEW_WIDTH wide and as high, in the project's shape.
    var scale = PREVIEW_WIDTH / Math.max(project.width, project.height);
    var width = Math.max(2, Math.round(project.width * scale));
    var height = Math.max(2, Math.round(project.height * scale));
    var image = el("img", {id: "scrubber-preview", "class": "scrub-preview", width: String(width),
                           height: String(height), alt: "The project's frame at the scrubber's time", hidden: true});
    var frameBox = el("div", {"class": "scrub-frame"}, image);
    frameBox.style.width = width + "px";
    frameBox.style.height = height + "px";
    var slider = el("input", {type: "range", id: "scrubber", min: "1", max: String(lastFrame), step: "1", value: "1",
                              "aria-label": "Time in the project (frames)"});
    var label = el("output", {id: "scrubber-label", "for": "scrubber"});
    var status = el("span", {"class": "scrub-status", id: "scrubber-status"});
    box.append(el("div", {"class": "scrubber"}, frameBox,
                  el("div", {"class": "scrub-controls"}, el("p", {text: "What an export shows at:"}), slider,
                     el("p", null, label, " ", status))));
    var timer = null, asked = 0, objectUrl = null, pending = null;
    image.addEventListener("load", function () {
      image.hidden = false;
      if (pending !== null) image.dataset.frame = String(pending);
    });

    function fetchFrame(frame) {
      var mine = ++asked;
      status.textContent = "rendering…";
      fetch(api.appBase + "/projects/" + project.id + "/thumbnail/?frame_number=" + frame + "&width=" + width +
            "&height=" + height + "&image_format=JPG&image_quality=85",
            {credentials: "same-origin", headers: {Accept: "image/jpeg"}})
        .then(function (response) {
          if (response.ok) return response.blob();
          return response.json().then(function (data) { throw new Error(data.detail || "HTTP " + response.status); },
                                      function () { throw new Error("HTTP " + response.status); });
        })
        .then(function (blob) {
          if (mine !== asked) return;  // a newer frame was asked for meanwhile
          if (objectUrl) URL.revokeObjectURL(objectUrl);
          objectUrl = URL.createObjectURL(blob);
          pending = frame;
          image.src = objectUrl;
          status.textContent = "";
        })
        .catch(function (error) { if (mine === asked) status.textContent = "no picture: " + error.message; });
    }

    function set(frame, now) {
      frame = Math.max(1, Math.min(lastFrame, Math.round(frame)));
      slider.value = String(frame);
      label.textContent = "frame " + frame + " of " + lastFrame + " · " + seconds((frame - 1) / fps);
      moved((frame - 1) / fps);
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { fetchFrame(frame); }, now ? 0 : SCRUB_DELAY_MS);
    }
    slider.addEventListener("input", function () { set(Number(slider.value), false); });
    set(1, true);
    return {seek: function (frame) { set(frame, false); }};
  }

  function projectView(node, project) {
    var base = "/projects/" + project.id + "/";
    var board = el("div", {"class": "project-board", id: "project-board"});
    var exportsBox = el("div", {"class": "export-cards", id: "export-cards"});
    var renderBox = el("div", {"class": "render-box"});
    var lastFrame = 1, length = 0, topLayer = 1;
    node.append(heading("Timeline"), board, heading("Render"), renderBox, exportsBox,
                heading("Add media"), dropZone(project.url, placeButton));

    function placeButton(file, item) {
      // After everything else, on the top layer in use.
      item.append(" ", el("button", {type: "button", "class": "place-clip", text: "Place on the timeline",
                                     onclick: function (event) {
        event.target.disabled = true;
        api.call("POST", "/clips/", {file: file.url, project: project.url, position: length, layer: topLayer})
          .then(function (response) {
            if (!response.ok) { item.append(note(detailOf(response), "error")); return; }
            api.reload();
          });
      }}));
    }

    function drawBoard(data) {
      project = data;
      clear(board).append(note("Reading the timeline…"));
      return Promise.all([getAll(base + "clips/"), getAll(base + "effects/"), getAll(base + "files/")])
        .then(function (lists) {
          var clips = lists[0], effects = lists[1];
          clear(board);
          if (!clips.length && !effects.length) {
            board.append(note("No clips or effects yet: upload media below and place it on the timeline."));
            return;
          }
          var fps = number(project.fps_num, 30) / number(project.fps_den, 1);
          var scrub = null;
          var drawn = timelineView(board, project, clips, effects, lists[2], function (frame) { scrub.seek(frame); });
          length = drawn.length;
          topLayer = Math.max.apply(null, clips.map(function (c) { return c.layer; }).concat([1]));
          lastFrame = Math.max(1, Math.floor(length * fps + 1e-6));
          scrub = scrubberView(board, project, lastFrame, drawn.place);
          var end = document.getElementById("render-end_frame");
          if (end) end.placeholder = lastFrame + " (end)";
        })
        .catch(failure(board))
        .then(function () { board.dataset.ready = "1"; });
    }

    function addCard(item, first) {
      var card = exportCard(item, true);
      if (first) exportsBox.prepend(card); else exportsBox.append(card);
    }

    drawBoard(project).then(function () {
      renderBox.append(renderForm(project, lastFrame, function (item) { addCard(item, true); }));
    });
    getAll(base + "exports/", 5).then(function (items) {
      items.reverse().slice(0, 12).forEach(function (item) { addCard(item, false); });
    }).catch(failure(exportsBox));
    return function (data) { drawBoard(data); };
  }

  // --- clips and effects: keyframe curves ---------------------------------------------------------

  function keyframesOf(json, prefix) {
    var found = [];
    Object.keys(json || {}).forEach(function (key) {
      var value = json[key];
      if (value && typeof value === "object" && Array.isArray(value.Points)) {
        found.push({name: prefix + key, keyframe: value});
      } else if (key === "wave_color" && value && typeof value === "object") {
        ["red", "green", "blue", "alpha"].forEach(function (channel) {
          var part = value[channel];
          if (part && Array.isArray(part.Points)) found.push({name: prefix + "wave_color." + channel, keyframe: part});
        });
      }
    });
    function rank(entry) {
      var index = PROPERTY_ORDER.indexOf(entry.name.slice(prefix.length));
      return index < 0 ? PROPERTY_ORDER.length : index;
    }
    return found.sort(function (a, b) { return rank(a) - rank(b) || (a.name < b.name ? -1 : 1); });
  }

  function drawCurves(box, item, fps) {
    clear(box);
    var json = item.json || {};
    var entries = keyframesOf(json, "");
    (Array.isArray(json.effects) ? json.effects : []).forEach(function (effect, index) {
      if (effect && typeof effect === "object") {
        var name = effect.class_name || effect.type || "effect " + (index + 1);
        entries = entries.concat(keyframesOf(effect, name + " · "));
      }
    });
    var still = [];
    var drawn = 0;
    entries.forEach(function (entry) {
      if (!curves.animated(entry.keyframe)) {
        var p = curves.points(entry.keyframe);
        still.push(entry.name + " " + (p.length ? Math.round(p[0].y * 1000) / 1000 : "—"));
        return;
      }
      drawn++;
      box.append(el("figure", {"class": "curve-figure", "data-property": entry.name},
                    curves.plot(entry.keyframe, {name: entry.name, fps: fps, start: item.start, end: item.end}),
                    el("figcaption", {text: entry.name + ": " + curves.points(entry.keyframe).length + " keyframes"})));
    });
    if (!drawn) box.append(note("No animated properties: apply a preset or add keyframes."));
    if (still.length) {
      box.append(el("details", {"class": "still"}, el("summary", {text: "Not animated (" + still.length + ")"}),
                    el("p", {text: still.join(" · ")})));
    }
    box.dataset.drawn = String(drawn);
  }

  function select(id, values, chosen) {
    var node = el("select", {id: id});
    values.forEach(function (v) { node.append(el("option", {value: v, text: v, selected: v === chosen})); });
    return node;
  }

  // Preset, keyframe and reset forms of a clip; ``done(clip)`` gets the clip each answer returns.
  function clipForms(clip, choices, done) {
    var path = pathOf(clip.url);
    var message = el("p", {"class": "curve-message", id: "curve-message", "aria-live": "polite"});
    function send(action, body) {
      message.className = "curve-message";
      message.textContent = "Saving…";
      return api.call("POST", path + action + "/", body).then(function (response) {
        if (!response.ok) {
          message.className = "curve-message error";
          message.textContent = action + ": " + detailOf(response);
          return;
        }
        message.textContent = "Saved: the curves show the clip as it is now.";
        done(response.data);
      });
    }
    var presetName = select("preset-name", choices.presets, "Fade In");
    var presetLength = el("input", {id: "preset-length", type: "number", min: "0.001", step: "any", value: "1"});
    var presetCurve = select("preset-curve", choices.curves, "Ease (Default)");
    var presetForm = el("form", {"class": "curve-form", id: "preset-form"},
      el("label", null, "Preset ", presetName), el("label", null, "over (s) ", presetLength),
      el("label", null, "curve ", presetCurve), el("button", {type: "submit", text: "Apply preset"}));
    presetForm.addEventListener("submit", function (event) {
      event.preventDefault();
      send("presets", {preset: presetName.value, length_in_seconds: Number(presetLength.value),
                       curve: presetCurve.value});
    });
    var property = select("keyframe-property", choices.properties, "alpha");
    var time = el("input", {id: "keyframe-time", type: "number", min: "0", step: "any", value: "0"});
    var value = el("input", {id: "keyframe-value", type: "number", step: "any", value: "1"});
    var curve = select("keyframe-curve", choices.curves, "Ease (Default)");
    var keyForm = el("form", {"class": "curve-form", id: "keyframe-form"},
      el("label", null, "Keyframe ", property), el("label", null, "at (s into the clip) ", time),
      el("label", null, "value ", value), el("label", null, "arriving ", curve),
      el("button", {type: "submit", text: "Add keyframe"}));
    keyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      send("keyframes", {property: property.value, position_in_seconds: Number(time.value), value: Number(value.value),
                         curve: curve.value});
    });
    var reset = el("button", {type: "button", id: "keyframe-reset",
                              text: "Reset alpha, scale, location, rotation and shear",
                              onclick: function () { send("reset"); }});
    return el("div", {"class": "curve-forms"}, presetForm, keyForm, el("p", null, reset), message);
  }

  function keyframedView(node, item, isClip) {
    var plots = el("div", {"class": "curves", id: "curves"});
    var summary = el("p", {"class": "facts", id: "item-summary"});
    var thumb = el("div", {"class": "clip-thumb"});
    var fps = null;
    var back = el("p");
    node.append(heading("Keyframes"), el("div", {"class": "clip-head"}, thumb, el("div", null, summary, back)), plots);
    function describe(data, file) {
      var what = isClip ? (file ? fileName(file) : "a file") : (data.title || data.type);
      summary.textContent = (isClip ? "Clip of " : "Effect ") + what + " on layer " + data.layer + ", at " +
        seconds(data.position) + " on the timeline for " + seconds(data.end - data.start) + " (" + seconds(data.start) +
        "–" + seconds(data.end) + (isClip ? " of the file" : "") + "). Time below is seconds into the " +
        (isClip ? "clip" : "effect") + "; frame 1 is the first frame of its source.";
    }
    var asks = [api.call("GET", pathOf(item.project)).then(checked)];
    if (isClip) {
      asks.push(api.call("GET", pathOf(item.file)).then(checked).catch(function () { return null; }));
      asks.push(api.call("GET", pathOf(item.url) + "presets/").then(checked));
      asks.push(api.call("GET", pathOf(item.url) + "keyframes/").then(checked));
    }
    var file = null;
    var ready = Promise.all(asks).then(function (found) {
      var project = found[0];
      file = found[1];
      fps = number(project.fps_num, 30) / number(project.fps_den, 1);
      describe(item, file);
      if (file) {
        var url = fileThumbnail(file, Math.round(item.start * fpsOf((file.json || {}).fps, fps)) + 1, 160);
        if (url) thumb.append(el("img", {src: url, alt: "The clip's first frame"}));
      }
      back.append(el("a", {href: demoHref(project.url), text: "← the timeline of " + project.name}));
      drawCurves(plots, item, fps);
      if (isClip) {
        var choices = {presets: found[2].presets || [], curves: found[2].curves || [],
                       properties: found[3].properties || []};
        node.append(heading("Animate"), clipForms(item, choices, function (clip) {
          item = clip;
          drawCurves(plots, clip, fps);
          api.reload();  // the JSON and the PATCH form below show the new keyframes too
        }));
      }
      node.dataset.ready = "1";
    }).catch(failure(node));
    return function (data) {
      item = data;
      ready.then(function () { if (fps) { describe(data, file); drawCurves(plots, data, fps); } });
    };
  }

  // --- dispatch ---------------------------------------------------------------------------------

  var VIEWS = {
    "/projects/{id}/": projectView,
    "/clips/{id}/": function (node, data) { return keyframedView(node, data, true); },
    "/effects/{id}/": function (node, data) { return keyframedView(node, data, false); },
    "/files/{id}/": fileView,
    "/files/": fileListView,
    "/projects/{id}/files/": fileListView,
    "/exports/{id}/": exportView,
    "/exports/": exportListView,
    "/projects/{id}/exports/": exportListView
  };

  function init(helpers, node) {
    api = helpers;
    holder = node;
    el = helpers.el;
    clear = helpers.clear;
  }

  // Draw (or, for the page already drawn, update) the picture of ``context.data``, the JSON
  // ``GET context.apiPath`` answered, whose spec template is ``context.template``.
  function show(context) {
    if (!holder) return;
    var key = context.apiPath.split("?")[0];
    if (current && current.key === key && current.update) {
      current.update(context.data);
      return;
    }
    var view = VIEWS[context.template];
    var data = context.data;
    var isList = data && Array.isArray(data.results);
    if (!view || !data || typeof data !== "object" || (isList !== /\/(files|exports)\/$/.test(context.template)) ||
        (!isList && !data.url)) {
      holder.hidden = true;
      return;
    }
    clear(holder);
    holder.hidden = false;
    current = {key: key, update: null};
    current.update = view(holder, data, context) || null;
  }

  window.OpenShotDemoViews = {init: init, show: show};
})();

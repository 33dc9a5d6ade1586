/* Keyframe curves for the demo's clip and effect pages, drawn in SVG as libopenshot 0.2.7 computes
 * them (KeyFrame.cpp; openshot_api/keyframes.py has the same rules in Python):
 * - a keyframe is {"Points": [{"co": {"X": frame, "Y": value}, "interpolation": 0 Bezier |
 *   1 Linear | 2 Constant, "handle_left": {"X", "Y"}, "handle_right": {"X", "Y"}}]};
 * - the segment between two points follows the interpolation of the point on its right;
 * - a Bezier segment's control points are the left point's handle_right and the right point's
 *   handle_left, as fractions of the segment's width and height measured from the left point;
 * - a Constant segment keeps the left value up to the right point's frame, where it jumps;
 * - before the first point the value is the first point's, after the last the last point's.
 * Frame 1 of a clip keyframe is the first frame of the clip's source (not of the timeline), so the
 * plot's time axis is seconds into the clip: (frame - 1) / fps - start.
 * Exposes window.OpenShotDemoCurves = {points, valueAt, animated, plot}. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var BEZIER = 0, LINEAR = 1, CONSTANT = 2;
  var NAMES = {0: "Bezier", 1: "Linear", 2: "Constant"};
  // libopenshot's Point::Initialize_Handles, used when a point has no handles of its own.
  var DEFAULT_LEFT = {X: 0.5, Y: 1.0}, DEFAULT_RIGHT = {X: 0.5, Y: 0.0};

  function finite(value) {
    return typeof value === "number" ? isFinite(value)
      : typeof value === "string" && value.trim() !== "" && isFinite(Number(value));
  }

  function handle(value, fallback) {
    return value && finite(value.X) && finite(value.Y) ? {X: Number(value.X), Y: Number(value.Y)} : fallback;
  }

  // The keyframe's points as {x, y, interpolation, left, right}, sorted by frame; points
  // libopenshot could not read are left out, as keyframes.py drops them.
  function points(keyframe) {
    var raw = keyframe && Array.isArray(keyframe.Points) ? keyframe.Points : [];
    var list = [];
    raw.forEach(function (point, index) {
      var co = point && point.co;
      if (!co || !finite(co.X) || !finite(co.Y)) return;
      var interpolation = finite(point.interpolation) ? Number(point.interpolation) : BEZIER;
      list.push({x: Number(co.X), y: Number(co.Y), index: index,
                 interpolation: interpolation in NAMES ? interpolation : BEZIER,
                 left: handle(point.handle_left, DEFAULT_LEFT), right: handle(point.handle_right, DEFAULT_RIGHT)});
    });
    return list.sort(function (a, b) { return a.x - b.x || a.index - b.index; });
  }

  // A keyframe is animated when its value changes: two or more points with different values.
  function animated(keyframe) {
    var list = points(keyframe);
    return list.length > 1 && list.some(function (p) { return p.y !== list[0].y; });
  }

  function controls(a, b) {
    var dx = b.x - a.x, dy = b.y - a.y;
    return [{x: a.x + a.right.X * dx, y: a.y + a.right.Y * dy}, {x: a.x + b.left.X * dx, y: a.y + b.left.Y * dy}];
  }

  function cubic(p0, p1, p2, p3, t) {
    var u = 1 - t;
    return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
  }

  // The value at ``frame`` (libopenshot's Keyframe::GetValue).
  function valueAt(list, frame) {
    if (!list.length) return 0;
    if (frame <= list[0].x) return list[0].y;
    var last = list[list.length - 1];
    if (frame >= last.x) return last.y;
    for (var i = 1; i < list.length; i++) {
      var a = list[i - 1], b = list[i];
      if (frame > b.x) continue;
      if (frame === b.x) return b.y;
      if (b.interpolation === CONSTANT) return a.y;
      if (b.interpolation === LINEAR) return a.y + (b.y - a.y) * (frame - a.x) / (b.x - a.x);
      var c = controls(a, b), lo = 0, hi = 1, t = 0.5;
      for (var step = 0; step < 40; step++) {  // x(t) rises with t while the handles stay in 0..1
        t = (lo + hi) / 2;
        if (cubic(a.x, c[0].x, c[1].x, b.x, t) < frame) lo = t; else hi = t;
      }
      return cubic(a.y, c[0].y, c[1].y, b.y, t);
    }
    return last.y;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function round(value) { return Math.round(value * 100) / 100; }

  function label(value) {
    var text = Math.abs(value) >= 100 ? value.toFixed(0) : String(Math.round(value * 1000) / 1000);
    return text === "-0" ? "0" : text;
  }

  // About ``count`` round steps between lo and hi (1, 2 or 5 times a power of ten).
  function ticks(lo, hi, count) {
    var span = hi - lo;
    if (!(span > 0)) return [lo];
    var raw = span / count, power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (m) { return m * power; }).filter(function (s) { return s >= raw; })[0];
    var list = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) list.push(Math.round(v / step) * step);
    return list;
  }

  /* An <svg class="curve"> of one keyframe. ``options``: name (the property), fps (project frames
   * per second), start and end (the clip's trim, seconds of its source), width, height.
   * data-* attributes give its scale, so what it draws can be read back as frames and values:
   * px = data-left + (frame - data-frame-min) * data-px-per-frame,
   * py = data-top + (data-value-max - value) * data-px-per-unit. */
  function plot(keyframe, options) {
    var list = points(keyframe);
    var fps = options.fps > 0 ? options.fps : 30;
    var width = options.width || 520, height = options.height || 170;
    var left = 52, right = 14, top = 12, bottom = 30;
    var first = Math.round((options.start || 0) * fps) + 1;
    var last = Math.max(first + 1, Math.round((options.end || 0) * fps));
    var fmin = Math.min(first, list.length ? list[0].x : first);
    var fmax = Math.max(last, list.length ? list[list.length - 1].x : last);
    var values = [];
    list.forEach(function (p, i) {
      values.push(p.y);
      if (i && p.interpolation === BEZIER) controls(list[i - 1], p).forEach(function (c) { values.push(c.y); });
    });
    var vmin = Math.min.apply(null, values.length ? values : [0]);
    var vmax = Math.max.apply(null, values.length ? values : [1]);
    if (vmax - vmin < 1e-9) { vmin -= 0.5; vmax += 0.5; }
    var pad = (vmax - vmin) * 0.08;
    vmin -= pad; vmax += pad;
    var kx = (width - left - right) / (fmax - fmin), ky = (height - top - bottom) / (vmax - vmin);
    function px(frame) { return round(left + (frame - fmin) * kx); }
    function py(value) { return round(top + (vmax - value) * ky); }

    var root = svg("svg", {"class": "curve", width: width, height: height, viewBox: "0 0 " + width + " " + height,
                           role: "img", "data-property": options.name, "data-left": left, "data-top": top,
                           "data-frame-min": fmin, "data-px-per-frame": kx, "data-value-max": vmax,
                           "data-px-per-unit": ky, "data-fps": fps});
    root.append(svg("title", null, options.name + ": value against time in the clip"));
    // The clip's visible frames.
    root.append(svg("rect", {"class": "curve-clip-range", x: px(first), y: top, width: round(px(last) - px(first)),
                             height: height - top - bottom}));
    ticks(vmin, vmax, 4).forEach(function (v) {
      root.append(svg("line", {"class": "curve-grid", x1: left, x2: width - right, y1: py(v), y2: py(v)}));
      root.append(svg("text", {"class": "curve-tick", x: left - 6, y: py(v) + 4, "text-anchor": "end"}, label(v)));
    });
    // Time ticks in seconds into the clip (frame = (t + start) * fps + 1).
    var t0 = (fmin - 1) / fps - (options.start || 0), t1 = (fmax - 1) / fps - (options.start || 0);
    ticks(t0, t1, 6).forEach(function (t) {
      var x = px((t + (options.start || 0)) * fps + 1);
      root.append(svg("line", {"class": "curve-grid", x1: x, x2: x, y1: top, y2: height - bottom}));
      root.append(svg("text", {"class": "curve-tick", x: x, y: height - bottom + 14, "text-anchor": "middle"},
                      label(t) + " s"));
    });
    root.append(svg("text", {"class": "curve-name", x: left + 4, y: top + 12}, options.name));
    if (!list.length) return root;

    var d = ["M", px(fmin), py(list[0].y), "L", px(list[0].x), py(list[0].y)];
    var handles = [];
    for (var i = 1; i < list.length; i++) {
      var a = list[i - 1], b = list[i];
      if (b.interpolation === CONSTANT) {
        d.push("L", px(b.x), py(a.y), "L", px(b.x), py(b.y));
      } else if (b.interpolation === LINEAR) {
        d.push("L", px(b.x), py(b.y));
      } else {
        var c = controls(a, b);
        d.push("C", px(c[0].x), py(c[0].y), px(c[1].x), py(c[1].y), px(b.x), py(b.y));
        handles.push([a, c[0]], [b, c[1]]);
      }
    }
    d.push("L", px(fmax), py(list[list.length - 1].y));
    handles.forEach(function (pair) {
      root.append(svg("line", {"class": "curve-handle", x1: px(pair[0].x), y1: py(pair[0].y),
                               x2: px(pair[1].x), y2: py(pair[1].y)}));
      root.append(svg("circle", {"class": "curve-handle-point", cx: px(pair[1].x), cy: py(pair[1].y), r: 2.5}));
    });
    root.append(svg("path", {"class": "curve-line", d: d.join(" ")}));
    // The value libopenshot gives each whole frame, read under the pointer.
    var cursor = svg("line", {"class": "curve-cursor", y1: top, y2: height - bottom, visibility: "hidden"});
    var readout = svg("text", {"class": "curve-readout", x: width - right, y: top + 12, "text-anchor": "end"});
    root.append(cursor, readout);
    root.addEventListener("pointermove", function (event) {
      var box = root.getBoundingClientRect();
      var x = (event.clientX - box.left) * width / box.width;
      var frame = Math.round(fmin + (x - left) / kx);
      if (frame < fmin || frame > fmax) return;
      cursor.setAttribute("x1", px(frame));
      cursor.setAttribute("x2", px(frame));
      cursor.setAttribute("visibility", "visible");
      var value = valueAt(list, frame);
      readout.textContent = "frame " + frame + " · " + label((frame - 1) / fps - (options.start || 0)) + " s · " +
        label(value);
      root.dataset.readFrame = String(frame);
      root.dataset.readValue = String(value);
    });
    root.addEventListener("pointerleave", function () {
      cursor.setAttribute("visibility", "hidden");
      readout.textContent = "";
    });
    list.forEach(function (p) {
      var dot = svg("circle", {"class": "curve-point", cx: px(p.x), cy: py(p.y), r: 4.5,
                               "data-frame": p.x, "data-value": p.y, "data-interpolation": NAMES[p.interpolation]});
      var seconds = (p.x - 1) / fps - (options.start || 0);
      dot.append(svg("title", null, "frame " + p.x + " (" + label(seconds) + " s into the clip): " + label(p.y) +
                     ", arriving " + NAMES[p.interpolation]));
      root.append(dot);
    });
    return root;
  }

  window.OpenShotDemoCurves = {points: points, valueAt: valueAt, animated: animated, plot: plot,
                               INTERPOLATIONS: NAMES};
})();

"use strict";
(function () {
  var tests = Array.prototype.map.call(document.querySelectorAll("details.test"), function (el) {
    return { el: el, outcome: el.dataset.outcome, target: el.dataset.target,
             rfcs: el.dataset.rfc.split("|"), levels: el.dataset.level.split("|"),
             text: null };
  });
  var rows = Array.prototype.map.call(document.querySelectorAll("tr.req"), function (el) {
    return { el: el, rfc: el.dataset.rfc, level: el.dataset.level, text: el.dataset.text };
  });
  var groups = document.querySelectorAll("table.matrix tbody");
  var controls = {
    outcomes: document.querySelectorAll("#f-outcome input"),
    rfc: document.getElementById("f-rfc"),
    level: document.getElementById("f-level"),
    target: document.getElementById("f-target"),
    text: document.getElementById("f-text"),
    count: document.getElementById("f-count")
  };

  function show(el, visible) {
    if (el.hidden === visible) { el.hidden = !visible; }
  }

  function searchText(t) {
    if (t.text === null) {
      var id = t.el.querySelector(":scope > summary .tid").textContent;
      t.text = (t.target + " " + id + " " + t.el.dataset.req).toLowerCase();
    }
    return t.text;
  }

  function apply() {
    var outcomes = {};
    Array.prototype.forEach.call(controls.outcomes, function (box) {
      outcomes[box.value] = box.checked;
    });
    var rfc = controls.rfc.value, level = controls.level.value, target = controls.target.value;
    var text = controls.text.value.trim().toLowerCase();
    var shown = 0;
    tests.forEach(function (t) {
      var visible = outcomes[t.outcome] && (!rfc || t.rfcs.indexOf(rfc) >= 0) &&
        (!level || t.levels.indexOf(level) >= 0) && (!target || t.target === target) &&
        (!text || searchText(t).indexOf(text) >= 0);
      show(t.el, visible);
      if (visible) { shown += 1; }
    });
    rows.forEach(function (r) {
      show(r.el, (!rfc || r.rfc === rfc) && (!level || r.level === level) &&
        (!text || r.text.indexOf(text) >= 0));
    });
    Array.prototype.forEach.call(groups, function (group) {
      show(group, group.querySelector("tr.req:not([hidden])") !== null);
    });
    controls.count.value = shown + " of " + tests.length + " tests shown";
  }

  function reset() {
    Array.prototype.forEach.call(controls.outcomes, function (box) { box.checked = true; });
    controls.rfc.value = controls.level.value = controls.target.value = controls.text.value = "";
    apply();
  }

  var lazyStore = null;

  // The details of tests that are not failing were rendered (and escaped) by the report's
  // templates, then stored gzip-compressed in #lazy-bodies as JSON {anchor: html}.
  function lazyBodies() {
    if (lazyStore === null) {
      var packed = atob(document.getElementById("lazy-bodies").textContent.trim());
      var bytes = new Uint8Array(packed.length);
      for (var i = 0; i < packed.length; i += 1) { bytes[i] = packed.charCodeAt(i); }
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      lazyStore = new Response(stream).text().then(JSON.parse);
    }
    return lazyStore;
  }

  function stamp(details) {
    if (!details.classList.contains("lazy")) { return Promise.resolve(); }
    details.classList.remove("lazy");
    var body = document.createElement("div");
    body.className = "body";
    body.textContent = "loading\u2026";
    details.appendChild(body);
    return lazyBodies().then(function (bodies) {
      body.innerHTML = bodies[details.id] || "";
      details.classList.add("stamped");
    }, function (error) {
      body.textContent = "cannot show details in this browser (" + error + "): see results.json";
    });
  }

  function openTest(el) {
    if (el.hidden) { reset(); }
    stamp(el);
    el.open = true;
    el.scrollIntoView({ block: "start" });
  }

  function route() {
    var hash;
    try { hash = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    if (!hash) { return; }
    if (hash.indexOf("filter?") === 0) {
      // A summary count: show only the tests it counts (an outcome, in a target, RFC or level).
      var wanted = new URLSearchParams(location.hash.slice("#filter?".length));
      reset();
      var outcome = wanted.get("outcome") || "";
      Array.prototype.forEach.call(controls.outcomes, function (box) {
        box.checked = !outcome || box.value === outcome;
      });
      controls.target.value = wanted.get("target") || "";
      controls.rfc.value = wanted.get("rfc") || "";
      controls.level.value = wanted.get("level") || "";
      apply();
      document.getElementById("tests").scrollIntoView({ block: "start" });
      return;
    }
    if (hash.indexOf("q=") === 0) {
      var params = new URLSearchParams(location.hash.slice(1));
      reset();
      controls.text.value = params.get("q") || "";
      controls.target.value = params.get("target") || "";
      apply();
      document.getElementById("tests").scrollIntoView({ block: "start" });
      return;
    }
    var el = document.getElementById(hash);
    if (el && el.matches("details.test")) { openTest(el); }
  }

  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches("details.test") && event.target.open) {
      stamp(event.target);
    }
  }, true);
  var timer = null;
  controls.text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 120);
  });
  [controls.rfc, controls.level, controls.target].forEach(function (c) {
    c.addEventListener("change", apply);
  });
  Array.prototype.forEach.call(controls.outcomes, function (box) {
    box.addEventListener("change", apply);
  });
  document.getElementById("f-reset").addEventListener("click", reset);
  window.addEventListener("hashchange", route);
  apply();
  route();
  document.documentElement.dataset.ready = "1";
}());

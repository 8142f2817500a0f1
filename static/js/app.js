/* Small enhancements on top of htmx: announce changes, keep focus sensible, show errors. */
(function () {
  "use strict";

  function announce(message) {
    var region = document.getElementById("announcer");
    if (!region || !message) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  function showProblem(message) {
    var flashes = document.getElementById("flashes");
    if (flashes) {
      var p = document.createElement("p");
      p.className = "flash flash-error";
      p.setAttribute("role", "alert");
      var label = document.createElement("span");
      label.className = "flash-label";
      label.textContent = flashes.getAttribute("data-problem-label") || "Problem:";
      p.appendChild(label);
      p.appendChild(document.createTextNode(" " + message));
      flashes.appendChild(p);
    }
    announce(message);
  }

  // Texts in the page's language, which the server puts on the flashes region (English fallback).
  function said(attribute, fallback) {
    var flashes = document.getElementById("flashes");
    return (flashes && flashes.getAttribute(attribute)) || fallback;
  }

  function textOf(html) {
    var doc = new DOMParser().parseFromString(html || "", "text/html");
    var node = doc.querySelector(".error-page p") || doc.body;
    return (node && node.textContent || "").trim().slice(0, 300);
  }

  // The server names what changed with an "announce" event (HX-Trigger header).
  document.addEventListener("announce", function (event) {
    var detail = event.detail;
    announce(detail && (detail.value || detail.message || detail));
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    showProblem(textOf(xhr && xhr.responseText) || (said("data-error-label", "Error") + " " + (xhr ? xhr.status : "")));
  });

  document.addEventListener("htmx:sendError", function () {
    showProblem(said("data-unreachable", "The workspace could not be reached. Check your connection and try again."));
  });

  // After a fragment swap, move focus to what the fragment marks as its focus target.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (!target || !target.querySelector || fromStream(event)) { return; }
    var focus = target.matches && target.matches("[data-focus]") ? target : target.querySelector("[data-focus]");
    if (focus) {
      if (!focus.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(focus.tagName)) {
        focus.setAttribute("tabindex", "-1");
      }
      focus.focus();
    }
  });

  // When the control that had focus was swapped away and the fragment marks no focus target,
  // focus the fragment's heading (or the fragment): keyboard and screen-reader users stay where
  // they were instead of being sent back to the top of the page. Boosted page loads are left alone.
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    var active = document.activeElement;
    if (detail.boosted || !detail.target || (active && active !== document.body) || fromStream(event)) { return; }
    var place = detail.target.isConnected ? detail.target : (detail.target.id && document.getElementById(detail.target.id));
    if (!place || place === document.body || (event.target !== place && event.target.parentElement !== place)) { return; }
    var focus = place.querySelector("h1, h2, h3, h4") || place;
    if (!focus.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(focus.tagName)) {
      focus.setAttribute("tabindex", "-1");
    }
    focus.focus();
  });

  // ---- live updates: a part the stream says changed fetches itself again (workspace/live/routes.py) ----

  // Fetched because of another person's change (or to catch up after one): never moves focus.
  function fromStream(event) {
    var cause = event.detail && event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    return !!(cause && cause.type && (cause.type.indexOf("sse:") === 0 || cause.type === "live-refresh"));
  }

  // Someone busy in this part (focus inside, or typed text not yet sent) keeps it; it catches up once they leave.
  function busy(part) {
    if (part.contains(document.activeElement) && document.activeElement !== document.body) { return true; }
    return Array.prototype.some.call(part.querySelectorAll("input, textarea, select"), function (field) {
      if (field.type === "checkbox" || field.type === "radio") { return field.checked !== field.defaultChecked; }
      if (field.tagName === "SELECT") {  // without a `selected` option the first one is the default
        var chosen = field.options[field.selectedIndex];
        var marked = Array.prototype.some.call(field.options, function (o) { return o.defaultSelected; });
        return marked ? !!chosen && !chosen.defaultSelected : field.selectedIndex > 0;
      }
      return field.type !== "hidden" && field.value !== field.defaultValue;
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var part = event.detail.elt;
    if (!fromStream(event) || !part.hasAttribute("data-live")) { return; }
    if (busy(part)) {
      part.setAttribute("data-live-behind", "");
      event.preventDefault();
    }
  });

  document.addEventListener("focusout", function (event) {
    var part = event.target.closest && event.target.closest("[data-live-behind]");
    window.setTimeout(function () {
      if (part && part.isConnected && !busy(part)) {
        part.removeAttribute("data-live-behind");
        htmx.trigger(part, "live-refresh");
      }
    }, 0);
  });

  // After a reconnect (the stream restarted, the network came back) events may have been missed:
  // every live part of the page fetches itself once.
  document.addEventListener("htmx:sseOpen", function (event) {
    var source = event.target;
    if (source.hasAttribute("data-live-opened")) {
      Array.prototype.forEach.call(source.querySelectorAll("[data-live]"), function (part) {
        htmx.trigger(part, "live-refresh");
      });
    }
    source.setAttribute("data-live-opened", "");
  });

  // Told politely, and only for others' changes: the stream leaves out the person's own actions.
  document.addEventListener("htmx:afterSwap", function (event) {
    var said = event.detail.elt && event.detail.elt.getAttribute && event.detail.elt.getAttribute("data-live");
    var cause = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (said && cause && cause.type.indexOf("sse:") === 0) { announce(said); }
  });

  // Select the whole invitation link on focus, so it can be copied at once.
  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("copy-field")) { event.target.select(); }
  });
})();

/* deliverables: upload progress and a size check before a long upload starts. */
(function () {
  "use strict";

  function uploadForm(node) {
    return node && node.closest ? node.closest("form[data-upload]") : null;
  }

  // htmx fires htmx:xhr:progress on the form for the upload (and then for the answer);
  // the bar only moves forward, so the short download does not make it jump back.
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event.target);
    var detail = event.detail || {};
    if (!form || !detail.lengthComputable || !detail.total) { return; }
    var box = form.querySelector("[data-upload-progress]");
    var bar = box && box.querySelector("progress");
    if (!bar) { return; }
    box.hidden = false;
    var percent = Math.round(detail.loaded * 100 / detail.total);
    if (percent > bar.value) {
      bar.value = percent;
      bar.textContent = percent + "%";
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = uploadForm(event.target);
    var bar = form && form.querySelector("[data-upload-progress] progress");
    if (bar) { bar.value = 0; bar.textContent = "0%"; }
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = uploadForm(input);
    if (!form || input.type !== "file") { return; }
    var max = parseInt(form.getAttribute("data-max-bytes"), 10);
    var problem = form.querySelector("[data-upload-problem]");
    var large = Array.prototype.filter.call(input.files || [], function (file) { return max && file.size > max; });
    var total = Array.prototype.reduce.call(input.files || [], function (sum, file) { return sum + file.size; }, 0);
    var room = parseInt(form.getAttribute("data-max-request"), 10);
    var message = large.length ? form.getAttribute("data-too-large") + " " +
      large.map(function (file) { return file.name; }).join(", ") : "";
    if (!message && room && total > room) { message = form.getAttribute("data-too-much"); }
    input.setCustomValidity(message);
    if (problem) {
      problem.textContent = message;
      problem.hidden = !message;
    }
  });
})();

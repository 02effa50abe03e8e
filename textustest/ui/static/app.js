// The sandbox's script: live updates over server-sent events, and forms
// sent without reloading the page. Every page works without it.
(function () {
  "use strict";

  function meta(name) {
    var m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : "";
  }

  var base = meta("sandbox-base");
  var csrf = meta("csrf-token");
  var announcer = document.getElementById("announcer");
  var connection = document.getElementById("connection");

  // Announcements go to a polite live region, at most one per burst.
  var announceTimer = null;
  var pending = "";
  function announce(text) {
    if (!text || !announcer) return;
    pending = text;
    if (announceTimer) return;
    announceTimer = setTimeout(function () {
      announceTimer = null;
      announcer.textContent = pending;
    }, 400);
  }

  function setConnection(state, text) {
    if (!connection) return;
    connection.setAttribute("data-state", state);
    var t = connection.querySelector(".connection-text");
    if (t) t.textContent = text;
  }

  // Re-rendering: the page is fetched again and each [data-live] region
  // takes the content of its counterpart. Focus, open <details> and the
  // position at the end of a thread are kept.
  var refreshing = false;
  var again = false;
  var refreshTimer = null;

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      refresh();
    }, 60);
  }

  function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    fetch(location.href, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.text();
      })
      .then(function (html) {
        swap(new DOMParser().parseFromString(html, "text/html"));
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function swap(doc) {
    var regions = document.querySelectorAll("[data-live]");
    Array.prototype.forEach.call(regions, function (el) {
      var fresh = doc.getElementById(el.id);
      if (!fresh || fresh.innerHTML === el.innerHTML) return;
      var active = document.activeElement;
      var focusKey = active && el.contains(active) ? active.getAttribute("data-focus") : null;
      var open = {};
      Array.prototype.forEach.call(el.querySelectorAll("details[data-keep]"), function (d) {
        if (d.open) open[d.getAttribute("data-keep")] = true;
      });
      var before = el.children.length;
      var nodes = Array.prototype.map.call(fresh.childNodes, function (n) {
        return document.importNode(n, true);
      });
      el.replaceChildren.apply(el, nodes);
      Array.prototype.forEach.call(el.querySelectorAll("details[data-keep]"), function (d) {
        if (open[d.getAttribute("data-keep")]) d.open = true;
      });
      if (focusKey) {
        var target = el.querySelector('[data-focus="' + cssEscape(focusKey) + '"]');
        if (target) target.focus();
      }
      if (el.id === "messages" && el.children.length > before && el.lastElementChild) {
        el.lastElementChild.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function cssEscape(s) {
    return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
  }

  function describe(ev) {
    var who = ev.phone || "a number";
    switch (ev.action) {
      case "message.received":
        return "New text from " + who;
      case "message.created":
        return "Your program sent a message";
      case "message.delivered":
        return "Message to " + who + " delivered";
      case "message.failed":
        return "Message to " + who + " failed";
      case "contact.opted_out":
        return who + " opted out";
      case "contact.opted_in":
        return who + " opted back in";
      case "contact.created":
        return "New contact";
    }
    switch (ev.kind) {
      case "delivery":
        return "Webhook " + ev.action + ", attempt " + ev.attempt + ": " + (ev.status ? ev.status : "no answer");
      case "undeliverable":
        return "Deliverability of " + who + " changed";
      case "reset":
        return "The sandbox was reset";
    }
    return "";
  }

  var stream = null;
  var wasDown = false;
  function connect() {
    if (!window.EventSource) {
      setConnection("off", "Live updates not supported");
      return;
    }
    setConnection("connecting", "Connecting…");
    stream = new EventSource(base + "events");
    stream.onopen = function () {
      setConnection("live", "Live");
      if (wasDown) {
        wasDown = false;
        scheduleRefresh();
      }
    };
    stream.onerror = function () {
      setConnection("down", "Reconnecting…");
      wasDown = true;
    };
    stream.onmessage = function (e) {
      var ev;
      try {
        ev = JSON.parse(e.data);
      } catch (x) {
        return;
      }
      announce(describe(ev));
      scheduleRefresh();
    };
  }

  function showError(form, text) {
    var p = form.querySelector(".form-error");
    if (!p) return;
    p.textContent = text;
    p.hidden = false;
  }

  // Actions are posted with the CSRF token in a header; the page is
  // re-rendered by the event that follows.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList.contains("js-action") || !window.fetch) return;
    e.preventDefault();
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    var data = new URLSearchParams(new FormData(form));
    if (e.submitter && e.submitter.name) data.append(e.submitter.name, e.submitter.value);
    var disabled = [];
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
      if (!b.disabled) {
        b.disabled = true;
        disabled.push(b);
      }
    });
    var focusKey = e.submitter ? e.submitter.getAttribute("data-focus") : null;
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "X-Sandbox-Fetch": "1" }
    })
      .then(function (r) {
        if (r.ok) {
          var err = form.querySelector(".form-error");
          if (err) {
            err.hidden = true;
            err.textContent = "";
          }
          var reset = form.getAttribute("data-reset");
          if (reset && form.elements[reset]) form.elements[reset].value = "";
          var next = r.headers.get("X-Sandbox-Next");
          if (form.hasAttribute("data-follow") && next) {
            location.href = next;
            return;
          }
          scheduleRefresh();
          return;
        }
        return r.text().then(function (t) {
          showError(form, t.trim() || "The action failed (" + r.status + ").");
        });
      })
      .catch(function () {
        showError(form, "The fake server did not answer: is it still running?");
      })
      .then(function () {
        disabled.forEach(function (b) {
          if (b.isConnected) b.disabled = false;
        });
        if (focusKey && document.activeElement === document.body) {
          var t = document.querySelector('[data-focus="' + cssEscape(focusKey) + '"]');
          if (t) t.focus();
        }
      });
  });

  // Ctrl+Enter (or Cmd+Enter) sends a message.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && t.tagName === "TEXTAREA" && t.form) {
      e.preventDefault();
      if (t.form.requestSubmit) t.form.requestSubmit();
      else t.form.submit();
    }
  });

  var messages = document.getElementById("messages");
  if (messages && messages.lastElementChild) messages.lastElementChild.scrollIntoView({ block: "nearest" });
  window.addEventListener("pagehide", function () {
    if (stream) stream.close();
  });
  connect();
})();

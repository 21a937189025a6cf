// huntfeed web UI: copy buttons and small conveniences. Loaded from /static only (CSP forbids inline).
"use strict";

(function () {
  function announce(message) {
    var status = document.getElementById("copy-status");
    if (!status) return;
    status.textContent = message;
    status.classList.add("show");
    window.clearTimeout(announce.timer);
    announce.timer = window.setTimeout(function () { status.classList.remove("show"); }, 1800);
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; },
        function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function textFor(button) {
    if (button.hasAttribute("data-copy")) return button.getAttribute("data-copy");
    var target = document.getElementById(button.getAttribute("data-copy-target") || "");
    return target ? target.textContent : "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) return;
    var text = textFor(button);
    copyText(text).then(function (ok) {
      // The last copied text is also kept on the body so tests and users can see what was copied.
      document.body.setAttribute("data-last-copied", text);
      button.classList.toggle("copied", ok);
      button.textContent = ok ? "Copied" : "Copy failed";
      announce(ok ? "Copied " + text.length + " characters" : "Copy failed: select the text instead");
      window.setTimeout(function () { button.textContent = "Copy"; button.classList.remove("copied"); }, 1500);
    });
  });

  // "Noise" on an indicator: a false-positive rule through the token-guarded API (the token stays in this tab).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.feedback");
    if (!button) return;
    var reason = window.prompt("Why? (" + button.getAttribute("data-kind") + ": " + button.getAttribute("data-value") + ")");
    if (!reason) return;
    var token = window.sessionStorage.getItem("huntfeed-token") || window.prompt("The server's API token");
    if (!token) return;
    fetch("/api/feedback", {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
      body: JSON.stringify({kind: button.getAttribute("data-kind"), value: button.getAttribute("data-value"),
                            type: button.getAttribute("data-type") || "",
                            scope: button.getAttribute("data-scope") || "global",
                            target: button.getAttribute("data-target") || "", reason: reason})
    }).then(function (resp) {
      if (resp.ok) window.sessionStorage.setItem("huntfeed-token", token);
      else if (resp.status === 401) window.sessionStorage.removeItem("huntfeed-token");
      button.textContent = resp.ok ? "Marked" : "Refused (" + resp.status + ")";
      announce(resp.ok ? "Recorded: applied from the next analysis on" : "Not recorded: HTTP " + resp.status);
    });
  });

  // Changing a select in a filter form applies it at once.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.tagName === "SELECT" && el.form && el.form.classList.contains("filters")) el.form.submit();
  });
})();

// papers: the [FAQ] button. Streams the language model's answer into the page as text
// (Server-Sent Events over fetch), then shows the server's sanitised HTML with math.
(function () {
  "use strict";

  // The answer box after the button's card (or paragraph), made on first use.
  function boxFor(button) {
    var holder = button.closest("li.paper") || button.closest(".actions");
    var box = holder.querySelector(".faq-answer") ||
      (holder.nextElementSibling && holder.nextElementSibling.classList.contains("faq-answer")
        ? holder.nextElementSibling : null);
    if (box) return box;
    box = document.createElement("section");
    box.className = "faq-answer";
    box.setAttribute("aria-live", "polite");
    if (holder.matches("li.paper")) holder.appendChild(box);
    else holder.insertAdjacentElement("afterend", box);
    return box;
  }

  function status(box, text) {
    var p = box.querySelector(".faq-status");
    if (!p) {
      p = document.createElement("p");
      p.className = "faq-status";
      box.insertBefore(p, box.firstChild);
    }
    p.textContent = text;
  }

  function show(box, faq) {
    box.innerHTML = faq.html; // sanitised by the server (ammonia)
    var meta = document.createElement("p");
    meta.className = "faq-meta";
    meta.textContent = "Written by " + faq.model + " on " + faq.created.slice(0, 10) +
      ". It can be wrong: check the paper.";
    box.appendChild(meta);
    box.dataset.state = "done";
    if (window.papersRenderMath) window.papersRenderMath(box);
  }

  function fail(box, message) {
    box.dataset.state = "failed";
    status(box, "No FAQ: " + message);
  }

  // Reads a text/event-stream body, calling handle(event, data) per event.
  function readEvents(response, handle) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        var end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          var block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          var name = "message", data = [];
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) name = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (data.length) handle(name, JSON.parse(data.join("\n")));
        }
        return pump();
      });
    }
    return pump();
  }

  function load(button, box) {
    box.dataset.state = "loading";
    box.textContent = "";
    status(box, "Asking the language model…");
    var live = document.createElement("div");
    live.className = "faq-live";
    box.appendChild(live);
    var lang = button.dataset.lang || "en";
    var url = "/api/papers/" + button.dataset.faq + "/faq/stream?lang=" + encodeURIComponent(lang);
    fetch(url, { headers: { Accept: "text/event-stream" } }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (body) {
          fail(box, body.error ? body.error.message : "HTTP " + response.status);
        }, function () { fail(box, "HTTP " + response.status); });
      }
      return readEvents(response, function (name, data) {
        if (name === "queued") {
          status(box, "Waiting for the model: " + data.position + " in the queue…");
        } else if (name === "delta") {
          status(box, "Writing…");
          live.textContent += data.text; // plain text while it streams
        } else if (name === "done") {
          show(box, data);
        } else if (name === "failed") {
          fail(box, data.message);
        }
      }).then(function () {
        if (box.dataset.state === "loading") fail(box, "the answer stopped before it ended");
      });
    }).catch(function (e) { fail(box, String(e)); });
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[data-faq]") : null;
    if (!button) return;
    var box = boxFor(button);
    var open = button.getAttribute("aria-expanded") === "true";
    if (open) {
      box.hidden = true;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    box.hidden = false;
    button.setAttribute("aria-expanded", "true");
    if (box.dataset.state !== "done" && box.dataset.state !== "loading") load(button, box);
  });
})();

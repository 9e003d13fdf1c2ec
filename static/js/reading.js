// papers: the reading workflow on top of the pages. Stars kept in this browser
// (localStorage, no account), the [BibTeX] link copying the entry, and keys for triage:
// j/k move between papers, o opens, p opens the PDF, s stars, ? lists the keys.
(function () {
  "use strict";
  var KEY = "papers.stars";

  // Stars, newest first: [{id, at}] with `at` in ms since 1970.
  function stars() {
    try {
      var list = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (s) { return s && typeof s.id === "string"; }) : [];
    } catch (e) { return []; }
  }

  function save(list) {
    list.sort(function (a, b) { return b.at - a.at; });
    try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) { /* storage off */ }
    paint();
  }

  function starred(id) {
    return stars().some(function (s) { return s.id === id; });
  }

  function toggle(id) {
    var list = stars();
    var kept = list.filter(function (s) { return s.id !== id; });
    if (kept.length === list.length) kept.push({ id: id, at: Date.now() });
    save(kept);
  }

  // Adds ids (in the order given, first = newest) to the stars; returns how many were new.
  function merge(ids) {
    var list = stars();
    var have = {};
    list.forEach(function (s) { have[s.id] = true; });
    var now = Date.now(), added = 0;
    ids.forEach(function (id, i) {
      if (id && !have[id]) {
        list.push({ id: id, at: now - i });
        have[id] = true;
        added++;
      }
    });
    save(list);
    return added;
  }

  function paint() {
    var list = stars();
    var on = {};
    list.forEach(function (s) { on[s.id] = true; });
    document.querySelectorAll("button[data-star]").forEach(function (b) {
      var is = !!on[b.dataset.star];
      b.setAttribute("aria-pressed", is ? "true" : "false");
      b.textContent = is ? "★" : "☆";
      b.title = is ? "Starred: click or press s to unstar" : "Star (s)";
    });
    var count = document.getElementById("star-count");
    if (count) count.textContent = list.length ? String(list.length) : "";
  }

  function starredUrl(ids, importing) {
    return "/starred?ids=" + ids.map(encodeURIComponent).join(",") + (importing ? "&import=1" : "");
  }

  // /starred: without ids, show this browser's stars; with import=1, add the URL's ids.
  function starredPage() {
    var page = document.getElementById("starred-page");
    if (!page) return;
    var params = new URLSearchParams(location.search);
    var given = (params.get("ids") || "").split(",").filter(Boolean);
    if (params.get("import") === "1" && given.length) {
      var added = merge(given);
      var mine = stars().map(function (s) { return s.id; });
      var shown = starredUrl(mine, false) + "&added=" + added + "&of=" + given.length;
      // This browser had other stars too: show them all.
      if (mine.join(",") !== given.join(",")) {
        location.replace(shown);
        return;
      }
      history.replaceState(null, "", shown);
      params = new URLSearchParams(location.search);
    }
    var note = document.getElementById("import-note");
    if (note && params.get("added") !== null) {
      note.hidden = false;
      note.textContent = "Added " + params.get("added") + " of " + params.get("of") +
        " papers to the stars of this browser.";
    }
    var ids = stars().map(function (s) { return s.id; });
    if (!given.length && ids.length) {
      location.replace(starredUrl(ids, false));
      return;
    }
    var share = document.getElementById("share-url");
    if (share) share.value = location.origin + starredUrl(ids.length ? ids : given, true);
    var download = document.getElementById("download-stars");
    if (download) {
      download.addEventListener("click", function () {
        var blob = new Blob([JSON.stringify({ stars: stars() }, null, 2)], { type: "application/json" });
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "papers-stars.json";
        document.body.appendChild(a);
        a.click();
        a.remove();
      });
    }
    var upload = document.getElementById("upload-stars");
    if (upload) {
      upload.addEventListener("change", function () {
        var file = upload.files && upload.files[0];
        if (!file) return;
        file.text().then(function (text) {
          var data = JSON.parse(text);
          var list = Array.isArray(data) ? data : data.stars || [];
          merge(list.map(function (s) { return typeof s === "string" ? s : s.id; }));
          location.replace(starredUrl(stars().map(function (s) { return s.id; }), false));
        }).catch(function (e) { alert("Not a stars file: " + e); });
      });
    }
  }

  function copyBibtex(link) {
    fetch(link.href).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    }).then(function (text) {
      return navigator.clipboard.writeText(text);
    }).then(function () {
      link.textContent = "BibTeX copied";
      link.dataset.copied = "true";
      setTimeout(function () { link.textContent = "BibTeX"; }, 2000);
    }).catch(function () { location.href = link.href; });
  }

  // Keyboard triage over the cards of the page.
  var current = -1;
  function cards() { return Array.prototype.slice.call(document.querySelectorAll("li.paper")); }

  function move(by) {
    var all = cards();
    if (!all.length) return;
    if (current >= 0 && all[current]) all[current].classList.remove("current");
    current = Math.max(0, Math.min(all.length - 1, current + by));
    all[current].classList.add("current");
    all[current].scrollIntoView({ block: "nearest" });
  }

  function currentCard() {
    var all = cards();
    return current >= 0 ? all[current] : null;
  }

  function help(show) {
    var box = document.getElementById("keys-help");
    if (box) box.hidden = show === undefined ? !box.hidden : !show;
  }

  document.addEventListener("keydown", function (e) {
    var tag = document.activeElement ? document.activeElement.tagName : "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || e.ctrlKey || e.metaKey || e.altKey) return;
    var card = currentCard();
    var link;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o":
        link = card && card.querySelector("a.title");
        if (link) location.href = link.href;
        break;
      case "p":
        link = card && card.querySelector("a.pdf");
        if (link) window.open(link.href, "_blank", "noopener");
        break;
      case "s":
        if (card) toggle(card.dataset.id);
        break;
      case "?": help(); break;
      case "Escape": help(false); break;
      default: return;
    }
    e.preventDefault();
  });

  document.addEventListener("click", function (e) {
    var star = e.target.closest ? e.target.closest("button[data-star]") : null;
    if (star) {
      toggle(star.dataset.star);
      return;
    }
    var bib = e.target.closest ? e.target.closest("a[data-bibtex]") : null;
    if (bib && navigator.clipboard) {
      e.preventDefault();
      copyBibtex(bib);
      return;
    }
    if (e.target.id === "keys-close") help(false);
  });

  document.addEventListener("DOMContentLoaded", function () {
    paint();
    starredPage();
  });
})();

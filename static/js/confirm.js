// Ask once more, on the same page: a link marked data-confirm leads to a page that asks before something
// that cannot be undone (templates/_confirm.html). With this script the link opens that page's question
// in a modal <dialog> instead: the same words and the same form, fetched from the page itself, so they
// are never out of step. Escape or "No, keep it" closes the dialog, and focus goes back to the link.
// Whatever goes wrong (an old browser, no connection, a page that answers something else), the link is
// followed as without JavaScript.
(function () {
  "use strict";

  if (!("showModal" in document.createElement("dialog")) || !window.fetch || !window.DOMParser) return;

  var dialog = null;
  var opener = null;
  var busy = false;

  function theDialog() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("role", "alertdialog");
    dialog.setAttribute("aria-labelledby", "confirm-title");
    dialog.setAttribute("aria-describedby", "confirm-body");
    dialog.addEventListener("click", function (event) {
      if (event.target.closest("[data-confirm-keep]")) dialog.close();
    });
    // One answer is enough: a second tap while the page loads would ask the server to do it twice.
    dialog.addEventListener("submit", function (event) {
      var button = event.target.querySelector("button[type=submit]");
      if (button) button.disabled = true;
    });
    dialog.addEventListener("close", function () {
      dialog.replaceChildren();
      if (opener) opener.focus();
      opener = null;
    });
    document.body.append(dialog);
    return dialog;
  }

  // The question of the asking page, made to sit in a dialog: its heading one level down (the page
  // keeps its own <h1>), and its way back a button that closes the dialog.
  function contentsOf(panel) {
    var heading = panel.querySelector("h1");
    if (heading) {
      var h2 = document.createElement("h2");
      h2.id = heading.id;
      h2.append.apply(h2, Array.prototype.slice.call(heading.childNodes));
      heading.replaceWith(h2);
    }
    var back = panel.querySelector("a[data-confirm-keep]");
    if (back) {
      var keep = document.createElement("button");
      keep.type = "button";
      keep.className = "button secondary";
      keep.setAttribute("data-confirm-keep", "");
      keep.setAttribute("autofocus", "");
      keep.textContent = back.textContent;
      back.replaceWith(keep);
    }
    return Array.prototype.slice.call(panel.childNodes);
  }

  function ask(link) {
    busy = true;
    fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("no question at " + link.href);
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var panel = page.querySelector("[data-confirm-panel]");
        if (!panel) throw new Error("no question at " + link.href);
        var box = theDialog();
        box.replaceChildren.apply(box, contentsOf(document.importNode(panel, true)));
        opener = link;
        box.showModal();
        // The safe answer takes the focus, as for any question about something that cannot be undone.
        var keep = box.querySelector("[data-confirm-keep]");
        if (keep) keep.focus();
      })
      .catch(function () {
        window.location.assign(link.href);
      })
      .then(function () {
        busy = false;
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-confirm]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // a new tab or window: the page
    event.preventDefault();
    if (!busy) ask(link);
  });

  Array.prototype.forEach.call(document.querySelectorAll("a[data-confirm]"), function (link) {
    link.setAttribute("aria-haspopup", "dialog");
  });
})();

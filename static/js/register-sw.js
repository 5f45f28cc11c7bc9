// Registers the service worker (/sw.js, scope /) that keeps the scanner and "My ticket" for when the phone
// has no signal. A page loaded before the worker controlled it never went through the worker, so the page
// asks the worker to keep it (and its images, scripts and styles) now. `SciVisitServiceWorker.ready`
// resolves to true once that is done, false where there is no service worker (an old browser, plain http).
(function () {
  "use strict";

  var script = document.currentScript;
  var url = (script && script.getAttribute("data-sw-url")) || "/sw.js";
  var ANSWER_TIMEOUT_MS = 15000;

  function sameOrigin(address) {
    try {
      var parsed = new URL(address, location.href);
      return parsed.origin === location.origin ? parsed.pathname + parsed.search : null;
    } catch (error) {
      return null;
    }
  }

  function resources() {
    var found = [location.pathname + location.search];
    var add = function (address) {
      var local = address && sameOrigin(address);
      if (local && found.indexOf(local) < 0) found.push(local);
    };
    Array.prototype.forEach.call(document.images, function (image) { add(image.currentSrc || image.src); });
    Array.prototype.forEach.call(document.scripts, function (element) { add(element.src); });
    Array.prototype.forEach.call(document.querySelectorAll("link[rel=stylesheet], link[rel=icon]"), function (link) {
      add(link.href);
    });
    return found;
  }

  function remember(worker) {
    return new Promise(function (resolve) {
      if (!worker) return resolve(false);
      var channel = new MessageChannel();
      var timer = setTimeout(function () { resolve(false); }, ANSWER_TIMEOUT_MS);
      channel.port1.onmessage = function (event) {
        clearTimeout(timer);
        resolve(!!(event.data && event.data.kept));
      };
      worker.postMessage({ type: "keep", urls: resources() }, [channel.port2]);
    });
  }

  var ready;
  if (!("serviceWorker" in navigator) || !window.isSecureContext) {
    ready = Promise.resolve(false);
  } else {
    ready = navigator.serviceWorker
      .register(url, { scope: "/" })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        return remember(registration.active);
      })
      .catch(function () {
        return false;
      });
  }
  window.SciVisitServiceWorker = { ready: ready };
})();

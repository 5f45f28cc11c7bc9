// SciVisit's service worker, served at /sw.js (scope /) by checkin/offline_views.py, which writes the
// manifest below: the static files' URLs and a version that changes with any of them (README: "Check-in
// offline").
//
// - Static files: cache first. The core (css, the app's scripts) is kept on install; the scanner's decoder
//   (static/vendor/) when a scanner page is kept. A new version is a new cache; activate drops the old ones.
// - The scanner (/visits/<id>/scanner), "My ticket" (/my/tickets/<id>) and a ticket's QR image
//   (/t/<secret>/qr.svg, .png): network first, the kept copy when the network fails, the server answers with an
//   error of its own (5xx) or takes over 3 s.
// - Nothing else: no API request, no other page. Logging out forgets the kept pages.
"use strict";

var MANIFEST = /*MANIFEST*/ { version: "dev", core: [], scanner: [], static: "/static/", logout: "/logout" };
var STATIC_CACHE = "scivisit-static-" + MANIFEST.version;
var PAGES_CACHE = "scivisit-pages-v1";
var NETWORK_TIMEOUT_MS = 3000;
var KEPT = [/^\/visits\/\d+\/scanner\/?$/, /^\/my\/tickets\/\d+\/?$/, /^\/t\/[A-Za-z0-9_-]{22}\/qr\.(svg|png)$/];
var SCANNER = KEPT[0];

function isKept(url) {
  return url.origin === self.location.origin && KEPT.some(function (pattern) { return pattern.test(url.pathname); });
}

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf(MANIFEST.static) === 0;
}

// Pages are kept under their path: the query (a language, a direction) does not make another page.
function pageKey(url) {
  return url.origin + url.pathname;
}

function fresh(url) {
  return new Request(url, { cache: "reload", credentials: "same-origin" });
}

function keepAll(cacheName, urls) {
  return caches.open(cacheName).then(function (cache) {
    return Promise.all(
      urls.map(function (url) {
        return cache.match(url, { ignoreVary: true }).then(function (found) {
          if (found) return true;
          return fetch(fresh(url)).then(
            function (response) {
              if (!response.ok) return false;
              return cache.put(url, response).then(function () { return true; });
            },
            function () { return false; }
          );
        });
      })
    ).then(function (results) {
      return results.every(Boolean);
    });
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(keepAll(STATIC_CACHE, MANIFEST.core).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name.indexOf("scivisit-") === 0 && name !== STATIC_CACHE && name !== PAGES_CACHE;
            })
            .map(function (name) { return caches.delete(name); })
        );
      })
      .then(function () { return self.clients.claim(); })
  );
});

// A page that was loaded before this worker controlled it asks to be kept, with what it shows.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  var pages = [];
  var statics = [];
  var scanner = false;
  data.urls.forEach(function (address) {
    var url = new URL(address, self.location.origin);
    if (isKept(url)) {
      pages.push(url);
      if (SCANNER.test(url.pathname)) scanner = true;
    } else if (isStatic(url)) {
      statics.push(url.href);
    }
  });
  var work = [keepPages(pages), keepAll(STATIC_CACHE, scanner ? statics.concat(MANIFEST.scanner) : statics)];
  var reply = event.ports && event.ports[0];
  event.waitUntil(
    Promise.all(work).then(
      function (results) {
        if (reply) reply.postMessage({ kept: results.every(Boolean) });
      },
      function () {
        if (reply) reply.postMessage({ kept: false });
      }
    )
  );
});

function keepPages(urls) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return Promise.all(
      urls.map(function (url) {
        return cache.match(pageKey(url), { ignoreVary: true }).then(function (found) {
          if (found) return true;
          return fetch(fresh(url.href)).then(
            function (response) {
              if (!response.ok || response.redirected) return false;
              return cache.put(pageKey(url), response).then(function () { return true; });
            },
            function () { return false; }
          );
        });
      })
    ).then(function (results) {
      return results.every(Boolean);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === MANIFEST.logout) {
    event.waitUntil(caches.delete(PAGES_CACHE));
    return;
  }
  if (request.method !== "GET") return;
  if (isStatic(url)) {
    event.respondWith(cacheFirst(request, event));
  } else if (isKept(url)) {
    event.respondWith(networkFirst(request, url, event));
  }
});

function cacheFirst(request, event) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (found) {
      if (found) return found;
      return fetch(request).then(function (response) {
        if (response.ok && response.type === "basic" && !request.headers.has("range")) {
          event.waitUntil(cache.put(request, response.clone()));
        }
        return response;
      });
    });
  });
}

function networkFirst(request, url, event) {
  var key = pageKey(url);
  var kept = function () {
    return caches.open(PAGES_CACHE).then(function (cache) { return cache.match(key, { ignoreVary: true }); });
  };
  var network = fetch(request).then(function (response) {
    if (response.ok && response.type === "basic") {
      var copy = response.clone();
      event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) { return cache.put(key, copy); }));
    } else if ([401, 403, 404, 410].indexOf(response.status) >= 0) {
      // No longer theirs to see: forget the kept copy.
      event.waitUntil(caches.open(PAGES_CACHE).then(function (cache) { return cache.delete(key); }));
    }
    return response;
  });
  return new Promise(function (resolve, reject) {
    var settled = false;
    var settle = function (response) {
      if (!settled) {
        settled = true;
        resolve(response);
      }
    };
    // Slow: the kept copy now, if there is one; otherwise keep waiting for the network.
    var timer = setTimeout(function () {
      kept().then(function (found) {
        if (found) settle(found);
      });
    }, NETWORK_TIMEOUT_MS);
    network.then(
      function (response) {
        clearTimeout(timer);
        if (response.status < 500) return settle(response);
        // The server is down or overloaded: the kept copy works better at the gate than an error page.
        kept().then(function (found) {
          settle(found || response);
        });
      },
      function (error) {
        clearTimeout(timer);
        kept().then(function (found) {
          if (found) settle(found);
          else if (!settled) {
            settled = true;
            reject(error);
          }
        });
      }
    );
  });
}

// The scanner's way to the server, with or without a network (README: "Check-in offline").
//
//   SciVisitCheckin.init({visitId, scanUrl, batchUrl, bundleUrl, attendanceUrl, csrfToken, messages, onChange})
//   SciVisitCheckin.submit({ticket, direction}) -> Promise<{status, reason, message, volunteer, queued, ...}>
//   SciVisitCheckin.pending() -> how many scans wait to be sent
//
// Every scan gets a random scan id and the time it was made. Online it is sent at once; a failed or slow
// request (2.5 s) counts as no network, whatever navigator.onLine says. Then the scan is answered at once
// from the visit's bundle (SHA-256 of "<visit>:<secret>" or "<visit>:<CODE>" for each live ticket, the
// revoked ones, the visit's times) and queued in IndexedDB. The queue is sent on load, when the network
// returns, when the page becomes visible, every 20 s and after each scan, oldest first; an entry leaves it
// only when the server has answered for its scan id, which counts each scan once however often it arrives.
// A scan let in here that the server then refused (another offline phone let the ticket in first) is kept
// in `refused`, which onChange reports. onChange(state) gets {pending, online, syncing, lastSyncAt, bundle,
// ready, problem, refused, attendance} after every change.
(function () {
  "use strict";

  var offline = window.SciVisitCheckinBundle; // static/js/checkin-bundle.js
  var SEND_TIMEOUT_MS = 2500;
  var SYNC_TIMEOUT_MS = 10000;
  var SYNC_EVERY_MS = 20000;
  var REFRESH_EVERY_MS = 60000;
  var BATCH_SIZE = 100; // the API takes at most 200
  var REFUSED_KEPT = 50; // a visit's refused scans listed, at most
  var REFUSED_DAYS = 7; // and for how long
  var MAX_TICKET = 200; // the API's limit
  var RANK = { missing: 0, in: 1, out: 2 };

  var options = null;
  var visitId = null;
  var messages = {};
  var store = null; // IndexedDB, or memory when the browser has none
  var queue = []; // the queue as last read or written, oldest first
  var unsaved = {}; // scan id -> entry queued here and not (yet) in IndexedDB
  var bundleRecord = null; // {visit_id, etag, bundle, fetched_at}
  var index = null; // the bundle, for looking tickets up (SciVisitCheckinBundle.indexOf)
  var known = {}; // signup id -> "in" | "out": what the server said last
  var refused = [];
  var state = { online: true, syncing: false, lastSyncAt: null, problem: null, ready: false, attendance: null };
  var loading = null;
  var syncing = null;
  var lastRefresh = 0;

  // ---------------------------------------------------------------- small helpers

  function quietly(promise) {
    return promise.catch(function () { return undefined; });
  }

  function newScanId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return offline.hex(bytes);
  }

  // An aware ISO 8601 time, as the API wants it.
  function isoTime(ms) {
    return new Date(ms).toISOString().replace("Z", "+00:00");
  }

  function message(reason) {
    return messages[reason] || reason;
  }

  function emit() {
    showRefused();
    if (options && typeof options.onChange === "function") {
      try {
        options.onChange(snapshot());
      } catch (error) {
        if (window.console) console.error(error);
      }
    }
  }

  // The page's list of scans let in here and refused by the server (#checkin-refused, if the page has one).
  function showRefused() {
    var section = document.getElementById("checkin-refused");
    var list = section && section.querySelector("ul");
    if (!list) return;
    var lang = document.documentElement.lang || undefined;
    list.textContent = "";
    refused.forEach(function (item) {
      var line = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = item.name || "";
      var time = document.createElement("time");
      time.dateTime = item.scanned_at;
      time.textContent = new Date(item.scanned_at).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
      line.appendChild(name);
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(time);
      line.appendChild(document.createTextNode(" · " + item.message));
      list.appendChild(line);
    });
    section.hidden = !refused.length;
  }

  function snapshot() {
    var bundle = bundleRecord && bundleRecord.bundle;
    return {
      pending: queue.length,
      online: state.online,
      syncing: state.syncing,
      lastSyncAt: state.lastSyncAt,
      problem: state.problem,
      ready: state.ready,
      bundle: bundle
        ? {
            version: bundle.version,
            tickets: bundle.tickets.length,
            expires_at: bundle.expires_at,
            fetched_at: bundleRecord.fetched_at,
          }
        : null,
      refused: refused.slice(),
      attendance: state.attendance,
    };
  }

  function markReady() {
    // A hook for the page's CSS and for tests: this phone can check scans offline now.
    var ready = !!(bundleRecord && state.workerReady);
    if (ready !== state.ready) {
      state.ready = ready;
      document.documentElement.setAttribute("data-checkin-offline", ready ? "ready" : "not-ready");
    }
  }

  // ---------------------------------------------------------------- the network

  // One request with a deadline. -> {kind: "answer", data} | {kind: "offline"} | {kind: "login"}
  //                                | {kind: "refused", code, message} (the server will not take it as it is)
  function send(method, url, body, timeoutMs, extraHeaders) {
    if (navigator.onLine === false) return Promise.resolve({ kind: "offline" });
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () {
      if (controller) controller.abort();
    }, timeoutMs);
    var headers = { Accept: "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = options.csrfToken || "";
    }
    Object.keys(extraHeaders || {}).forEach(function (name) {
      headers[name] = extraHeaders[name];
    });
    var request = fetch(url, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal: controller ? controller.signal : undefined,
    });
    var deadline = new Promise(function (resolve) {
      setTimeout(resolve, timeoutMs + 50, null); // without AbortController, stop waiting all the same
    });
    return Promise.race([request, deadline])
      .then(function (response) {
        if (!response) return { kind: "offline" };
        state.online = true;
        if (response.status === 304) return { kind: "answer", status: 304, response: response, data: null };
        if (response.status >= 500 || response.status === 408 || response.status === 429) return { kind: "offline" };
        return response.json().then(
          function (data) {
            var error = data && data.error;
            if (response.ok) return { kind: "answer", status: response.status, response: response, data: data };
            if (response.status === 401 || response.status === 403 || (error && error.code === "csrf_failed")) {
              return { kind: "login" };
            }
            if ([400, 413, 422].indexOf(response.status) < 0) return { kind: "offline" }; // a 404: try again later
            return { kind: "refused", code: (error && error.code) || "error", message: (error && error.message) || "" };
          },
          function () {
            return { kind: "offline" }; // not the API answering (a captive portal, a proxy's page)
          }
        );
      })
      .catch(function () {
        return { kind: "offline" };
      })
      .then(function (result) {
        clearTimeout(timer); // the body too was read in time (aborting also stops reading it)
        if (result.kind === "offline") state.online = false;
        if (result.kind === "login") state.problem = "login";
        else if (result.kind === "answer" && state.problem === "login") state.problem = null;
        return result;
      });
  }

  function wire(entry) {
    return {
      ticket: entry.ticket,
      direction: entry.direction,
      scan_id: entry.scan_id,
      scanned_at: entry.scanned_at,
      visit_id: entry.visit_id,
    };
  }

  // A page kept by the service worker may carry an old session's CSRF token: take the one the page has now.
  function refreshCsrfToken() {
    return fetch(location.pathname + location.search, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var field = page.querySelector("input[name=csrf_token]");
        if (field && field.value) options.csrfToken = field.value;
      })
      .catch(function () { return undefined; });
  }

  // ---------------------------------------------------------------- the bundle

  function useBundle(record) {
    bundleRecord = record;
    index = null;
    if (!record) return;
    index = offline.indexOf(record.bundle);
  }

  function refreshBundle() {
    var headers = {};
    if (bundleRecord && bundleRecord.etag) headers["If-None-Match"] = bundleRecord.etag;
    return send("GET", options.bundleUrl, undefined, SYNC_TIMEOUT_MS, headers).then(function (result) {
      if (result.kind !== "answer") return;
      var fetchedAt = new Date().toISOString();
      if (result.status === 304 && bundleRecord) {
        bundleRecord.fetched_at = fetchedAt;
      } else if (result.data && result.data.visit_id === visitId) {
        useBundle({ visit_id: visitId, etag: result.response.headers.get("ETag"), bundle: result.data, fetched_at: fetchedAt });
      } else {
        return;
      }
      markReady();
      return quietly(store.put("bundles", bundleRecord));
    });
  }

  function refreshAttendance() {
    if (!options.attendanceUrl) return Promise.resolve();
    return send("GET", options.attendanceUrl, undefined, SYNC_TIMEOUT_MS).then(function (result) {
      if (result.kind !== "answer" || !result.data || !result.data.people) return;
      state.attendance = result.data;
      known = {};
      result.data.people.forEach(function (person) {
        if (person.state === "in" || person.state === "out") known[person.signup_id] = person.state;
      });
      return saveKnown();
    });
  }

  function refresh(force) {
    if (!force && Date.now() - lastRefresh < REFRESH_EVERY_MS) return Promise.resolve();
    lastRefresh = Date.now();
    return Promise.all([refreshBundle(), refreshAttendance()]).then(emit);
  }

  function saveKnown() {
    return quietly(store.put("states", { visit_id: visitId, states: known }));
  }

  // Where the signup stands as far as this phone knows: the server's last word, or a scan still queued here.
  function presence(signupId) {
    var best = known[signupId] || "missing";
    queue.forEach(function (entry) {
      if (entry.visit_id !== visitId || !entry.local || entry.local.signup_id !== signupId) return;
      if (entry.local.reason !== "ok") return;
      var now = entry.direction === "in" ? "in" : "out";
      if (RANK[now] > RANK[best]) best = now;
    });
    return best;
  }

  // What the server says, applied to what this phone knows.
  function learn(signupId, direction, reason) {
    if (!signupId) return;
    var before = known[signupId];
    if (reason === "not_checked_in") delete known[signupId];
    else if (direction === "in" && (reason === "ok" || reason === "already_checked_in")) {
      if (before !== "out") known[signupId] = "in";
    } else if (direction === "out" && (reason === "ok" || reason === "already_checked_out")) known[signupId] = "out";
    if (known[signupId] !== before) saveKnown();
  }

  function volunteerOf(found) {
    if (!found || !found.ticket) return null;
    return { name: found.ticket.name, role: found.ticket.role, role_label: found.ticket.role, company: null };
  }

  // ---------------------------------------------------------------- scans and the queue

  function submit(scan) {
    return (loading || Promise.reject(new Error("SciVisitCheckin.init first"))).then(function () {
      var ticket = String((scan && scan.ticket) || "").trim();
      var direction = scan && scan.direction === "out" ? "out" : "in";
      var scannedMs = Date.now();
      var entry = {
        visit_id: visitId,
        scan_id: newScanId(),
        ticket: ticket.slice(0, MAX_TICKET),
        direction: direction,
        scanned_at: isoTime(scannedMs),
      };
      var looked = offline.lookup(index, ticket).catch(function () { return null; });
      return looked.then(function (found) {
        if (!ticket || ticket.length > MAX_TICKET) return answerOffline(entry, {}, scannedMs, false);
        // Queued scans go first, so the server sees them in the order they were made.
        var before = queue.length ? within(sync(), SEND_TIMEOUT_MS) : Promise.resolve();
        return before.then(function () {
          if (queue.length) return { kind: "offline" };
          return send("POST", options.scanUrl, wire(entry), SEND_TIMEOUT_MS);
        }).then(function (result) {
          if (result.kind === "answer" && result.data) {
            learn(found && found.ticket && found.ticket.signup_id, direction, result.data.reason);
            emit();
            return answered(result.data, false);
          }
          if (result.kind === "refused") {
            emit();
            return { status: "error", reason: result.code, message: result.message, volunteer: null, queued: false };
          }
          return answerOffline(entry, found, scannedMs, true);
        });
      });
    });
  }

  function answered(data, queued) {
    return {
      status: data.status,
      reason: data.reason,
      message: data.message || message(data.reason),
      volunteer: data.volunteer || null,
      repeated: !!data.repeated,
      scanned_at: data.scanned_at,
      queued: queued,
    };
  }

  function answerOffline(entry, found, scannedMs, keep) {
    var signupId = found && found.ticket ? found.ticket.signup_id : null;
    var reason = offline.reasonFor(index, found, entry.direction, presence(signupId), scannedMs);
    var volunteer = volunteerOf(found);
    var answer = {
      status: reason === "ok" ? "ok" : "error",
      reason: reason,
      message: message(reason),
      volunteer: volunteer,
      repeated: false,
      scanned_at: entry.scanned_at,
      queued: keep,
    };
    if (!keep) return Promise.resolve(answer);
    // Failed scans are queued too: the server keeps every attempt, and may know a ticket the bundle does not.
    entry.local = { reason: reason, signup_id: signupId, name: volunteer ? volunteer.name : null };
    // Two scans in one millisecond (or under a stopped clock) keep the order they were made in.
    entry.order = queue.reduce(function (most, other) { return Math.max(most, other.order || 0); }, 0) + 1;
    queue.push(entry);
    unsaved[entry.scan_id] = entry;
    emit();
    return store
      .put("queue", entry)
      .then(function () {
        delete unsaved[entry.scan_id];
      })
      .catch(function () {
        /* IndexedDB full or gone: the entry stays in memory (unsaved) and is sent from there */
      })
      .then(function () {
        setTimeout(sync, 0);
        return answer;
      });
  }

  function within(promise, ms) {
    return Promise.race([promise, new Promise(function (resolve) { setTimeout(resolve, ms); })]);
  }

  function byTime(a, b) {
    return a.scanned_at < b.scanned_at ? -1 : a.scanned_at > b.scanned_at ? 1 : (a.order || 0) - (b.order || 0);
  }

  function reloadQueue() {
    return quietly(store.all("queue")).then(function (entries) {
      var seen = {};
      entries = entries || [];
      entries.forEach(function (entry) {
        seen[entry.scan_id] = true;
      });
      Object.keys(unsaved).forEach(function (id) {
        if (!seen[id]) entries.push(unsaved[id]);
      });
      queue = entries.sort(byTime);
    });
  }

  // Send the queue, oldest first, until it is empty or the network fails. One run at a time.
  function sync() {
    if (syncing) return syncing;
    if (!options) return Promise.resolve();
    syncing = reloadQueue()
      .then(function () {
        if (!queue.length || navigator.onLine === false) return;
        state.syncing = true;
        emit();
        return (state.problem === "login" ? refreshCsrfToken() : Promise.resolve()).then(sendQueue);
      })
      .catch(function (error) {
        if (window.console) console.error(error);
      })
      .then(function () {
        syncing = null;
        state.syncing = false;
        emit();
      });
    return syncing;
  }

  function sendQueue() {
    var chunk = queue.slice(0, BATCH_SIZE);
    if (!chunk.length) return Promise.resolve();
    return send("POST", options.batchUrl, { scans: chunk.map(wire) }, SYNC_TIMEOUT_MS).then(function (result) {
      if (result.kind === "answer" && result.data && result.data.results) {
        var byId = {};
        chunk.forEach(function (entry) {
          byId[entry.scan_id] = entry;
        });
        var done = result.data.results.filter(function (item) { return byId[item.scan_id]; });
        return Promise.all(done.map(function (item) { return acknowledge(byId[item.scan_id], item); })).then(function () {
          state.lastSyncAt = new Date().toISOString();
          return done.length ? sendQueue() : undefined;
        });
      }
      // The batch as a whole was refused (one entry the server cannot read): send them one by one.
      if (result.kind === "refused") return sendEach(chunk.slice());
    });
  }

  function sendEach(entries) {
    var entry = entries.shift();
    if (!entry) return sendQueue();
    return send("POST", options.scanUrl, wire(entry), SYNC_TIMEOUT_MS).then(function (result) {
      if (result.kind === "answer" && result.data) return acknowledge(entry, result.data).then(function () { return sendEach(entries); });
      if (result.kind === "refused") {
        return acknowledge(entry, { status: "error", reason: result.code, message: result.message }).then(function () {
          return sendEach(entries);
        });
      }
    });
  }

  // The server answered for this scan: it leaves the queue; a scan let in here but refused there is reported.
  function acknowledge(entry, result) {
    queue = queue.filter(function (other) { return other.scan_id !== entry.scan_id; });
    delete unsaved[entry.scan_id];
    var signupId = entry.local && entry.local.signup_id;
    if (entry.visit_id === visitId) learn(signupId, entry.direction, result.reason);
    var work = [quietly(store.remove("queue", entry.scan_id))];
    if (entry.local && entry.local.reason === "ok" && result.reason !== "ok") {
      var item = {
        scan_id: entry.scan_id,
        visit_id: entry.visit_id,
        name: (result.volunteer && result.volunteer.name) || entry.local.name,
        direction: entry.direction,
        scanned_at: entry.scanned_at,
        reason: result.reason,
        message: result.message || message(result.reason),
      };
      if (entry.visit_id === visitId) refused.unshift(item);
      var dropped = refused.splice(REFUSED_KEPT);
      work.push(quietly(store.put("refused", item)));
      dropped.forEach(function (old) {
        work.push(quietly(store.remove("refused", old.scan_id)));
      });
    }
    return Promise.all(work).then(emit);
  }

  // ---------------------------------------------------------------- start

  function load() {
    return offline.openStore()
      .then(function (opened) {
        store = opened;
        return Promise.all([
          reloadQueue(),
          quietly(store.get("bundles", visitId)),
          quietly(store.get("states", visitId)),
          quietly(store.all("refused")),
        ]);
      })
      .then(function (found) {
        var record = found[1];
        if (record && Date.parse(record.bundle.expires_at) < Date.now()) {
          quietly(store.remove("bundles", visitId)); // names of people: kept no longer than it is any use
          record = null;
        }
        useBundle(record || null);
        known = (found[2] && found[2].states) || {};
        var oldest = new Date(Date.now() - REFUSED_DAYS * 24 * 3600 * 1000).toISOString();
        refused = (found[3] || []).filter(function (item) {
          if (item.scanned_at >= oldest) return true;
          quietly(store.remove("refused", item.scan_id));
          return false;
        });
        refused = refused
          .filter(function (item) { return item.visit_id === visitId; })
          .sort(function (a, b) { return a.scanned_at < b.scanned_at ? 1 : -1; });
        markReady();
        emit();
      });
  }

  function startWorker() {
    var registered = window.SciVisitServiceWorker
      ? window.SciVisitServiceWorker.ready
      : "serviceWorker" in navigator && window.isSecureContext
        ? navigator.serviceWorker.register(options.serviceWorkerUrl || "/sw.js", { scope: "/" }).then(
            function () { return true; },
            function () { return false; }
          )
        : Promise.resolve(false);
    registered.then(function (ok) {
      state.workerReady = !!ok;
      markReady();
      emit();
    });
  }

  function init(settings) {
    if (options) return loading;
    options = settings || {};
    visitId = Number(options.visitId);
    if (!options.csrfToken) {
      var field = document.querySelector("input[name=csrf_token]");
      options.csrfToken = field ? field.value : "";
    }
    // Reason code -> words in the page's language: given, or from the page (#checkin-messages, offline_views.py).
    var shown = document.getElementById("checkin-messages");
    var sources = [options.messages || options.reasons || {}];
    try {
      if (shown) sources.push(JSON.parse(shown.textContent));
    } catch (error) {
      /* the page's messages are a convenience: the codes stand in for them */
    }
    sources.forEach(function (source) {
      Object.keys(source).forEach(function (key) {
        if (!(key in messages)) messages[key] = source[key];
      });
    });
    loading = load();
    loading.then(function () {
      startWorker();
      if (navigator.storage && navigator.storage.persist) quietly(navigator.storage.persist());
      sync();
      refresh(true);
      window.addEventListener("online", function () {
        state.online = true;
        emit();
        sync().then(function () { return refresh(true); });
      });
      window.addEventListener("offline", function () {
        state.online = false;
        emit();
      });
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") sync().then(function () { return refresh(false); });
      });
      setInterval(function () {
        sync().then(function () { return refresh(false); });
      }, SYNC_EVERY_MS);
    });
    return loading;
  }

  window.SciVisitCheckin = {
    init: init,
    submit: submit,
    pending: function () {
      return queue.length;
    },
  };
})();

// What a scanner knows without a network (README: "Check-in offline"), for static/js/checkin-queue.js:
// where it keeps things (IndexedDB, or memory where a browser has none), and the visit's bundle with the
// rules of checkin.scans that a phone can check alone. Load it before checkin-queue.js.
//
// The bundle holds, for each live ticket, SHA-256 of "<visit id>:<secret>" and of "<visit id>:<CODE>" (the
// short code, upper case, no dash), never the secret; the revoked tickets' hashes; the visit's times.
(function () {
  "use strict";

  var DB_NAME = "scivisit-checkin";
  var DB_VERSION = 1;
  var STORES = { queue: "scan_id", bundles: "visit_id", states: "visit_id", refused: "scan_id" };
  var HOUR_MS = 3600 * 1000;
  var EARLY_MS = 2 * HOUR_MS; // checkin.scans.EARLY
  var LATE_CHECKOUT_MS = 2 * HOUR_MS; // checkin.scans.LATE_CHECKOUT
  var CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"; // checkin.tickets.CODE_ALPHABET
  var CODE_LENGTH = 8;
  var SECRET = /^[A-Za-z0-9_-]{22}$/;

  // ---------------------------------------------------------------- storage: all, get, put, remove

  function openStore() {
    return new Promise(function (resolve) {
      var request;
      try {
        request = window.indexedDB && window.indexedDB.open(DB_NAME, DB_VERSION);
      } catch (error) {
        request = null; // a private window that refuses storage
      }
      if (!request) return resolve(memoryStore());
      request.onupgradeneeded = function () {
        var db = request.result;
        Object.keys(STORES).forEach(function (name) {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, { keyPath: STORES[name] });
        });
      };
      request.onsuccess = function () {
        resolve(idbStore(request.result));
      };
      request.onerror = request.onblocked = function () {
        resolve(memoryStore());
      };
    });
  }

  function idbStore(db) {
    function run(name, mode, act) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var request = act(tx.objectStore(name));
        tx.oncomplete = function () {
          resolve(request.result);
        };
        tx.onerror = tx.onabort = function () {
          reject(tx.error);
        };
      });
    }
    return {
      all: function (name) {
        return run(name, "readonly", function (s) { return s.getAll(); });
      },
      get: function (name, key) {
        return run(name, "readonly", function (s) { return s.get(key); });
      },
      put: function (name, value) {
        return run(name, "readwrite", function (s) { return s.put(value); });
      },
      remove: function (name, key) {
        return run(name, "readwrite", function (s) { return s.delete(key); });
      },
    };
  }

  function memoryStore() {
    var stores = { queue: {}, bundles: {}, states: {}, refused: {} };
    return {
      all: function (name) {
        return Promise.resolve(Object.keys(stores[name]).map(function (k) { return stores[name][k]; }));
      },
      get: function (name, key) {
        return Promise.resolve(stores[name][key]);
      },
      put: function (name, value) {
        stores[name][value[STORES[name]]] = value;
        return Promise.resolve();
      },
      remove: function (name, key) {
        delete stores[name][key];
        return Promise.resolve();
      },
    };
  }

  // ---------------------------------------------------------------- tickets

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  function sha256(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (digest) {
      return hex(new Uint8Array(digest));
    });
  }

  // checkin.tickets.secret_from: a ticket URL (…/t/<secret>) or the secret itself.
  function secretFrom(text) {
    var candidate = text.trim().replace(/\/+$/, "");
    var at = candidate.lastIndexOf("/t/");
    if (at >= 0) candidate = candidate.slice(at + 3).split("/")[0].split("?")[0];
    return SECRET.test(candidate) ? candidate : null;
  }

  // checkin.tickets.normalise_code: upper case, without spaces or the dash.
  function normaliseCode(text) {
    var cleaned = text.replace(/[\s-]/g, "").toUpperCase();
    if (cleaned.length !== CODE_LENGTH) return null;
    for (var i = 0; i < cleaned.length; i++) if (CODE_ALPHABET.indexOf(cleaned[i]) < 0) return null;
    return cleaned;
  }

  // The bundle, for looking tickets up by hash.
  function indexOf(bundle) {
    var index = { visitId: bundle.visit_id, bundle: bundle, tickets: {}, codes: {}, revoked: {} };
    bundle.tickets.forEach(function (ticket) {
      index.tickets[ticket.hash] = ticket;
      index.codes[ticket.code_hash] = ticket;
    });
    bundle.revoked.forEach(function (hash) {
      index.revoked[hash] = true;
    });
    return index;
  }

  // The bundle's ticket for what was scanned or typed: {ticket} | {revoked: true} | {} (unknown)
  // | null (nothing to check against: no bundle, or no crypto.subtle outside a secure context).
  function lookup(index, text) {
    if (!index || !window.crypto || !crypto.subtle) return Promise.resolve(null);
    var secret = secretFrom(text);
    if (secret) {
      return sha256(index.visitId + ":" + secret).then(function (hash) {
        if (index.tickets[hash]) return { ticket: index.tickets[hash] };
        return index.revoked[hash] ? { revoked: true } : {};
      });
    }
    var code = normaliseCode(text);
    if (!code) return Promise.resolve({});
    return sha256(index.visitId + ":" + code).then(function (hash) {
      return index.codes[hash] ? { ticket: index.codes[hash] } : {};
    });
  }

  // checkin.scans's rules, as far as a phone without a network can check them: `found` from lookup, `presence`
  // where the ticket's signup stands as far as this phone knows ("missing", "in" or "out"), `nowMs` the scan.
  function reasonFor(index, found, direction, presence, nowMs) {
    if (!found) return "unchecked";
    if (found.revoked) return "revoked";
    if (!found.ticket) return "unknown_ticket";
    var bundle = index.bundle;
    if (nowMs < Date.parse(bundle.starts_at) - EARLY_MS) return "too_early";
    if (direction === "in") {
      if (nowMs > Date.parse(bundle.ends_at)) return "too_late";
      return presence === "missing" ? "ok" : "already_checked_in";
    }
    if (nowMs > Date.parse(bundle.ends_at) + LATE_CHECKOUT_MS) return "too_late";
    // Someone may have been checked in on another phone since this one last heard: only a check-out seen here
    // refuses; the server decides the rest when the scan is sent.
    return presence === "out" ? "already_checked_out" : "ok";
  }

  window.SciVisitCheckinBundle = {
    openStore: openStore,
    hex: hex,
    indexOf: indexOf,
    lookup: lookup,
    reasonFor: reasonFor,
  };
})();

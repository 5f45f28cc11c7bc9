// The scanner at the school gate (templates/checkin/scanner.html). Without this script the page is a form that
// takes a typed code; with it the phone's camera reads tickets continuously (about seven frames a second), a
// photo of a ticket is read the same way, and the typed code no longer reloads the page. Each scan goes through
// static/js/checkin-queue.js (window.SciVisitCheckin), which answers online, or offline from the visit's bundle
// and queues the scan; this file never sends a scan itself unless that module is missing (`directQueue`).
//
// Decoding: the browser's BarcodeDetector only when getSupportedFormats() resolves with "qr_code" (in WeChat,
// QQ and Xiaomi browsers it exists and throws), otherwise zxing-wasm's reader (static/vendor/zxing-wasm/, its
// wasm fetched from there, never from a CDN). Every word shown comes translated from the page
// (#scanner-config).
(function () {
  "use strict";

  var configNode = document.getElementById("scanner-config");
  if (!configNode || !window.Promise || !window.JSON) return;
  var config = JSON.parse(configNode.textContent);
  var text = config.text;

  /** The same ticket seen again this soon by the camera is the same scan: one QR held up fires once. */
  var IGNORE_SAME_MS = 3000;
  /** Time between two frames read from the camera (about seven a second). */
  var FRAME_MS = 140;
  /** The roll call is asked for again this often, and after every scan. */
  var ROLL_EVERY_MS = 20000;
  /** The longest side of a frame or photo handed to the decoder: enough for a ticket held in the frame. */
  var DECODE_SIDE = 960;
  var PHOTO_SIDE = 1600;

  function byId(id) {
    return document.getElementById(id);
  }

  var form = byId("manual-scan");
  var codeInput = form.elements.code;
  var panel = byId("scan-answer");
  var announce = byId("scan-announce");
  var cameraSection = byId("camera");
  var video = byId("camera-video");
  var cameraState = byId("camera-state");
  var cameraToggle = byId("camera-toggle");
  var csrfToken = form.elements.csrf_token.value;
  var inWeChat = /MicroMessenger/i.test(navigator.userAgent);

  function direction() {
    var chosen = document.querySelector("input[name=direction]:checked");
    return chosen ? chosen.value : "in";
  }

  // ------------------------------------------------------------------ sending scans

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  // Only when static/js/checkin-queue.js is missing: each scan straight to the API, online only.
  function directQueue() {
    var settings = {};
    return {
      init: function (given) {
        settings = given;
      },
      pending: function () {
        return 0;
      },
      submit: function (scan) {
        var body = {
          ticket: scan.ticket,
          direction: scan.direction,
          scan_id: randomId(),
          scanned_at: new Date().toISOString().replace("Z", "+00:00"),
          visit_id: settings.visitId,
        };
        return fetch(settings.scanUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": settings.csrfToken },
          body: JSON.stringify(body),
        }).then(function (response) {
          return response.json().then(function (answer) {
            if (answer.error) return { status: "error", reason: answer.error.code, message: answer.error.message };
            answer.queued = false;
            return answer;
          });
        });
      },
    };
  }

  var queue = window.SciVisitCheckin || directQueue();
  queue.init({
    visitId: config.visitId,
    scanUrl: config.scanUrl,
    batchUrl: config.batchUrl,
    bundleUrl: config.bundleUrl,
    attendanceUrl: config.attendanceUrl,
    csrfToken: csrfToken,
    onChange: showPending,
  });

  // The queue's news (checkin-queue.js onChange): scans waiting, a fresh roll call after a sync, a lapsed login.
  // The queue repeats its last roll call with every change; only a roll call it has not told before is shown,
  // or an old one would undo what this page fetched since.
  var queueRoll = null;

  function showPending(state) {
    var node = byId("scan-pending");
    var waiting = queue.pending();
    node.hidden = !waiting;
    node.textContent = waiting ? (waiting === 1 ? text.pendingOne : text.pendingOther).replace("{n}", waiting) : "";
    if (state && state.attendance && state.attendance !== queueRoll) {
      queueRoll = state.attendance;
      showRoll(state.attendance);
    }
    var login = byId("scan-login");
    if (login) login.hidden = !(state && state.problem === "login");
  }

  // ------------------------------------------------------------------ answering

  var audio = null;

  // Browsers let a page make sound only after a tap: the first tap anywhere prepares it.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      try {
        audio = new Context();
      } catch (e) {
        audio = null;
      }
    }
    if (audio && audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", unlockAudio);

  function beep(ok) {
    if (!audio || audio.state !== "running") return;
    var start = audio.currentTime;
    var tones = ok ? [[880, 0, 0.12]] : [[220, 0, 0.16], [220, 0.24, 0.16]];
    tones.forEach(function (tone) {
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.25, start + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.001, start + tone[1] + tone[2]);
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(start + tone[1]);
      oscillator.stop(start + tone[1] + tone[2] + 0.02);
    });
  }

  function say(words) {
    // Emptied first, so the same words twice in a row are announced twice.
    announce.textContent = "";
    window.setTimeout(function () {
      announce.textContent = words;
    }, 50);
  }

  function show(answer, scannedDirection) {
    var ok = answer.status === "ok";
    var reason = answer.reason || (ok ? "ok" : "unknown_ticket");
    var person = answer.volunteer || null;
    var title = ok
      ? scannedDirection === "out"
        ? text.checkedOut
        : text.checkedIn
      : config.reasons[reason] || answer.message || reason;
    var role = person ? person.role_label || person.role || "" : "";
    panel.className = "scan-answer " + (ok ? "ok" : "error");
    panel.dataset.reason = reason;
    panel.querySelector(".scan-answer-title").textContent = title;
    panel.querySelector(".scan-answer-name").textContent = person ? person.name : "";
    panel.querySelector(".scan-answer-role").textContent =
      person && person.company ? role + " · " + person.company : role;
    var queued = panel.querySelector(".scan-answer-queued");
    queued.hidden = !answer.queued;
    queued.textContent = answer.queued ? text.queued : "";
    panel.hidden = false;
    void panel.offsetWidth; // restarts the pulse of a new answer
    panel.classList.add("fresh");
    say(person ? title + ": " + person.name + (role ? ", " + role : "") : title);
    if (navigator.vibrate) navigator.vibrate(ok ? 80 : [200, 100, 200]);
    beep(ok);
  }

  function showUnreachable() {
    show({ status: "error", reason: "unreachable", message: text.unreachable }, direction());
  }

  // ------------------------------------------------------------------ one scan

  var working = 0; // scans sent and not yet answered, or waiting their turn
  var turn = Promise.resolve(); // scans are answered one after another, in the order they were made
  var last = { ticket: null, at: 0 };

  // Milliseconds on a clock that only moves forward (the phone's date may be changed, or fixed in a test).
  function moment() {
    return window.performance && performance.now ? performance.now() : Date.now();
  }

  // One scan: from the camera (skipped while another is being answered, and the same ticket again within
  // IGNORE_SAME_MS), or a photo or a typed code (always answered, after any scan before it).
  function handle(ticket, fromCamera) {
    ticket = (ticket || "").trim();
    if (!ticket) return Promise.resolve(null);
    if (fromCamera && (working || (ticket === last.ticket && moment() - last.at < IGNORE_SAME_MS))) {
      return Promise.resolve(null);
    }
    var scannedDirection = direction();
    last = { ticket: ticket, at: moment() };
    working += 1;
    setState(text.checking);
    var answered = turn
      .then(function () {
        return queue.submit({ ticket: ticket, direction: scannedDirection });
      })
      .then(
        function (answer) {
          show(answer, scannedDirection);
          return answer;
        },
        function () {
          showUnreachable();
          return null;
        }
      )
      .then(function (answer) {
        working -= 1;
        if (ticket === last.ticket) last.at = moment(); // the quiet time runs from the answer
        setState(camera.running ? text.ready : "");
        showPending();
        refreshRoll();
        return answer;
      });
    turn = answered;
    return answered;
  }

  // ------------------------------------------------------------------ decoders

  function nativeDecoder() {
    // In WeChat, QQ and Xiaomi browsers BarcodeDetector exists but throws: any failure means "not this one".
    try {
      if (!("BarcodeDetector" in window)) return Promise.resolve(null);
      return Promise.resolve(window.BarcodeDetector.getSupportedFormats())
        .then(function (formats) {
          if (!formats || formats.indexOf("qr_code") < 0) return null;
          var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return {
            name: "native",
            decode: function (source) {
              return detector.detect(source).then(function (found) {
                return found.map(function (code) {
                  return code.rawValue;
                });
              });
            },
          };
        })
        .catch(function () {
          return null;
        });
    } catch (e) {
      return Promise.resolve(null);
    }
  }

  function zxingDecoder() {
    var zxing = window.ZXingWASM;
    if (!zxing) return null;
    zxing.prepareZXingModule({
      overrides: {
        locateFile: function (path, prefix) {
          return /\.wasm$/.test(path) ? config.wasmUrl + path : prefix + path;
        },
      },
      fireImmediately: true, // fetched now, while there is a network, not at the first scan
    }).catch(function () {
      /* offline before it was ever fetched: the next read tries again */
    });
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return {
      name: "zxing",
      decode: function (source, width, height) {
        canvas.width = width;
        canvas.height = height;
        context.drawImage(source, 0, 0, width, height);
        var options = { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 };
        return zxing.readBarcodes(context.getImageData(0, 0, width, height), options).then(function (results) {
          return results
            .filter(function (result) {
              return result.isValid !== false && result.text;
            })
            .map(function (result) {
              return result.text;
            });
        });
      },
    };
  }

  var decoder = null;
  var decoderReady = nativeDecoder().then(function (native) {
    decoder = native || zxingDecoder();
    if (decoder) cameraSection.dataset.decoder = decoder.name;
    return decoder;
  });

  // Reads `source` (a video, an image bitmap) scaled to at most `side` pixels on its longest side.
  function decode(source, width, height, side) {
    var scale = Math.min(1, side / Math.max(width, height));
    var w = Math.max(1, Math.round(width * scale));
    var h = Math.max(1, Math.round(height * scale));
    return decoder.decode(source, w, h).catch(function (error) {
      if (decoder.name !== "native") throw error;
      // The browser's detector failed at work: zxing-wasm from now on.
      decoder = zxingDecoder();
      if (!decoder) throw error;
      cameraSection.dataset.decoder = decoder.name;
      return decoder.decode(source, w, h);
    });
  }

  // ------------------------------------------------------------------ the camera

  var camera = { running: false, stream: null, timer: null, wanted: true };

  function setState(words) {
    cameraState.textContent = words;
  }

  function showHelp(cameraFailed) {
    byId("camera-help").hidden = false;
    byId("help-wechat").hidden = !inWeChat;
    byId("help-camera").hidden = !cameraFailed;
  }

  function startCamera() {
    camera.wanted = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraSection.hidden = true;
      showHelp(true);
      return Promise.resolve();
    }
    cameraSection.hidden = false;
    cameraToggle.textContent = text.stop;
    setState(text.starting);
    var wanted = { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } };
    return navigator.mediaDevices
      .getUserMedia({ video: wanted, audio: false })
      .then(function (stream) {
        camera.stream = stream;
        video.srcObject = stream;
        return video.play();
      })
      .then(function () {
        camera.running = true;
        cameraSection.dataset.state = "running";
        setState(text.ready);
        nextFrame();
      })
      .catch(function () {
        stopCamera();
        cameraSection.hidden = true;
        showHelp(true);
      });
  }

  function stopCamera() {
    camera.running = false;
    window.clearTimeout(camera.timer);
    if (camera.stream) {
      camera.stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    camera.stream = null;
    video.srcObject = null;
    cameraSection.dataset.state = "stopped";
    cameraToggle.textContent = text.start;
    setState(text.stopped);
  }

  function nextFrame() {
    window.clearTimeout(camera.timer);
    if (camera.running) camera.timer = window.setTimeout(readFrame, FRAME_MS);
  }

  function readFrame() {
    if (!camera.running) return;
    if (working || !decoder || video.readyState < 2 || !video.videoWidth) {
      nextFrame();
      return;
    }
    decode(video, video.videoWidth, video.videoHeight, DECODE_SIDE)
      .then(function (found) {
        if (found.length) return handle(found[0], true);
      })
      .catch(function () {
        /* a frame that cannot be read: the next one */
      })
      .then(nextFrame);
  }

  cameraToggle.addEventListener("click", function () {
    if (camera.running || camera.stream) {
      camera.wanted = false;
      stopCamera();
    } else {
      startCamera();
    }
  });

  // The camera rests while the page is hidden (another app, a locked phone) and comes back with it.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      var wanted = camera.wanted;
      if (camera.running) stopCamera();
      camera.wanted = wanted;
    } else if (camera.wanted && !camera.running) {
      startCamera();
    }
  });

  // ------------------------------------------------------------------ a photo, a typed code

  var photoInput = byId("ticket-photo");
  photoInput.addEventListener("change", function () {
    var file = photoInput.files && photoInput.files[0];
    photoInput.value = "";
    if (!file) return;
    setState(text.checking);
    decoderReady
      .then(function () {
        if (!decoder) throw new Error("no decoder");
        return window.createImageBitmap(file);
      })
      .then(function (bitmap) {
        return decode(bitmap, bitmap.width, bitmap.height, PHOTO_SIDE);
      })
      .then(
        function (found) {
          if (found.length) return handle(found[0], false);
          show({ status: "error", reason: "no_code", message: text.noCode }, direction());
        },
        function () {
          show({ status: "error", reason: "no_code", message: text.noCode }, direction());
        }
      )
      .then(function () {
        setState(camera.running ? text.ready : "");
      });
  });

  form.addEventListener("submit", function (event) {
    if (!codeInput.value.trim()) return; // the browser says the field is required
    event.preventDefault();
    var typed = codeInput.value;
    handle(typed, false).then(function (answer) {
      // a code that worked makes room for the next; one that did not stays, to be corrected
      if (answer && answer.status === "ok" && codeInput.value === typed) codeInput.value = "";
    });
  });

  // ------------------------------------------------------------------ who is here

  var clock = (function () {
    var options = { hour: "numeric", minute: "2-digit", timeZone: config.timezone };
    try {
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options);
    } catch (e) {
      delete options.timeZone;
      return new Intl.DateTimeFormat(undefined, options);
    }
  })();

  function personItem(person) {
    var item = document.createElement("li");
    item.dataset.signup = person.signup_id;
    var name = document.createElement("span");
    name.className = "roll-name";
    name.textContent = person.name;
    var role = document.createElement("span");
    role.className = "roll-role";
    role.textContent = person.role_label || person.role || "";
    item.append(name, " ", role);
    if (person.state !== "missing") {
      item.dataset.state = person.state;
      var times = document.createElement("span");
      times.className = "roll-time";
      var said = text.since.replace("{time}", clock.format(new Date(person.checked_in_at)));
      if (person.checked_out_at) said += ", " + text.left.replace("{time}", clock.format(new Date(person.checked_out_at)));
      times.textContent = said;
      item.append(" ", times);
    }
    return item;
  }

  function fillList(list, people, empty) {
    var items = people.map(personItem);
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "roll-empty";
      none.textContent = empty;
      items.push(none);
    }
    list.replaceChildren.apply(list, items);
  }

  function showRoll(roll) {
    ["in", "out", "missing"].forEach(function (state) {
      document.querySelector("[data-count=" + state + "]").textContent = roll.counts[state];
    });
    var missing = roll.people.filter(function (p) {
      return p.state === "missing";
    });
    var arrived = roll.people.filter(function (p) {
      return p.state !== "missing";
    });
    fillList(byId("roll-missing"), missing, text.allHere);
    fillList(byId("roll-arrived"), arrived, text.noneYet);
  }

  var rollTimer = null;
  // Each roll call asked for is numbered: an answer that arrives after a later one's (a slow network, a
  // scan's own refresh overtaking the timer's) is older news and is dropped.
  var rollAsked = 0;
  var rollShown = 0;

  function refreshRoll() {
    window.clearTimeout(rollTimer);
    rollTimer = window.setTimeout(refreshRoll, ROLL_EVERY_MS);
    var asked = ++rollAsked;
    return fetch(config.attendanceUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (roll) {
        if (asked < rollShown) return;
        rollShown = asked;
        showRoll(roll);
      })
      .catch(function () {
        /* no network: the list stays as it was, and the next try comes */
      });
  }

  rollTimer = window.setTimeout(refreshRoll, ROLL_EVERY_MS);
  showPending();
  if (inWeChat) showHelp(false);
  decoderReady.then(function (found) {
    if (!found) {
      // Nothing can read a QR code here (the decoder's files did not load): the code form stays.
      showHelp(true);
      return;
    }
    byId("photo").hidden = false;
    return startCamera();
  });
})();

// The guest page: one button places a WebRTC call to the appliance, the conversation shows
// as it happens. No build step, no framework.
"use strict";

const $ = (id) => document.getElementById(id);
const talk = { pc: null, ws: null, mic: null, remoteStream: null, sessionId: null, state: "idle", config: null };
window.talk = talk;

function setStatus(text, problem = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("problem", problem);
}

function setState(state) {
  talk.state = state;
  const button = $("talk");
  button.classList.toggle("live", state === "live" || state === "connecting");
  button.textContent = state === "idle" ? "Talk" : "Hang up";
  button.disabled = !talk.config || !talk.config.enabled;
  $("mute").hidden = state !== "live";
  $("show-keypad").hidden = state !== "live";
  if (state !== "live") showKeypad(false);
}

// The keypad sends what a phone's keys would: numbers the agent asks for can be typed.
function showKeypad(open) {
  $("keypad").hidden = !open;
  $("show-keypad").setAttribute("aria-expanded", String(open));
}

function sendKey(digit) {
  if (talk.ws && talk.ws.readyState === WebSocket.OPEN && talk.state === "live") {
    talk.ws.send(JSON.stringify({ type: "key", digit }));
  }
}

let partial = null;
function addLine(who, text, cls = "") {
  const li = document.createElement("li");
  li.className = `${who} ${cls}`.trim();
  li.textContent = text;
  $("transcript").append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

function onEvent(message) {
  switch (message.type) {
    case "answer":
      talk.sessionId = message.session_id;
      talk.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
      break;
    case "transcript":
      if (message.final) {
        if (partial) partial.remove();
        partial = null;
        addLine("caller", message.text, "final");
      } else if (partial) {
        partial.textContent = message.text;
      } else {
        partial = addLine("caller", message.text, "partial");
      }
      break;
    case "reply":
      talk.replyLine = addLine("agent", message.text);
      break;
    case "heard":
      if (talk.replyLine && message.interrupted) talk.replyLine.textContent = message.text;
      talk.replyLine = null;
      break;
    case "quality": {
      const parts = [];
      if (message.jitter_ms != null) parts.push(`jitter ${Math.round(message.jitter_ms)} ms`);
      if (message.packet_loss_pct != null) parts.push(`loss ${message.packet_loss_pct.toFixed(1)} %`);
      if (message.rtt_ms != null) parts.push(`round trip ${Math.round(message.rtt_ms)} ms`);
      $("quality").hidden = parts.length === 0;
      $("quality").textContent = `Connection: ${parts.join(", ")}`;
      break;
    }
    case "ended":
      finish("The conversation has ended. Tap Talk to start again.");
      break;
    case "error":
      finish(message.message, true);
      break;
  }
}

function waitForIce(pc, timeoutMs) {
  // The appliance does not trickle ICE: the offer goes with every candidate in it.
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, timeoutMs);
  });
}

// Each tap of Talk is one attempt; a hang-up ends it, and whatever it was still waiting for
// (the microphone, ICE, the socket) is dropped when it arrives.
let attempt = 0;
let dropTimer = null;

async function start() {
  const mine = ++attempt;
  setState("connecting");
  setStatus("Asking for your microphone…");
  const ec = talk.config.echo_cancellation;
  try {
    const mic = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: ec, noiseSuppression: ec, autoGainControl: ec },
    });
    if (mine !== attempt) { mic.getTracks().forEach((t) => t.stop()); return; }
    talk.mic = mic;
  } catch (err) {
    if (mine !== attempt) return;
    setState("idle");
    const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
    setStatus(denied
      ? "Microphone access was denied. Allow the microphone for this page in your browser's settings, then tap Talk."
      : `No microphone could be used (${err && err.name ? err.name : err}).`, true);
    return;
  }
  setStatus("Connecting…");
  const pc = new RTCPeerConnection({ iceServers: talk.config.ice_servers });
  talk.pc = pc;
  talk.remoteStream = new MediaStream();
  $("reply").srcObject = talk.remoteStream;
  pc.ontrack = (event) => { talk.remoteStream.addTrack(event.track); $("reply").play().catch(() => {}); };
  const dropped = () => finish("The connection dropped. Check your network and tap Talk to try again.", true);
  pc.onconnectionstatechange = () => {
    if (pc !== talk.pc) return;
    clearTimeout(dropTimer);
    if (pc.connectionState === "connected") {
      setState("live");
      setStatus("Connected. Go ahead and speak.");
    } else if (pc.connectionState === "disconnected") {
      // Often passing (Wi-Fi roaming, a phone changing networks): give it a few seconds.
      setStatus("Reconnecting…");
      dropTimer = setTimeout(dropped, 5000);
    } else if (pc.connectionState === "failed") {
      dropped();
    }
  };
  for (const track of talk.mic.getAudioTracks()) pc.addTrack(track, talk.mic);
  await pc.setLocalDescription(await pc.createOffer());
  await waitForIce(pc, 3000);
  if (mine !== attempt) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/voice/webrtc`);
  talk.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
  ws.onmessage = (event) => { if (ws === talk.ws) onEvent(JSON.parse(event.data)); };
  ws.onclose = () => {
    if (ws === talk.ws && talk.state !== "idle") {
      finish("The connection to the front desk was lost. Tap Talk to try again.", true);
    }
  };
}

function finish(message, problem = false) {
  attempt++;
  clearTimeout(dropTimer);
  const { pc, ws, mic } = talk;
  talk.pc = talk.ws = talk.mic = null;
  if (ws) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "hangup" }));
    ws.close(); // a socket still connecting is closed before its offer goes
  }
  if (pc) pc.close();
  if (mic) mic.getTracks().forEach((t) => t.stop());
  partial = null;
  setState("idle");
  $("mute").setAttribute("aria-pressed", "false");
  $("mute").textContent = "Mute";
  setStatus(message, problem);
}

$("talk").addEventListener("click", () => {
  if (talk.state === "idle") {
    const mine = attempt + 1;
    // A failure of an attempt already hung up is not news to the guest.
    start().catch((err) => { if (mine === attempt) finish(`The call could not start: ${err}`, true); });
  }
  else finish("You hung up. Tap Talk to start again.");
});

$("mute").addEventListener("click", () => {
  if (!talk.mic) return;
  const muted = $("mute").getAttribute("aria-pressed") !== "true";
  talk.mic.getAudioTracks().forEach((t) => { t.enabled = !muted; });
  $("mute").setAttribute("aria-pressed", String(muted));
  $("mute").textContent = muted ? "Unmute" : "Mute";
  setStatus(muted ? "Muted: the front desk cannot hear you." : "Go ahead and speak.");
});

$("show-keypad").addEventListener("click", () => showKeypad($("keypad").hidden));
$("keypad").addEventListener("click", (event) => {
  const key = event.target.closest("button[data-key]");
  if (key) sendKey(key.dataset.key);
});

window.addEventListener("pagehide", () => { if (talk.state !== "idle") finish(""); });

(async () => {
  try {
    const response = await fetch("/voice/webrtc/config");
    talk.config = await response.json();
  } catch (err) {
    setStatus("The front desk cannot be reached right now. Please try again later.", true);
    return;
  }
  $("hotel").textContent = talk.config.hotel;
  document.title = `Talk to ${talk.config.hotel}`;
  setState("idle");
  if (!talk.config.enabled) {
    setStatus("The voice assistant is not available right now. Please call the front desk.", true);
  } else if (!navigator.mediaDevices || !window.RTCPeerConnection) {
    $("talk").disabled = true;
    setStatus("This browser cannot make voice calls from this address (it needs https or a modern browser).", true);
  } else {
    setStatus("Tap Talk and allow the microphone.");
  }
})();

// The playground page. It only draws: the server trains the deepzoo model and sends
// frames over a WebSocket (see deepzoo/playground/server.py for the messages).
"use strict";

const $ = (id) => document.getElementById(id);
const ORANGE = [245, 147, 34], WHITE = [232, 234, 235], BLUE = [8, 119, 189];
const state = { options: null, layers: [4, 2], features: ["x1", "x2"], points: null,
                history: { train: [], test: [] }, playing: false, weights: null };
let socket = null;

// ------------------------------------------------------------------ set-up
async function start() {
  state.options = await (await fetch("/api/options")).json();
  const d = state.options.defaults;
  state.layers = d.layers.slice();
  state.features = d.features.slice();
  fillSelect("dataset", state.options.datasets, d.dataset);
  fillSelect("activation", state.options.activations, d.activation);
  fillSelect("loss", state.options.losses, d.loss);
  fillSelect("optimizer", state.options.optimizers, d.optimizer);
  fillSelect("regularization", state.options.regularizations, d.regularization);
  buildFeatures();
  buildLayers();
  for (const id of ["dataset", "activation", "loss", "optimizer", "regularization", "regularization_rate",
                    "learning_rate", "seed", "noise", "train_fraction", "batch_size"]) {
    $(id).addEventListener("change", sendSettings);
    const shown = $(id + "-value");
    if (shown) $(id).addEventListener("input", () => { shown.textContent = $(id).value; });
  }
  $("play").addEventListener("click", () => setPlaying(!state.playing));
  $("step").addEventListener("click", () => { setPlaying(false); send({ type: "step" }); });
  $("reset").addEventListener("click", () => { state.history = { train: [], test: [] }; send({ type: "reset" }); });
  $("show-code").addEventListener("click", () => send({ type: "code" }));
  $("add-layer").addEventListener("click", () => changeLayers(() => {
    if (state.layers.length < state.options.limits.layers) state.layers.push(2);
  }));
  $("remove-layer").addEventListener("click", () => changeLayers(() => state.layers.pop()));
  window.addEventListener("resize", drawLinks);
  connect();
}

function fillSelect(id, choices, chosen) {
  const select = $(id);
  const entries = Array.isArray(choices) ? choices.map((c) => [c, c]) : Object.entries(choices);
  for (const [value, label] of entries) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    option.selected = value === chosen;
    select.appendChild(option);
  }
}

function buildFeatures() {
  const box = $("features");
  box.innerHTML = "";
  for (const name of state.options.features) {
    const label = document.createElement("label");
    const check = document.createElement("input");
    check.type = "checkbox";
    check.value = name;
    check.checked = state.features.includes(name);
    check.addEventListener("change", () => {
      const chosen = [...box.querySelectorAll("input:checked")].map((c) => c.value);
      if (chosen.length === 0) { check.checked = true; return; }  // at least one input
      state.features = chosen;
      buildLayers();
      sendSettings();
    });
    label.append(check, " " + name);
    box.appendChild(label);
  }
}

function changeLayers(change) {
  change();
  buildLayers();
  sendSettings();
}

// One column per layer: the inputs, each hidden layer (its units' maps), the output.
function buildLayers() {
  const layers = $("layers");
  layers.innerHTML = "";
  $("layer-count").textContent = `${state.layers.length} hidden layer${state.layers.length === 1 ? "" : "s"}`;
  const inputs = column("inputs");
  for (const name of state.features) {
    const box = document.createElement("div");
    box.className = "unit";
    box.title = name;
    box.textContent = name;
    box.style.fontSize = "0.7rem";
    inputs.appendChild(box);
  }
  layers.appendChild(inputs);
  state.layers.forEach((units, index) => {
    const col = column(`${units} unit${units === 1 ? "" : "s"}`);
    const buttons = document.createElement("div");
    buttons.className = "layer-buttons";
    const more = document.createElement("button"), fewer = document.createElement("button");
    more.textContent = "+";
    fewer.innerHTML = "&minus;";
    more.addEventListener("click", () => changeLayers(() => {
      state.layers[index] = Math.min(state.layers[index] + 1, state.options.limits.units);
    }));
    fewer.addEventListener("click", () => changeLayers(() => {
      state.layers[index] = Math.max(state.layers[index] - 1, 1);
    }));
    buttons.append(more, fewer);
    col.prepend(buttons);
    for (let j = 0; j < units; j++) {
      const canvas = document.createElement("canvas");
      canvas.className = "unit hidden-unit";
      canvas.dataset.layer = index;
      canvas.dataset.unit = j;
      col.appendChild(canvas);
    }
    layers.appendChild(col);
  });
  const output = column("output");
  const out = document.createElement("canvas");
  out.className = "unit";
  out.id = "output-unit";
  output.appendChild(out);
  layers.appendChild(output);
}

function column(title) {
  const col = document.createElement("div");
  col.className = "layer";
  const label = document.createElement("div");
  label.className = "layer-label";
  label.textContent = title;
  col.appendChild(label);
  return col;
}

// --------------------------------------------------------------- talking
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.onopen = sendSettings;
  socket.onmessage = (event) => handle(JSON.parse(event.data));
  socket.onclose = () => { setPlaying(false); showError("The connection to the playground server is closed."); };
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function settings() {
  return {
    dataset: $("dataset").value, noise: Number($("noise").value),
    train_fraction: Number($("train_fraction").value) / 100, batch_size: Number($("batch_size").value),
    features: state.features, layers: state.layers, activation: $("activation").value, loss: $("loss").value,
    optimizer: $("optimizer").value, learning_rate: Number($("learning_rate").value),
    regularization: $("regularization").value, regularization_rate: Number($("regularization_rate").value),
    seed: Number($("seed").value),
  };
}

function sendSettings() {
  setPlaying(false);
  state.history = { train: [], test: [] };
  send({ type: "settings", settings: settings() });
}

function setPlaying(playing) {
  state.playing = playing;
  $("play").innerHTML = playing ? "&#10074;&#10074; Pause" : "&#9654; Play";
  send({ type: playing ? "play" : "pause" });
}

function showError(text) { $("error").textContent = text; }

function handle(message) {
  if (message.type === "points") {
    state.points = message;
    showError("");
    $("code-panel").hidden = true;
  } else if (message.type === "frame") {
    drawFrame(message);
  } else if (message.type === "code") {
    $("code").textContent = message.code;
    $("keras-code").textContent = message.keras;
    $("code-panel").hidden = false;
    $("code-panel").scrollIntoView();
  } else if (message.type === "error") {
    setPlaying(false);
    showError(message.message);
  }
}

// --------------------------------------------------------------- drawing
function colour(t) {  // 0 -> orange, 0.5 -> grey-white, 1 -> blue
  const [a, b, s] = t < 0.5 ? [ORANGE, WHITE, t * 2] : [WHITE, BLUE, (t - 0.5) * 2];
  return a.map((v, i) => Math.round(v + (b[i] - v) * s));
}

function decode(text) {
  const raw = atob(text), bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function paint(canvas, text, size) {  // a size x size map of bytes onto a canvas
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext("2d"), image = context.createImageData(size, size), bytes = decode(text);
  bytes.forEach((value, i) => {
    const [r, g, b] = colour(value / 255);
    image.data.set([r, g, b, 255], i * 4);
  });
  context.putImageData(image, 0, 0);
}

function drawFrame(frame) {
  $("epoch").textContent = frame.epoch;
  $("rate").textContent = frame.steps_per_second;
  $("test-loss").textContent = frame.test_loss.toFixed(3);
  $("train-loss").textContent = frame.train_loss.toFixed(3);
  state.history.train.push(frame.train_loss);
  state.history.test.push(frame.test_loss);
  const small = document.createElement("canvas");
  paint(small, frame.surface, frame.surface_size);
  const surface = $("surface"), context = surface.getContext("2d");
  context.imageSmoothingEnabled = true;
  context.drawImage(small, 0, 0, surface.width, surface.height);
  drawPoints(context, surface.width);
  const output = $("output-unit");
  if (output) paint(output, frame.surface, frame.surface_size);
  for (const canvas of document.querySelectorAll(".hidden-unit")) {
    const maps = frame.units[Number(canvas.dataset.layer)];
    if (maps) paint(canvas, maps[Number(canvas.dataset.unit)], frame.unit_size);
  }
  state.weights = frame.weights;
  drawLinks();
  drawLosses();
  $("curve").hidden = !frame.curve;
  if (frame.curve) drawCurve(frame.curve);
}

function drawPoints(context, width) {
  if (!state.points) return;
  const p = state.points, scale = width / (2 * p.extent);
  const dot = (xy, target, edge) => {
    const t = p.task === "classification" ? target : Math.min(Math.max((target + 1) / 2, 0), 1);
    const [r, g, b] = colour(t);
    context.beginPath();
    context.arc((xy[0] + p.extent) * scale, (p.extent - xy[1]) * scale, 3, 0, 2 * Math.PI);
    context.fillStyle = `rgb(${r},${g},${b})`;
    context.fill();
    context.strokeStyle = edge;
    context.stroke();
  };
  p.train.forEach((xy, i) => dot(xy, p.train_targets[i], "white"));
  p.test.forEach((xy, i) => dot(xy, p.test_targets[i], "black"));
}

function drawLinks() {
  const svg = $("links");
  svg.innerHTML = "";
  if (!state.weights) return;
  const box = $("network").getBoundingClientRect();
  const columns = [...document.querySelectorAll("#layers .layer")].map(
    (col) => [...col.querySelectorAll(".unit")].map((unit) => {
      const r = unit.getBoundingClientRect();
      return [r.left - box.left + r.width / 2, r.top - box.top + r.height / 2, r.width / 2];
    }));
  state.weights.forEach((kernel, layer) => {
    const from = columns[layer], to = columns[layer + 1];
    if (!from || !to) return;
    const biggest = Math.max(1e-6, ...kernel.flat().map(Math.abs));
    kernel.forEach((row, i) => row.forEach((w, j) => {
      if (!from[i] || !to[j]) return;
      const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
      line.setAttribute("x1", from[i][0] + from[i][2]);
      line.setAttribute("y1", from[i][1]);
      line.setAttribute("x2", to[j][0] - to[j][2]);
      line.setAttribute("y2", to[j][1]);
      line.setAttribute("stroke", w >= 0 ? "rgb(8,119,189)" : "rgb(245,147,34)");
      line.setAttribute("stroke-width", (0.5 + 4 * Math.abs(w) / biggest).toFixed(2));
      line.setAttribute("stroke-opacity", "0.7");
      svg.appendChild(line);
    }));
  });
}

function drawSeries(context, values, low, high, width, height, style, lineWidth) {
  if (values.length < 2) return;
  context.beginPath();
  values.forEach((v, i) => {
    const x = (i / (values.length - 1)) * width, y = height - ((v - low) / (high - low || 1)) * height;
    if (i === 0) context.moveTo(x, y); else context.lineTo(x, y);
  });
  context.strokeStyle = style;
  context.lineWidth = lineWidth;
  context.stroke();
}

function drawLosses() {
  const canvas = $("loss-chart"), context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const all = state.history.train.concat(state.history.test).filter(Number.isFinite);
  const high = Math.max(1e-6, ...all);
  drawSeries(context, state.history.train, 0, high, canvas.width, canvas.height, "#999", 1.5);
  drawSeries(context, state.history.test, 0, high, canvas.width, canvas.height, "#222", 1.5);
}

function drawCurve(curve) {  // universal approximation: sin, the fit, and each unit's part of it
  const canvas = $("curve"), context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const series = [curve.target, curve.fit].concat(curve.units || []);
  const values = series.flat();
  const low = Math.min(...values), high = Math.max(...values);
  (curve.units || []).forEach((unit) => drawSeries(context, unit, low, high, canvas.width, canvas.height,
                                                     "rgba(8,119,189,0.5)", 1));
  drawSeries(context, curve.target, low, high, canvas.width, canvas.height, "rgba(0,0,0,0.25)", 5);
  drawSeries(context, curve.fit, low, high, canvas.width, canvas.height, "#b00020", 2);
}

start();

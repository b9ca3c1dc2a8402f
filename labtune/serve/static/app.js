// labtune web chat: plain JS, no dependencies, talks to this server's OpenAI-compatible API.
"use strict";

const $ = (id) => document.getElementById(id);
const conversation = [];  // [{role, content}] sent with every request: the server keeps no state
let model = null;
let controller = null;  // AbortController of the answer being streamed

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api-key").value || localStorage.getItem("labtune-api-key");
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

function addMessage(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = role;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  div.append(who, body);
  $("log").append(div);
  $("log").scrollTop = $("log").scrollHeight;
  return body;
}

function busy(on) {
  $("send").disabled = on;
  $("stop").disabled = !on;
}

async function loadModel() {
  const response = await fetch("/v1/models", { headers: headers() });
  if (response.status === 401) {
    $("key-label").hidden = false;
    $("status").textContent = "This server needs an API key.";
    return;
  }
  const data = await response.json();
  model = data.data[0].id;
  $("model-name").textContent = model;
  $("status").textContent = "";
}

// Reads an OpenAI server-sent-event stream and calls onDelta with each piece of content.
async function readStream(response, onDelta, onNotes) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let finish = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith("data: ")) continue;
      const data = event.slice(6);
      if (data === "[DONE]") return finish;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      const choice = chunk.choices[0];
      if (choice && choice.delta.content) onDelta(choice.delta.content);
      if (choice && choice.finish_reason) finish = choice.finish_reason;
      if (chunk.labtune && chunk.labtune.notes) onNotes(chunk.labtune.notes);
    }
  }
  return finish;
}

// The notes an open-book answer used (the server's extra `labtune.notes` field), under the answer.
function showNotes(out, notes) {
  if (!notes.length) return;
  const line = document.createElement("span");
  line.className = "notes";
  line.textContent = "notes: " + notes.join(", ");
  out.parentElement.append(line);
}

let first = 0;  // index of the oldest message still sent: older ones no longer fit the context
let trimmed = false;  // whether the answer being streamed needed older messages dropped

function body() {
  return JSON.stringify({
    model: model,
    messages: conversation.slice(first),
    stream: true,
    temperature: Number($("temperature").value),
    max_tokens: Number($("max-tokens").value),
  });
}

// Sends the history; when the server says it exceeds the context, drops the oldest exchange and
// tries again, as `labtune chat` trims its history.
async function requestAnswer() {
  for (;;) {
    const response = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), signal: controller.signal, body: body(),
    });
    if (response.ok) return response;
    const error = await response.json().catch(() => ({}));
    const info = error.error || {};
    const nextUser = conversation.findIndex((m, i) => i > first && m.role === "user");
    if (info.code === "context_length_exceeded" && nextUser > first) {
      first = nextUser;
      trimmed = true;
      $("status").textContent = "(oldest messages dropped: the history no longer fits the model's context)";
      continue;
    }
    throw new Error(info.message || response.statusText);
  }
}

async function send(text) {
  conversation.push({ role: "user", content: text });
  addMessage("user", text);
  const out = addMessage("assistant", "");
  out.parentElement.classList.add("streaming");
  busy(true);
  controller = new AbortController();
  let answer = "";
  trimmed = false;
  try {
    const response = await requestAnswer();
    const finish = await readStream(response, (piece) => {
      answer += piece;
      out.textContent = answer;
      $("log").scrollTop = $("log").scrollHeight;
    }, (notes) => showNotes(out, notes));
    $("status").textContent = [trimmed ? "(oldest messages dropped to fit the context)" : "",
                               finish === "length" ? "(stopped at max tokens)" : ""].join(" ").trim();
  } catch (err) {
    if (err.name !== "AbortError") {
      out.parentElement.classList.add("error");
      out.textContent = answer + (answer ? "\n" : "") + "error: " + err.message;
      $("status").textContent = "";
    }
  } finally {
    out.parentElement.classList.remove("streaming");
    out.parentElement.classList.add("done");
    conversation.push({ role: "assistant", content: answer });
    controller = null;
    busy(false);
  }
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("input").value.trim();
  if (!text || controller) return;
  $("input").value = "";
  send(text);
});

$("input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});

$("stop").addEventListener("click", () => controller && controller.abort());

$("reset").addEventListener("click", () => {
  if (controller) controller.abort();
  conversation.length = 0;
  first = 0;
  $("log").replaceChildren();
  $("status").textContent = "";
  $("input").focus();
});

$("api-key").addEventListener("change", () => {
  localStorage.setItem("labtune-api-key", $("api-key").value);
  loadModel();
});

loadModel();

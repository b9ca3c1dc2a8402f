// labtune arena: one question, two anonymous answers, a vote, then the names. Plain JS, no dependencies.
"use strict";

const $ = (id) => document.getElementById(id);
let match = null;  // {id, question, answer_a, answer_b} being voted on

function voterId() {
  let id = localStorage.getItem("labtune-voter-id");
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(6));
    id = "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("labtune-voter-id", id);
  }
  return $("voter").value.trim() || id;
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api-key").value || localStorage.getItem("labtune-api-key");
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

function status(text) { $("status").textContent = text; }

function votingOpen(open) {
  for (const button of document.querySelectorAll("button.vote")) button.disabled = !open;
  $("next").hidden = open;
}

// A fetch whose JSON errors ({"error": {"message"}}) become the status line; null when it failed.
async function call(path, options) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: headers() });
  } catch (err) {
    status("Cannot reach the server: " + err.message);
    return null;
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) {
    $("key-label").hidden = false;
    status("This arena needs an API key: type it above, then reload.");
    return null;
  }
  if (!response.ok) {
    status((data.error && data.error.message) || "HTTP " + response.status);
    return null;
  }
  return data;
}

async function loadInfo() {
  const info = await call("/api/info", {});
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (info) {
    $("info").textContent = [plural(info.models, "model"), plural(info.questions, "question"),
                             plural(info.votes, "vote")].join(", ");
  }
}

async function nextMatch() {
  votingOpen(false);
  $("next").hidden = true;
  for (const side of ["a", "b"]) {
    $("name-" + side).hidden = true;
    $("name-" + side).textContent = "";
    $("box-" + side).classList.remove("winner");
  }
  status("Loading a question…");
  match = await call("/api/match", {});
  if (!match) return;
  $("question").textContent = match.question;
  $("answer-a").textContent = match.answer_a;
  $("answer-b").textContent = match.answer_b;
  status("Which answer is better?");
  votingOpen(true);
}

async function vote(winner) {
  if (!match) return;
  for (const button of document.querySelectorAll("button.vote")) button.disabled = true;
  const key = $("api-key").value;
  if (key) localStorage.setItem("labtune-api-key", key);
  const result = await call("/api/vote", {
    method: "POST", body: JSON.stringify({ id: match.id, winner: winner, voter: voterId() }),
  });
  if (!result) { votingOpen(true); return; }
  $("name-a").textContent = result.model_a;
  $("name-b").textContent = result.model_b;
  $("name-a").hidden = $("name-b").hidden = false;
  if (winner === "a" || winner === "b") $("box-" + winner).classList.add("winner");
  const said = { a: "A is better", b: "B is better", tie: "a tie", bothbad: "both are bad" }[winner];
  status(`Vote recorded (${said}). A was ${result.model_a}, B was ${result.model_b}.`);
  match = null;
  $("next").hidden = false;
  $("next").focus();
  loadInfo();
}

for (const button of document.querySelectorAll("button.vote")) {
  button.addEventListener("click", () => vote(button.dataset.winner));
}
$("next").addEventListener("click", nextMatch);
$("voter").value = localStorage.getItem("labtune-voter-name") || "";
$("voter").addEventListener("change", () => localStorage.setItem("labtune-voter-name", $("voter").value.trim()));
loadInfo().then(nextMatch);

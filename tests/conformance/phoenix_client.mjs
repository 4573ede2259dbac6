// The official Phoenix JS client against tether-hub: the hub must be
// indistinguishable from a Phoenix server to it.
//   node phoenix_client.mjs PATH_TO_TETHER_HUB
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { Socket } from "phoenix";
import WebSocket from "ws";

const hubBinary = process.argv[2];
let passed = 0, failed = 0;

function check(name, condition, detail = "") {
  if (condition) { passed++; console.log(`ok - ${name}`); }
  else { failed++; console.log(`not ok - ${name} ${detail}`); }
}

async function startHub(port) {
  const proc = spawn(hubBinary, ["--port", String(port)], { stdio: ["ignore", "pipe", "ignore"] });
  const lines = createInterface({ input: proc.stdout });
  const [line] = await once(lines, "line");
  const match = /:(\d+)\/socket/.exec(line);
  if (!match) throw new Error(`hub did not start: ${line}`);
  return { proc, port: Number(match[1]) };
}

async function stopHub(hub) {
  hub.proc.kill("SIGTERM");
  await once(hub.proc, "exit");
}

// Resolves with [status, response] of a push (or join) reply.
function outcome(push, timeoutMs = 5000) {
  return new Promise((resolve) => {
    push.receive("ok", (r) => resolve(["ok", r]))
        .receive("error", (r) => resolve(["error", r]))
        .receive("timeout", () => resolve(["timeout", null]));
  });
}

function waitFor(predicate, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error("timed out"));
      setTimeout(tick, 20);
    };
    tick();
  });
}

const watchdog = setTimeout(() => { console.log("not ok - watchdog: 60 s passed"); process.exit(1); }, 60000);

let hub = await startHub(0);
const socket = new Socket(`ws://127.0.0.1:${hub.port}/socket`, {
  transport: WebSocket,
  params: { token: "good" },
  reconnectAfterMs: () => 100,
  rejoinAfterMs: () => 100,
  timeout: 5000,
});
let opens = 0;
socket.onOpen(() => opens++);
socket.connect();

const lobby = socket.channel("room:lobby", {});
let joins = 0;
const broadcasts = [];
lobby.on("bcast", (payload) => broadcasts.push(payload));
const [joinStatus] = await new Promise((resolve) => {
  lobby.join().receive("ok", (r) => { joins++; resolve(["ok", r]); })
              .receive("error", (r) => resolve(["error", r]));
});
check("joins room:lobby", joinStatus === "ok");

const [echoStatus, echoResponse] = await outcome(lobby.push("echo", { hello: "world", n: 1 }));
check("echo replies ok with the payload",
      echoStatus === "ok" && echoResponse.hello === "world" && echoResponse.n === 1,
      JSON.stringify(echoResponse));

const [errStatus, errResponse] = await outcome(lobby.push("err", {}));
check("err replies error with a reason", errStatus === "error" && errResponse.reason === "nope");

lobby.push("broadcast", { msg: "hi" });
await waitFor(() => broadcasts.length > 0).catch(() => {});
check("a broadcast reaches the sender", broadcasts.length === 1 && broadcasts[0].msg === "hi");

const [slowStatus, slowResponse] = await outcome(lobby.push("slow", { ms: 50 }));
check("slow replies ok after a delay", slowStatus === "ok" && slowResponse.ms === 50);

const rejected = socket.channel("room:reject", {});
const [rejectStatus, rejectResponse] = await outcome(rejected.join());
check("joining room:reject fails with unauthorized",
      rejectStatus === "error" && rejectResponse.reason === "unauthorized");
rejected.leave();

const [silentStatus] = await outcome(lobby.push("noreply", {}, 300));
check("noreply leaves the push to time out", silentStatus === "timeout");

// A crashing channel: phx_error reaches the client, which rejoins by itself.
const crashy = socket.channel("room:crashy", {});
let crashyErrors = 0, crashyJoins = 0;
crashy.onError(() => crashyErrors++);
crashy.join().receive("ok", () => crashyJoins++);
await waitFor(() => crashyJoins === 1);
crashy.push("crash", {});
await waitFor(() => crashyErrors >= 1 && crashyJoins >= 2).catch(() => {});
check("crash: phx_error, then the client rejoins", crashyErrors >= 1 && crashyJoins >= 2,
      `errors=${crashyErrors} joins=${crashyJoins}`);

// stop: the server replies, then closes the channel with phx_close.
const stopper = socket.channel("room:stopper", {});
let stopperClosed = false;
stopper.onClose(() => { stopperClosed = true; });
await outcome(stopper.join());
const [stopStatus] = await outcome(stopper.push("stop", {}));
await waitFor(() => stopperClosed).catch(() => {});
check("stop: ok reply, then phx_close", stopStatus === "ok" && stopperClosed);

// Refused connect params: the upgrade fails and the socket never opens.
const refused = new Socket(`ws://127.0.0.1:${hub.port}/socket`, {
  transport: WebSocket, params: { token: "bad" }, reconnectAfterMs: () => 10000,
});
let refusedOpens = 0, refusedErrors = 0;
refused.onOpen(() => refusedOpens++);
refused.onError(() => refusedErrors++);
refused.connect();
await waitFor(() => refusedErrors > 0).catch(() => {});
check("token=bad is refused at connect", refusedErrors > 0 && refusedOpens === 0);
refused.disconnect();

// The server restarts mid-session: the client reconnects and rejoins by itself.
await stopHub(hub);
await waitFor(() => !socket.isConnected());
hub = await startHub(hub.port);
await waitFor(() => joins >= 2).catch(() => {});
check("reconnects and rejoins after a hub restart", opens >= 2 && joins >= 2,
      `opens=${opens} joins=${joins}`);
const [againStatus, againResponse] = await outcome(lobby.push("echo", { again: true }));
check("round-trips again after the restart", againStatus === "ok" && againResponse.again === true);

socket.disconnect();
await stopHub(hub);
clearTimeout(watchdog);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

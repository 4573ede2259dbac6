// Faults on a real network path (docs/reliability.md, "Faults"). run.sh
// made two network namespaces joined by a veth pair and runs this driver in
// the client's one; tether-hub and a delaying proxy run in the server's one.
// tetherd, in the client's namespace, keeps one account joined through the
// proxy while the driver pushes through the control API and breaks the link:
//   1. 20 % loss each way (iptables' statistic match) with 200 ms delay each
//      way (the proxy), for 20 s;
//   2. a blackhole (every packet dropped) for 30 s;
//   3. link flaps (the veth down for 1.5 s twice, then for 8 s).
// Every push must get exactly one outcome: its HTTP answer, counted once in
// tether_pushes_total, the in-flight gauge back at 0; an ok answer carries
// the payload that push sent. The driver prints the figures as JSON and
// exits non-zero on any broken rule.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { waitLine } from '../support/child_output.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { TETHERD, HUB, SERVER_NS, SERVER_ADDR, SERVER_DEV, FIGURES } = process.env;
const TOKEN = 'fault-token';
const T0 = Date.now();
const log = (...a) => console.error(`[faults +${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function inServer(...cmd) {
  execFileSync('ip', ['netns', 'exec', SERVER_NS, ...cmd], { stdio: 'inherit' });
}
const iptables = (...rule) => inServer('iptables', '-w', ...rule);

const children = [];
function start(cmd, args) {
  const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(c);
  return c;
}

// --- the server side: tether-hub on the namespace's loopback, the proxy on
// the veth address in front of it.
const hub = start('ip', ['netns', 'exec', SERVER_NS, HUB, '--host', '127.0.0.1', '--port', '0']);
hub.stderr.resume();
const hubPort = (await waitLine(hub, 'stdout', /127\.0\.0\.1:(\d+)\/socket/))[1];
const proxy = start('ip', ['netns', 'exec', SERVER_NS, process.execPath,
                           join(here, 'delay_proxy.mjs'), SERVER_ADDR, '127.0.0.1', hubPort]);
proxy.stderr.resume();
const proxyPort = (await waitLine(proxy, 'stdout', /listening (\d+)/))[1];
const setDelay = async (ms) => {
  const seen = waitLine(proxy, 'stdout', new RegExp(`delay ${ms}\\b`));
  proxy.stdin.write(`delay ${ms}\n`);
  await seen;
};

// --- the client side: tetherd with fast timers, one account, one topic.
const dir = mkdtempSync(join(tmpdir(), 'tether-faults-'));
const configPath = join(dir, 'tetherd.toml');
writeFileSync(configPath, `log = "json"
[api]
listen = "127.0.0.1:0"
token = "${TOKEN}"
[transport]
connect_timeout_ms = 2000
[defaults]
heartbeat_ms = 1000
liveness_timeout_ms = 3000
liveness_max_missed = 2
reconnect_initial_ms = 250
reconnect_max_ms = 2000
join_timeout_ms = 5000
[[account]]
name = "a"
url = "ws://${SERVER_ADDR}:${proxyPort}/socket/websocket"
topics = ["room:faults"]
`);
const daemon = start(TETHERD, ['--config', configPath]);
let daemonLog = '';
daemon.stderr.on('data', (c) => { daemonLog += c; });
const apiPort = (await waitLine(daemon, 'stderr', /"port":"?(\d+)/))[1];
const base = `http://127.0.0.1:${apiPort}`;

async function api(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* metrics are text */ }
  return { status: res.status, json, text };
}

// The event stream, each event stamped with its arrival time.
const events = [];
const stream = new WebSocket(`ws://127.0.0.1:${apiPort}/events?account=a`,
                             { headers: { authorization: `Bearer ${TOKEN}` } });
stream.on('message', (m) => {
  for (const l of m.toString().trim().split('\n')) events.push({ at: Date.now(), ...JSON.parse(l) });
});
await new Promise((r, j) => { stream.on('open', r); stream.on('error', j); });

/** Waits for an event of `type` that arrived at or after `since`. */
async function eventAfter(type, since, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const e = events.find((x) => x.type === type && x.at >= since);
    if (e) return e;
    await sleep(20);
  }
  throw new Error(`no ${type} within ${ms} ms after +${since - T0} ms\n${daemonLog.slice(-4000)}`);
}

async function joined(ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = await api('GET', '/accounts/a');
    if (r.status === 200 && r.json.topics?.['room:faults'] === 'joined') return;
    await sleep(50);
  }
  throw new Error(`never joined\n${daemonLog.slice(-4000)}`);
}

// --- pushes: every one is recorded with its outcome (exactly one answer).
let nextN = 0;
let abandon = false; // set when the driver fails: every push loop ends
const pushes = [];
async function push(timeoutMs) {
  const n = nextN++;
  const record = { n, sentAt: Date.now(), answers: 0 };
  pushes.push(record);
  try {
    const r = await api('POST', '/accounts/a/push',
                        { topic: 'room:faults', event: 'echo', payload: { n }, timeout_ms: timeoutMs });
    record.answers++;
    record.status = r.status;
    record.outcome = r.status === 200 ? 'ok' : r.json?.error ?? `http_${r.status}`;
    record.answeredAt = Date.now();
    record.ms = record.answeredAt - record.sentAt;
    if (r.status === 200) assert.deepEqual(r.json.response, { n }, `push ${n} got another push's reply`);
  } catch (e) {
    record.outcome = `no_answer: ${e.message}`;
  }
  return record;
}
/** Pushes one at a time (outside any load lane, whose pushes may still wait
 *  for a reply lost with the socket) until one is answered ok. */
async function probeUntilOk(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const p = await push(Math.max(1, end - Date.now()));
    if (p.status === 200) return p;
    await sleep(50);
  }
  throw new Error(`no push answered ok within ${ms} ms\n${daemonLog.slice(-4000)}`);
}
/** Keeps `width` pushes in flight until `stop()` says so. */
function pushLoad(width, timeoutMs) {
  let running = true;
  const lanes = Array.from({ length: width }, async () => {
    while (running && !abandon) {
      const r = await push(timeoutMs);
      if (r.status !== 200) await sleep(100); // a refused push comes back at once
    }
  });
  return { stop: async () => { running = false; await Promise.all(lanes); } };
}
const tally = (list) => list.reduce((m, p) => ({ ...m, [p.outcome]: (m[p.outcome] ?? 0) + 1 }), {});
const percentile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : null;
};

const figures = {};
try {
  await joined();
  log('joined through the proxy');
  for (let i = 0; i < 10; i++) assert.equal((await push(5000)).status, 200);

  // FAULT_PHASES (e.g. "blackhole") runs a subset while investigating.
  const phases = (process.env.FAULT_PHASES ?? 'loss,blackhole,flaps').split(',');

  // 1. loss and delay
  if (phases.includes('loss')) {
    const from = pushes.length;
    const since = Date.now();
    await setDelay(200);
    iptables('-A', 'INPUT', '-i', SERVER_DEV, '-m', 'statistic', '--mode', 'random',
             '--probability', '0.2', '-j', 'DROP');
    iptables('-A', 'OUTPUT', '-o', SERVER_DEV, '-m', 'statistic', '--mode', 'random',
             '--probability', '0.2', '-j', 'DROP');
    log('20 % loss each way, 200 ms delay each way');
    const load = pushLoad(4, 15000);
    await sleep(20000);
    await load.stop();
    iptables('-F');
    await setDelay(0);
    const mine = pushes.slice(from);
    const ok = mine.filter((p) => p.outcome === 'ok');
    figures.loss_and_delay = {
      pushes: mine.length, outcomes: tally(mine),
      ok_latency_ms: { p50: percentile(ok.map((p) => p.ms), 0.5),
                       p99: percentile(ok.map((p) => p.ms), 0.99) },
      reconnects: events.filter((e) => e.type === 'disconnected' && e.at >= since).length,
    };
    log('loss and delay:', JSON.stringify(figures.loss_and_delay));
    assert.ok(ok.length > 0, 'no push got through 20 % loss');
    await joined();
  }

  // 2. a 30 s blackhole, pushes in flight when it starts
  if (phases.includes('blackhole')) {
    const from = pushes.length;
    const load = pushLoad(Number(process.env.FAULT_BLACKHOLE_LANES ?? 4), 40000);
    await sleep(Number(process.env.FAULT_BLACKHOLE_AFTER ?? 1000));
    const cut = Date.now();
    iptables('-A', 'INPUT', '-i', SERVER_DEV, '-j', 'DROP');
    iptables('-A', 'OUTPUT', '-o', SERVER_DEV, '-j', 'DROP');
    log('blackhole');
    const lost = await eventAfter('disconnected', cut, 30000);
    await sleep(Math.max(0, cut + 30000 - Date.now()));
    const healed = Date.now();
    iptables('-F');
    log('blackhole lifted');
    const rejoined = await eventAfter('topic_joined', healed, 20000);
    await sleep(1000);
    await load.stop();
    const mine = pushes.slice(from);
    figures.blackhole_30s = {
      detection_ms: lost.at - cut, cause: lost.cause,
      recovery_ms: rejoined.at - healed, pushes: mine.length, outcomes: tally(mine),
    };
    log('blackhole:', JSON.stringify(figures.blackhole_30s));
  }

  // 3. link flaps: two short ones (1.5 s, inside the liveness window: the
  // socket may ride them out on TCP's retransmissions) and a long one (8 s:
  // the peer must be judged dead while the link is down, then reconnected).
  if (phases.includes('flaps')) {
    const from = pushes.length;
    const load = pushLoad(4, 15000);
    const flaps = [];
    for (const downMs of [1500, 1500, 8000]) {
      await sleep(3000);
      const down = Date.now();
      inServer('ip', 'link', 'set', 'dev', SERVER_DEV, 'down');
      await sleep(downMs);
      const up = Date.now();
      inServer('ip', 'link', 'set', 'dev', SERVER_DEV, 'up');
      const resumed = await probeUntilOk(20000);
      const lost = events.find((e) => e.type === 'disconnected' && e.at >= down);
      flaps.push({ down_ms: up - down, socket_survived: !lost,
                   detected_after_down_ms: lost ? lost.at - down : null,
                   pushes_resumed_after_up_ms: resumed.answeredAt - up });
      if (downMs > 5000)
        assert.ok(lost, `a link down for ${downMs} ms was never judged dead`);
    }
    await sleep(1000);
    await load.stop();
    const mine = pushes.slice(from);
    figures.link_flaps = { flaps, pushes: mine.length, outcomes: tally(mine) };
    log('flaps:', JSON.stringify(figures.link_flaps));
  }

  // Every push: exactly one answer, counted once by the daemon, none left.
  await joined();
  for (const p of pushes) assert.equal(p.answers, 1, `push ${p.n}: ${p.outcome}`);
  const metrics = (await api('GET', '/metrics')).text;
  const counted = [...metrics.matchAll(/^tether_pushes_total\{[^}]*\} (\d+)$/gm)]
    .reduce((s, m) => s + Number(m[1]), 0);
  const inFlight = Number(metrics.match(/^tether_pushes_in_flight(?:\{[^}]*\})? (\d+)$/m)?.[1]);
  figures.total = { pushes: pushes.length, counted_by_daemon: counted, in_flight_after: inFlight,
                    outcomes: tally(pushes) };
  assert.equal(counted, pushes.length, 'tether_pushes_total does not count each push once');
  assert.equal(inFlight, 0, 'pushes still in flight after every answer');
  log('events:\n ', events.map(({ at, account, ...e }) => `+${at - T0} ${JSON.stringify(e)}`)
    .join('\n  '));
  console.log(JSON.stringify(figures, null, 2));
  if (FIGURES) writeFileSync(FIGURES, JSON.stringify(figures, null, 2) + '\n');
} catch (e) {
  console.error(e);
  console.error(`figures so far: ${JSON.stringify(figures)}`);
  console.error(`pushes: ${JSON.stringify(tally(pushes))}, unanswered: ${pushes.filter((p) => !p.answers).length}`);
  console.error('events:', events.map((e) => `+${e.at - T0} ${e.type}${e.cause ? ` (${e.cause})` : ''}`)
    .join('\n  '));
  abandon = true;
  process.exitCode = 1;
  try {
    const m = (await api('GET', '/metrics')).text;
    console.error(m.split('\n').filter((l) => /heartbeat|pushes|frames|liveness/.test(l)).join('\n'));
  } catch { /* the daemon is gone */ }
} finally {
  stream.close();
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  process.exit(); // with process.exitCode; a push still waiting has no one to tell
}

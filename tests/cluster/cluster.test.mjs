// Several tetherd nodes over one account list, through Redis leases
// (docs/operations.md, "Running several nodes"): redis-server (a Unix socket
// of the test's own), tether-hub counting open sockets per account
// (--overlap-param account), and three tetherd nodes, all started and
// stopped here by PID. Every test ends by stopping the hub and requiring
// that no account ever had two sockets open at once ("overlap max 1").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TETHERD = process.env.TETHERD_BINARY;
const HUB = process.env.TETHER_HUB_BINARY;
const TOKEN = 'cluster-token';
const ACCOUNTS = 30;
const LEASE_MS = 3000;
const MARGIN_MS = 900;
const CLAIM_MS = 300;
const SLACK = 1;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the first match of `pred` on a child's growing output. */
function waitOutput(child, stream, pred, ms = 10000) {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timeout; output so far:\n${text}`)), ms);
    const on = (chunk) => {
      text += chunk;
      const m = pred(text);
      if (m) { clearTimeout(timer); child[stream].off('data', on); resolve(m); }
    };
    child[stream].on('data', on);
  });
}

function ping(socketPath) {
  return new Promise((resolve) => {
    const c = connect(socketPath);
    c.on('error', () => resolve(false));
    c.on('data', (d) => { c.destroy(); resolve(d.toString().startsWith('+PONG')); });
    c.on('connect', () => c.write('PING\r\n'));
  });
}

async function startRedis(dir) {
  const sock = join(dir, 'redis.sock');
  const proc = spawn('redis-server', ['--port', '0', '--unixsocket', sock, '--unixsocketperm', '700',
    '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const end = Date.now() + 10000;
  while (Date.now() < end) {
    if (existsSync(sock) && await ping(sock)) return { proc, url: `unix:${sock}` };
    await sleep(20); // waiting for the redis process to listen
  }
  throw new Error('redis-server did not answer');
}

async function startHub(extra = []) {
  const proc = spawn(HUB, ['--port', '0', '--overlap-param', 'account', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (c) => { log += c; });
  const exited = new Promise((r) => proc.on('exit', r));
  const port = await waitOutput(proc, 'stdout', (t) => t.match(/127\.0\.0\.1:(\d+)\/socket/)?.[1]);
  return {
    proc, url: `ws://127.0.0.1:${port}/socket/websocket`,
    /** Stops the hub and answers the most sockets one account ever had
     *  open at once, and the frames that came on a socket after a later one
     *  of its account had opened. */
    async overlap() {
      proc.kill('SIGTERM');
      await exited;
      const max = log.match(/overlap max (\d+)\n/);
      const stale = log.match(/overlap stale frames (\d+)\n/);
      assert.ok(max && stale, `the hub reported no overlap lines:\n${log}`);
      return { max: Number(max[1]), stale: Number(stale[1]) };
    },
  };
}

class Node {
  constructor(dir, name, redis, hubUrl, heartbeatMs) {
    this.name = name;
    this.path = join(dir, `${name}.toml`);
    let toml = `[api]\nlisten = "127.0.0.1:0"\ntoken = "${TOKEN}"\n`
      + (heartbeatMs ? `[defaults]\nheartbeat_ms = ${heartbeatMs}\n` : '')
      + `[cluster]\nredis = "${redis}"\nnode = "${name}"\nlease_ms = ${LEASE_MS}\n`
      + `margin_ms = ${MARGIN_MS}\nclaim_interval_ms = ${CLAIM_MS}\nslack = ${SLACK}\n`;
    for (let i = 0; i < ACCOUNTS; ++i)
      toml += `[[account]]\nname = "a${i}"\nurl = "${hubUrl}"\nparams = { account = "a${i}" }\n`;
    writeFileSync(this.path, toml);
  }
  async start() {
    this.proc = spawn(TETHERD, ['--config', this.path], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.log = '';
    this.proc.stderr.on('data', (c) => { this.log += c; });
    this.exited = new Promise((r) => this.proc.on('exit', (code, signal) => r({ code, signal })));
    const port = await waitOutput(this.proc, 'stderr', (t) => t.match(/"port":(\d+)/)?.[1]);
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }
  async accounts() {
    const res = await fetch(`${this.base}/accounts`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return res.json();
  }
  /** Accounts with a socket open on this node. */
  async running() {
    return (await this.accounts()).filter((a) => a.state === 'connected' || a.state === 'joined')
      .map((a) => a.name);
  }
  stop(signal = 'SIGTERM') {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

const fair = (accounts, nodes) => Math.ceil(accounts / nodes);

/** The spread the cluster promises over `count` nodes: no node above its
 *  fair share plus the slack, and (so the newcomer is not starved) none
 *  below fair share minus the others' slack. */
const spread = (count) => (per) => Object.values(per).every(
  (n) => n <= fair(ACCOUNTS, count) + SLACK && n >= fair(ACCOUNTS, count) - (count - 1) * SLACK);

/** Polls until every account runs on exactly one of `nodes` and `pred`
 *  holds of the count per node; answers that count. */
async function settled(nodes, pred = () => true, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    const per = await Promise.all(nodes.map((n) => n.running()));
    const all = per.flat();
    last = Object.fromEntries(nodes.map((n, i) => [n.name, per[i].length]));
    if (all.length === ACCOUNTS && new Set(all).size === ACCOUNTS && pred(last)) return last;
    await sleep(50);
  }
  throw new Error(`never settled; last: ${JSON.stringify(last)}`);
}

/** Runs `body` with redis-server, a hub and tetherd nodes named `names`;
 *  then stops them and checks the hub's witnesses: no frame ever came on a
 *  socket its account had moved away from, and (unless the server itself
 *  held sockets of paused nodes open, `maxOpen` 2) no account had two
 *  sockets open at once. */
async function cluster(names, body, { hubArgs = [], heartbeatMs = 0, maxOpen = 1 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tether-cluster-'));
  const redis = await startRedis(dir);
  const hub = await startHub(hubArgs);
  const nodes = names.map((n) => new Node(dir, n, redis.url, hub.url, heartbeatMs));
  try {
    await body({ nodes, hub, dir, redis });
    for (const n of nodes) if (n.proc) await n.stop();
    const seen = await hub.overlap();
    assert.equal(seen.stale, 0, 'a node wrote on a socket its account had moved away from');
    assert.ok(seen.max <= maxOpen, `an account had ${seen.max} sockets open at once`);
    assert.ok(seen.max >= 1);
  } finally {
    for (const n of nodes) if (n.proc) n.proc.kill('SIGKILL');
    hub.proc.kill('SIGKILL');
    redis.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

test('30 accounts spread over 3 nodes, none above its fair share plus the slack', async () => {
  await cluster(['n1', 'n2', 'n3'], async ({ nodes }) => {
    await Promise.all(nodes.map((n) => n.start()));
    const per = await settled(nodes, spread(3));
    for (const [name, count] of Object.entries(per))
      assert.ok(count <= fair(ACCOUNTS, 3) + SLACK, `${name} holds ${count}: ${JSON.stringify(per)}`);
    // Hand-overs may have happened on the way: a node whose second round
    // came before a slower sibling had announced itself claimed for fewer
    // nodes and gave the excess back. Correct, and timing-dependent, so
    // not asserted here (a CI run on a loaded machine showed it).
    // Any node's /accounts names each account's holder (from its next round).
    let seen;
    const end = Date.now() + 5000;
    do {
      seen = await nodes[0].accounts();
      if (seen.every((a) => ['n1', 'n2', 'n3'].includes(a.node))) break;
      await sleep(50);
    } while (Date.now() < end);
    for (const a of seen) assert.ok(['n1', 'n2', 'n3'].includes(a.node), JSON.stringify(a));
    // Asked to start an account another node holds, a node refuses and names
    // the holder; a push there says where the account runs.
    const held = seen.find((a) => a.node !== 'n1');
    const post = (path) => fetch(`${nodes[0].base}${path}`,
      { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"topic":"room:a","event":"echo"}' });
    const start = await post(`/accounts/${held.name}/start`);
    assert.equal(start.status, 409);
    assert.match(await start.text(), new RegExp(`already_running.*${held.node}`));
    const push = await post(`/accounts/${held.name}/push`);
    assert.equal(push.status, 409);
    assert.match(await push.text(), new RegExp(`held_elsewhere.*${held.node}`));
  });
});

test('kill -9 of a node: its accounts run elsewhere within the lease and a claim interval', async () => {
  await cluster(['n1', 'n2', 'n3'], async ({ nodes }) => {
    await Promise.all(nodes.map((n) => n.start()));
    const before = await settled(nodes, spread(3));
    assert.ok(before.n3 > 0);
    const killed = Date.now();
    await nodes[2].stop('SIGKILL');
    await settled(nodes.slice(0, 2));
    const took = Date.now() - killed;
    // The lease must lapse (LEASE_MS), then a round must see it (CLAIM_MS);
    // polling and the connect add a little.
    assert.ok(took < LEASE_MS + CLAIM_MS + 2000, `failover took ${took} ms`);
    console.log(`failover after kill -9: ${took} ms`);
  });
});

test('a node that joins gets accounts handed over, with no overlap', async () => {
  await cluster(['n1', 'n2', 'n3'], async ({ nodes }) => {
    await Promise.all(nodes.slice(0, 2).map((n) => n.start()));
    await settled(nodes.slice(0, 2), spread(2));
    await nodes[2].start();
    const per = await settled(nodes, spread(3));
    assert.ok(per.n3 >= fair(ACCOUNTS, 3) - 2 * SLACK, JSON.stringify(per));
  });
});

test('a draining node hands its accounts over at once (SIGTERM)', async () => {
  await cluster(['n1', 'n2'], async ({ nodes }) => {
    await Promise.all(nodes.map((n) => n.start()));
    const before = await settled(nodes, spread(2));
    assert.ok(before.n2 > 0);
    const stopped = Date.now();
    await nodes[1].stop('SIGTERM');
    await settled(nodes.slice(0, 1));
    const took = Date.now() - stopped;
    // released, not lapsed: well under the lease's time to live
    assert.ok(took < LEASE_MS, `hand-over after SIGTERM took ${took} ms`);
    nodes[1].proc = null;
  });
});

/** Waits until no node has a socket open. */
async function allClosed(nodes, ms = LEASE_MS + 3000) {
  const end = Date.now() + ms;
  for (;;) {
    const running = (await Promise.all(nodes.map((n) => n.running()))).flat();
    if (running.length === 0) return;
    if (Date.now() > end) throw new Error(`still running: ${running}`);
    await sleep(50);
  }
}

test('SIGSTOP past the lease, on a server that closes silent sockets (as Phoenix): the '
  + 'accounts move, and the resumed node writes nothing', async () => {
  // The hub closes a socket silent for 2 s, before the paused node's leases
  // (3 s) can lapse: the server never sees two sockets of one account.
  await cluster(['n1', 'n2'], async ({ nodes }) => {
    await Promise.all(nodes.map((n) => n.start()));
    await settled(nodes, spread(2));
    nodes[0].proc.kill('SIGSTOP');
    await settled(nodes.slice(1));
    nodes[0].proc.kill('SIGCONT');
    // The resumed node finds its leases taken and stops those accounts; then,
    // a member again, it is handed its share back.
    await settled(nodes, spread(2));
    assert.match(nodes[0].log, /lease was taken/);
  }, { hubArgs: ['--idle-timeout-ms', '2000'], heartbeatMs: 500 });
});

test('SIGSTOP past the lease, on a server that keeps silent sockets open: the resumed '
  + 'node writes not one frame on its old sockets', async () => {
  // The frozen node's sockets stay open at the hub (its idle timeout is a
  // minute), so the hub sees two sockets of an account for a while; what
  // must not happen is a frame from the old one. Without the lease check in
  // the transport, the resumed node's first heartbeats would go out on them.
  await cluster(['n1', 'n2'], async ({ nodes }) => {
    await Promise.all(nodes.map((n) => n.start()));
    await settled(nodes, spread(2));
    nodes[0].proc.kill('SIGSTOP');
    await settled(nodes.slice(1));
    await sleep(1000); // past a heartbeat of n1's, due while it was frozen
    nodes[0].proc.kill('SIGCONT');
    await settled(nodes, spread(2));
    assert.match(nodes[0].log, /lease was taken/);
  }, { heartbeatMs: 500, maxOpen: 2 });
});

test('Redis gone past the margin: every socket closes (fail closed); Redis back: every '
  + 'account runs again', async () => {
  await cluster(['n1', 'n2'], async ({ nodes, redis, dir }) => {
    await Promise.all(nodes.map((n) => n.start()));
    await settled(nodes, spread(2));
    redis.proc.kill('SIGKILL');
    await allClosed(nodes);
    const back = await startRedis(dir); // empty: every lease is gone
    redis.proc = back.proc;
    await settled(nodes, spread(2), 20000);
    for (const n of nodes)
      assert.match(n.log, /lease store unreachable/);
  });
});

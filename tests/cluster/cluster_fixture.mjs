// The cluster tests' servers (docs/operations.md, "Running several nodes"):
// redis-server on a Unix socket of the test's own, tether-hub counting open
// sockets per account (--overlap-param account), and tetherd nodes over one
// account list, all started and stopped here by PID. `cluster()` ends every
// test by stopping the hub and requiring its witnesses: no account ever had
// two sockets open at once, and no frame came on a socket after its account
// had moved.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubPort, startTetherd } from '../support/child_output.mjs';

const TETHERD = process.env.TETHERD_BINARY;
const HUB = process.env.TETHER_HUB_BINARY;
const TOKEN = 'cluster-token';
export const LEASE_MS = 3000;
export const MARGIN_MS = 900;
export const CLAIM_MS = 300;
export const SLACK = 1;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ping(socketPath) {
  return new Promise((resolve) => {
    const c = connect(socketPath);
    c.on('error', () => resolve(false));
    c.on('data', (d) => { c.destroy(); resolve(d.toString().startsWith('+PONG')); });
    c.on('connect', () => c.write('PING\r\n'));
  });
}

export async function startRedis(dir) {
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

export async function startHub(extra = []) {
  const proc = spawn(HUB, ['--port', '0', '--overlap-param', 'account', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (c) => { log += c; });
  const exited = new Promise((r) => proc.on('exit', r));
  const port = await hubPort(proc);
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

export class Node {
  constructor(dir, name, redis, hubUrl,
    { accounts, heartbeatMs, leaseMs = LEASE_MS, claimMs = CLAIM_MS }) {
    this.name = name;
    this.accountCount = accounts;
    this.path = join(dir, `${name}.toml`);
    let toml = `[api]\nlisten = "127.0.0.1:0"\ntoken = "${TOKEN}"\n`
      + (heartbeatMs ? `[defaults]\nheartbeat_ms = ${heartbeatMs}\n` : '')
      + `[cluster]\nredis = "${redis}"\nnode = "${name}"\nlease_ms = ${leaseMs}\n`
      + `margin_ms = ${Math.round(leaseMs * MARGIN_MS / LEASE_MS)}\n`
      + `claim_interval_ms = ${claimMs}\nslack = ${SLACK}\n`;
    for (let i = 0; i < accounts; ++i)
      toml += `[[account]]\nname = "a${i}"\nurl = "${hubUrl}"\nparams = { account = "a${i}" }\n`;
    writeFileSync(this.path, toml);
  }
  async start() {
    this.child = await startTetherd(TETHERD, this.path);
    ({ proc: this.proc, exited: this.exited, base: this.base } = this.child);
    return this;
  }
  /** What the running process logged (a restarted node: since its restart). */
  get log() {
    return this.child.log;
  }
  get alive() {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }
  async post(path, body) {
    return fetch(`${this.base}${path}`,
      { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body });
  }
  async accounts() {
    let res;
    try {
      res = await fetch(`${this.base}/accounts`, { headers: { authorization: `Bearer ${TOKEN}` } });
    } catch (err) { // say which node, whether it still runs, and what it said last
      const how = this.alive ? 'running' : `exited (${this.proc.exitCode ?? this.proc.signalCode})`;
      throw new Error(`${this.name} (${how}) did not answer /accounts: ${err.cause?.code ?? err}\n`
        + `its log ends:\n${this.log.slice(-4000)}`);
    }
    return res.json();
  }
  /** Accounts with a socket open on this node. */
  async running() {
    return (await this.accounts()).filter((a) => a.state === 'connected' || a.state === 'joined')
      .map((a) => a.name);
  }
  stop(signal = 'SIGTERM') {
    if (this.alive) this.proc.kill(signal);
    return this.exited;
  }
}

export const fair = (accounts, nodes) => Math.ceil(accounts / nodes);

/** The spread the cluster promises over `count` nodes: no node above its
 *  fair share plus the slack, and (so the newcomer is not starved) none
 *  below fair share minus the others' slack. */
export const spread = (count) => (per, accounts) => Object.values(per).every(
  (n) => n <= fair(accounts, count) + SLACK && n >= fair(accounts, count) - (count - 1) * SLACK);

/** Polls until every account runs on exactly one of `nodes` and `pred`
 *  holds of the count per node; answers that count. */
export async function settled(nodes, pred = () => true, ms = 20000) {
  const accounts = nodes[0].accountCount;
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    const per = await Promise.all(nodes.map((n) => n.running()));
    const all = per.flat();
    last = Object.fromEntries(nodes.map((n, i) => [n.name, per[i].length]));
    if (all.length === accounts && new Set(all).size === accounts && pred(last, accounts)) return last;
    await sleep(50);
  }
  throw new Error(`never settled; last: ${JSON.stringify(last)}`);
}

/** Waits until no node has a socket open. */
export async function allClosed(nodes, ms = LEASE_MS + 3000) {
  const end = Date.now() + ms;
  for (;;) {
    const running = (await Promise.all(nodes.map((n) => n.running()))).flat();
    if (running.length === 0) return;
    if (Date.now() > end) throw new Error(`still running: ${running}`);
    await sleep(50);
  }
}

/** Runs `body` with redis-server, a hub and tetherd nodes named `names`
 *  (each configured with `accounts` accounts, and `leaseMs` and `claimMs`
 *  if given); then stops them and checks
 *  the hub's witnesses: no frame ever came on a socket its account had
 *  moved away from, and (unless the server itself held sockets of paused
 *  nodes open, `maxOpen` 2) no account had two sockets open at once. */
export async function cluster(names, body,
  { accounts = 30, hubArgs = [], heartbeatMs = 0, maxOpen = 1, leaseMs, claimMs } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tether-cluster-'));
  const redis = await startRedis(dir);
  const hub = await startHub(hubArgs);
  const nodes = names.map((n) => new Node(dir, n, redis.url, hub.url,
    { accounts, heartbeatMs, leaseMs, claimMs }));
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

// tetherd end to end: the real daemon with a temp config, against a real
// tether-hub, both on loopback ephemeral ports, driven through the control
// API (HTTP and the WebSocket event stream) and signals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { hubPort, startTetherd } from '../support/child_output.mjs';
import { startConnectProxy } from '../support/connect_proxy.mjs';

const TETHERD = process.env.TETHERD_BINARY;
const HUB = process.env.TETHER_HUB_BINARY;
const TOKEN = 'test-token';

async function startHub() {
  const hub = spawn(HUB, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  hub.stderr.resume();
  const port = await hubPort(hub);
  return { proc: hub, url: `ws://127.0.0.1:${port}/socket/websocket` };
}

class Daemon {
  constructor(dir, toml) {
    this.dir = dir;
    this.path = join(dir, 'tetherd.toml');
    writeFileSync(this.path, toml);
  }
  async start(env) {
    this.child = await startTetherd(TETHERD, this.path, env);
    ({ proc: this.proc, exited: this.exited, port: this.port, base: this.base } = this.child);
    return this;
  }
  get log() {
    return this.child.log;
  }
  async api(method, path, body, token = TOKEN) {
    const res = await fetch(this.base + path, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* metrics are text */ }
    return { status: res.status, json, text };
  }
  /** Polls GET /accounts/NAME until `pred` holds (the API is the observer). */
  async until(name, pred, ms = 10000) {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
      // 404 while the account does not exist yet (a reload still under way)
      const res = await this.api('GET', `/accounts/${name}`);
      last = res.json;
      if (res.status === 200 && pred(last)) return last;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`account ${name} never matched; last: ${JSON.stringify(last)}\n${this.log}`);
  }
  /** Opens the event stream for `account`; `lines` fills as events come. */
  async events(account) {
    const ws = new WebSocket(`ws://127.0.0.1:${this.port}/events?account=${account}`,
                             { headers: { authorization: `Bearer ${TOKEN}` } });
    const lines = [];
    ws.on('message', (m) => lines.push(...m.toString().trim().split('\n').map((l) => JSON.parse(l))));
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    return { ws, lines };
  }
  stop(signal = 'SIGTERM') {
    if (this.proc.exitCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

function config(hubUrl, accounts, extra = '') {
  let t = `log = "json"\n${extra}\n[api]\nlisten = "127.0.0.1:0"\ntoken = "${TOKEN}"\n`;
  for (const a of accounts) {
    t += `\n[[account]]\nname = "${a.name}"\nurl = "${a.url ?? hubUrl}"\n`;
    if (a.topics) t += `topics = ${JSON.stringify(a.topics)}\n`;
    if (a.more) t += a.more + '\n';
  }
  return t;
}

async function withSetup(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'tetherd-'));
  const hub = await startHub();
  const daemons = [];
  try {
    await fn({ dir, hub, daemon: (toml) => { const d = new Daemon(dir, toml); daemons.push(d); return d; } });
  } finally {
    for (const d of daemons) if (d.proc && d.proc.exitCode === null) d.proc.kill('SIGKILL');
    hub.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an API push round-trips through the account\'s tree and returns the server\'s reply', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'alice', topics: ['room:a'] }])).start();
    await d.until('alice', (a) => a.topics['room:a'] === 'joined');
    const ok = await d.api('POST', '/accounts/alice/push',
                           { topic: 'room:a', event: 'echo', payload: { n: 1 } });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { status: 'ok', response: { n: 1 } });
    const rejected = await d.api('POST', '/accounts/alice/push', { topic: 'room:a', event: 'err' });
    assert.equal(rejected.status, 422);
    assert.deepEqual(rejected.json.response, { reason: 'nope' });
    const unknown = await d.api('POST', '/accounts/nobody/push', { topic: 'room:a', event: 'echo' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error, 'unknown_account');
    const bad = await d.api('POST', '/accounts/alice/push', { topic: 'room:a' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /event/);
    const wrongMethod = await d.api('GET', '/accounts/alice/push');
    assert.equal(wrongMethod.status, 405);
    assert.equal((await d.stop()).code, 0);
  });
});

test('the JSON log keeps numbers as numbers, names a refused upgrade\'s HTTP status and logs every reconnect', async () => {
  await withSetup(async ({ hub, daemon }) => {
    // tether-hub refuses token=bad with 403, as a Phoenix socket's connect/3 would
    const d = await daemon(config(hub.url, [{ name: 'mallory', url: `${hub.url}?token=bad` }])).start();
    await d.until('mallory', (a) => a.state === 'reconnecting');
    const end = Date.now() + 5000;
    const lines = () => d.log.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
    while (!lines().some((l) => l.msg === 'reconnect scheduled') && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    const all = lines();
    const listening = all.find((l) => l.msg === 'api listening');
    assert.equal(typeof listening.port, 'number');
    const down = all.find((l) => l.msg === 'disconnected');
    assert.ok(down, d.log);
    assert.equal(down.level, 'warn');
    assert.equal(down.http_status, 403);
    assert.equal(down.cause, 'auth');
    assert.match(down.detail, /^HTTP 403/);
    const retry = all.find((l) => l.msg === 'reconnect scheduled');
    assert.ok(retry, d.log);
    assert.equal(retry.attempt, 1);
    assert.equal(typeof retry.delay_ms, 'number');
    assert.equal(retry.cause, 'auth');
    const starting = all.find((l) => l.msg === 'starting account');
    assert.equal(starting.offline, false);
    assert.equal((await d.stop()).code, 0);
  });
});

test('the API refuses every request without the right bearer token', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'alice' }])).start();
    for (const token of [null, 'wrong']) {
      for (const [method, path] of [['GET', '/accounts'], ['GET', '/metrics'],
                                    ['POST', '/accounts/alice/push']]) {
        const r = await d.api(method, path, method === 'POST' ? { topic: 't', event: 'e' } : undefined, token);
        assert.equal(r.status, 401, `${method} ${path} with ${token}`);
        assert.equal(r.json.error, 'unauthorized');
      }
    }
    // the event stream too
    const refused = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${d.port}/events`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('open', () => resolve('open'));
      ws.on('error', () => {});
    });
    assert.equal(refused, 401);
    await d.stop();
  });
});

test('metrics parse as Prometheus text and count states, pushes and heartbeats', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'alice', topics: ['room:a'] }],
                                  '[defaults]\nheartbeat_ms = 100\nliveness_timeout_ms = 100')).start();
    await d.until('alice', (a) => a.heartbeat_rtt_ms !== null);
    await d.api('POST', '/accounts/alice/push', { topic: 'room:a', event: 'echo' });
    const m = await d.api('GET', '/metrics');
    assert.equal(m.status, 200);
    const samples = new Map();
    for (const line of m.text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/);
      assert.ok(match, `not a sample line: ${line}`);
      assert.ok(!Number.isNaN(Number(match[2])), line);
      samples.set(match[1], Number(match[2]));
    }
    assert.equal(samples.get('tether_connections{state="joined"}'), 1);
    assert.equal(samples.get('tether_pushes_total{outcome="ok"}'), 1);
    assert.ok(samples.get('tether_heartbeat_rtt_seconds_count') >= 1);
    assert.ok(samples.get('tether_actors_alive') > 0);
    await d.stop();
  });
});

test('the event stream sends NDJSON lines, filtered by account', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'alice' }, { name: 'bob' }])).start();
    const { ws, lines } = await d.events('alice');
    for (const name of ['alice', 'bob'])
      assert.equal((await d.api('POST', `/accounts/${name}/join`, { topic: 'room:s' })).status, 200);
    await d.until('bob', (a) => a.topics['room:s'] === 'joined');
    const end = Date.now() + 5000;
    while (!lines.some((l) => l.type === 'topic_joined') && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    const joined = lines.filter((l) => l.type === 'topic_joined');
    assert.equal(joined.length, 1);
    assert.deepEqual(joined[0], { account: 'alice', type: 'topic_joined', topic: 'room:s', response: {} });
    assert.ok(lines.every((l) => l.account === 'alice'));
    ws.close();
    await d.stop();
  });
});

test('presence: GET .../presence/TOPIC lists who is there, and presence_synced is on the event stream', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'alice' }, { name: 'bob' }])).start();
    const { ws, lines } = await d.events('alice');
    const topic = 'presence:lobby';
    for (const name of ['alice', 'bob'])
      assert.equal((await d.api('POST', `/accounts/${name}/join`,
                                { topic, params: { user: name, meta: { n: name.length } } })).status, 200);
    const path = `/accounts/alice/presence/${topic}`;
    const end = Date.now() + 5000;
    let got;
    do { // alice's list fills as the diffs come
      got = await d.api('GET', path);
      if (got.status === 200 && got.json.list.length === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    } while (Date.now() < end);
    assert.equal(got.status, 200);
    assert.equal(got.json.topic, topic);
    assert.deepEqual(got.json.list.map((e) => e.key), ['alice', 'bob']);
    assert.equal(got.json.list[1].presence.metas[0].n, 3);
    assert.ok(got.json.list[1].presence.metas[0].phx_ref);
    // The stream told each change, with the whole list. The stream and the
    // API are two channels: the GET may answer before the event arrives.
    let synced;
    const streamEnd = Date.now() + 5000;
    do {
      synced = lines.filter((l) => l.type === 'presence_synced');
      if (synced.length >= 2 && synced.at(-1).list.length === 2) break;
      await new Promise((r) => setTimeout(r, 20));
    } while (Date.now() < streamEnd);
    assert.ok(synced.length >= 2, JSON.stringify(lines));
    assert.deepEqual(synced.at(-1).list.map((e) => e.key), ['alice', 'bob']);
    assert.ok(synced.some((l) => l.joins.some((j) => j.key === 'bob' && j.before === null)));
    // A topic the account has not joined is named, not answered with [].
    const unknown = await d.api('GET', '/accounts/alice/presence/presence:other');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error, 'unknown_topic');
    ws.close();
    await d.stop();
  });
});

test('a topic\'s params_file is read before every join: the rejoin after a channel crash '
  + 'joins with the file as it is then', async () => {
  await withSetup(async ({ dir, hub, daemon }) => {
    const file = join(dir, 'lobby.toml');
    writeFileSync(file, 'user = "first"\n[meta]\nn = 1\n');
    const topic = 'presence:lobby';
    const d = await daemon(config(hub.url, [{ name: 'alice',
      more: `topics = [{ topic = "${topic}", params_file = "${file}" }]` }])).start();
    const keys = async (want) => { // the presence list names who joined
      const end = Date.now() + 5000;
      let got;
      do {
        got = await d.api('GET', `/accounts/alice/presence/${topic}`);
        if (got.status === 200 && JSON.stringify(got.json.list.map((e) => e.key)) === want) return got;
        await new Promise((r) => setTimeout(r, 20));
      } while (Date.now() < end);
      assert.fail(`presence never was ${want}: ${JSON.stringify(got.json)}\n${d.log}`);
    };
    const first = await keys('["first"]');
    assert.equal(first.json.list[0].presence.metas[0].n, 1);
    writeFileSync(file, 'user = "second"\n');
    // An event the presence channel has no clause for crashes it; the rejoin reads the file.
    await d.api('POST', '/accounts/alice/push', { topic, event: 'boom', timeout_ms: 200 });
    await keys('["second"]');
    assert.equal((await d.stop()).code, 0);
  });
});

test('a bad config is refused with file:line and the key, and nothing starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tetherd-'));
  try {
    const path = join(dir, 'bad.toml');
    writeFileSync(path, `[api]\ntoken = "t"\n\n[[account]]\nname = "a"\nurl = "ws://127.0.0.1:1/s"\nheartbeat_ms = "fast"\n`);
    const r = spawnSync(TETHERD, ['--config', path], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(),
                 `tetherd: ${path}:7: account[1].heartbeat_ms: expected an integer, found a string`);
    writeFileSync(path, `[api]\ntoken = "t"\nlisten = "127.0.0.1:0"\nport = 4\n`);
    const r2 = spawnSync(TETHERD, ['--config', path], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /bad\.toml:4: api\.port: unknown key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('proxies: http_proxy from the environment carries the socket, [transport] no_proxy sends it around, '
     + 'and an unusable https_proxy refuses the start with its name', async () => {
  await withSetup(async ({ dir, hub, daemon }) => {
    const proxy = await startConnectProxy();
    try {
      const env = { ...process.env, http_proxy: proxy.url };
      const d = await daemon(config(hub.url, [{ name: 'a', topics: ['room:lobby'] }])).start(env);
      await d.until('a', (s) => s.topics['room:lobby'] === 'joined');
      const hubTarget = hub.url.replace(/^ws:\/\/([^/]+)\/.*$/, '$1');
      assert.deepEqual(proxy.requests, [hubTarget]);
      assert.match(d.log, /"proxies":"ws:\/\/ through 127\.0\.0\.1:\d+, wss:\/\/ direct"/);
      await d.stop();

      const around = await daemon(config(hub.url, [{ name: 'b', topics: ['room:lobby'] }],
                                         '[transport]\nno_proxy = "127.0.0.1"\n')).start(env);
      await around.until('b', (s) => s.topics['room:lobby'] === 'joined');
      assert.equal(proxy.requests.length, 1); // nothing more went through it
      await around.stop();

      const path = join(dir, 'tetherd.toml');
      const r = spawnSync(TETHERD, ['--config', path, '--check'],
                          { encoding: 'utf8', timeout: 10000,
                            env: { ...process.env, https_proxy: 'socks5://127.0.0.1:1080' } });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /https_proxy is not a usable proxy URL \(unsupported_scheme\)/);
    } finally {
      proxy.close();
    }
  });
});

test('SIGHUP reload starts added, stops removed and restarts changed accounts; untouched ones keep their socket', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'keep', topics: ['room:k'] },
                                            { name: 'change', topics: ['room:c'] },
                                            { name: 'drop' }])).start();
    const keep = await d.until('keep', (a) => a.topics['room:k'] === 'joined');
    const change = await d.until('change', (a) => a.topics['room:c'] === 'joined');
    writeFileSync(d.path, config(hub.url, [{ name: 'keep', topics: ['room:k'] },
                                           { name: 'change', topics: ['room:c2'] },
                                           { name: 'added', topics: ['room:n'] }]));
    d.proc.kill('SIGHUP');
    await d.until('added', (a) => a.topics['room:n'] === 'joined');
    const changed = await d.until('change', (a) => a.topics['room:c2'] === 'joined');
    assert.notEqual(changed.socket, change.socket);
    assert.equal(changed.topics['room:c'], undefined);
    const list = (await d.api('GET', '/accounts')).json.map((a) => a.name);
    assert.deepEqual(list, ['added', 'change', 'keep']);
    const kept = (await d.api('GET', '/accounts/keep')).json;
    assert.equal(kept.socket, keep.socket);
    assert.equal(kept.reconnects, 0);
    // an invalid file on reload changes nothing
    writeFileSync(d.path, 'this is = not toml [');
    d.proc.kill('SIGHUP');
    const end = Date.now() + 5000;
    while (!/reload refused/.test(d.log) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 10));
    assert.match(d.log, /reload refused: the config is invalid; nothing changed/);
    assert.equal((await d.api('GET', '/accounts')).json.length, 3);
    assert.equal((await d.api('GET', '/accounts/keep')).json.socket, keep.socket);
    await d.stop();
  });
});

test('SIGTERM drains: pushes in flight are all answered, new ones are refused, exit 0', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'alice', topics: ['room:a'] }],
                                  'drain_timeout_ms = 5000')).start();
    await d.until('alice', (a) => a.topics['room:a'] === 'joined');
    const inflight = [];
    for (let i = 0; i < 20; i++)
      inflight.push(d.api('POST', '/accounts/alice/push',
                          { topic: 'room:a', event: 'slow', payload: { ms: 400, i } }));
    // once the daemon counts all twenty in flight, ask it to stop
    const end = Date.now() + 5000;
    while (Date.now() < end
           && !(await d.api('GET', '/metrics')).text.includes('\ntether_pushes_in_flight 20\n'))
      await new Promise((r) => setTimeout(r, 10));
    d.proc.kill('SIGTERM');
    // pushes sent after the signal are answered ok until the daemon sees it,
    // then refused with 503 (or the connection is refused once it is gone)
    let late;
    do {
      late = await d.api('POST', '/accounts/alice/push', { topic: 'room:a', event: 'echo' })
        .catch(() => ({ status: 'refused' }));
      assert.ok([200, 503, 'refused'].includes(late.status), `late push: ${late.status}`);
    } while (late.status === 200);
    if (late.status === 503) assert.equal(late.json.error, 'draining');
    const results = await Promise.all(inflight);
    results.forEach((r, i) => {
      assert.equal(r.status, 200, `push ${i}: ${r.text}`);
      assert.equal(r.json.response.i, i);
    });
    const exit = await d.exited;
    assert.equal(exit.code, 0);
  });
});

test('a restarted daemon resumes from SQLite storage: topics joined through the API are joined again', async () => {
  await withSetup(async ({ dir, hub, daemon }) => {
    const toml = config(hub.url, [{ name: 'alice' }],
                        `[storage]\nkind = "sqlite"\npath = "${join(dir, 'state.db')}"`);
    const first = await daemon(toml).start();
    assert.equal((await first.api('POST', '/accounts/alice/join',
                                  { topic: 'room:kept', params: { since: 1 } })).status, 200);
    await first.until('alice', (a) => a.topics['room:kept'] === 'joined');
    await first.stop('SIGKILL'); // no goodbye: storage alone carries the state
    const second = await daemon(toml).start();
    const a = await second.until('alice', (x) => x.topics['room:kept'] === 'joined');
    assert.equal(a.state, 'joined');
    await second.stop();
  });
});

test('a removed account\'s stored record (connect params among it) is erased, at reload and at start', async () => {
  await withSetup(async ({ dir, hub, daemon }) => {
    const store = join(dir, 'profiles');
    mkdirSync(store);
    const storage = `[storage]\nkind = "file"\npath = "${store}"`;
    const both = config(hub.url, [{ name: 'alice', topics: ['room:a'], more: 'params = { token = "a-secret" }' },
                                  { name: 'bob', topics: ['room:b'], more: 'params = { token = "b-secret" }' },
                                  { name: 'carol', topics: ['room:c'] }], storage);
    const d = await daemon(both).start();
    await d.until('bob', (a) => a.topics['room:b'] === 'joined');
    await d.until('carol', (a) => a.topics['room:c'] === 'joined');
    assert.deepEqual(readdirSync(store).sort(), ['alice.json', 'bob.json', 'carol.json']);
    // reload without bob: his record goes once his tree has stopped
    writeFileSync(d.path, config(hub.url, [{ name: 'alice', topics: ['room:a'] },
                                           { name: 'carol', topics: ['room:c'] }], storage));
    d.proc.kill('SIGHUP');
    const end = Date.now() + 5000;
    // the file goes first, the log line right after it: wait for both
    while ((readdirSync(store).includes('bob.json') || !/stored record erased/.test(d.log))
           && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(readdirSync(store).sort(), ['alice.json', 'carol.json']);
    assert.match(d.log, /stored record erased/);
    await d.stop();
    // start without carol: her record, left from before, goes at start
    const next = await daemon(config(hub.url, [{ name: 'alice', topics: ['room:a'] }], storage)).start();
    await next.until('alice', (a) => a.topics['room:a'] === 'joined');
    assert.deepEqual(readdirSync(store).sort(), ['alice.json']);
    await next.stop();
  });
});

test('bodyless POSTs from fetch (Content-Length: 0): stop, then start, each answered once', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'alice', topics: ['room:a'] }])).start();
    await d.until('alice', (a) => a.topics['room:a'] === 'joined');
    const post = (path) => fetch(d.base + path, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    const stopped = await post('/accounts/alice/stop');
    assert.equal(stopped.status, 200, await stopped.text());
    const started = await post('/accounts/alice/start');
    assert.equal(started.status, 200, await started.text());
    await d.until('alice', (a) => a.topics['room:a'] === 'joined');
    // every request was answered: SIGTERM does not wait for a phantom one
    await d.stop();
    assert.doesNotMatch(d.log, /still unanswered/);
  });
});

test('verify_tls = false is warned about when the account starts', async () => {
  await withSetup(async ({ hub, daemon }) => {
    const d = await daemon(config(hub.url, [{ name: 'alice', more: 'verify_tls = false' }])).start();
    await d.until('alice', (a) => a.state === 'connected' || a.state === 'joined');
    assert.match(d.log, /TLS certificate checks are off for this account \(verify_tls = false\)/);
    await d.stop();
  });
});

test('a certificate the daemon cannot verify fails as tls_failed, and lws speaks through our log', async () => {
  await withSetup(async ({ dir, daemon }) => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                                       '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                                       '-keyout', key, '-out', cert], { stdio: 'ignore' });
    assert.equal(made.status, 0);
    const tlsHub = spawn(HUB, ['--port', '0', '--tls-cert', cert, '--tls-key', key],
                         { stdio: ['ignore', 'pipe', 'pipe'] });
    tlsHub.stderr.resume();
    try {
      const port = await hubPort(tlsHub);
      const d = await daemon(config(`wss://127.0.0.1:${port}/socket/websocket`, [{ name: 'alice' }])).start();
      await d.until('alice', (a) => a.state === 'reconnecting');
      const m = await d.api('GET', '/metrics');
      assert.match(m.text, /tether_reconnects_by_cause_total\{cause="tls_failed"\} [1-9]/);
      await d.stop();
      // lws's own report of the refused certificate is a line of our log:
      // JSON (log = "json") like every other line
      assert.match(d.log, /"libwebsockets"/);
      for (const line of d.log.split('\n').filter((l) => l.trim() !== ''))
        assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    } finally {
      tlsHub.kill('SIGTERM');
    }
  });
});

// Presence with mixed clients in one room: two tether clients (accounts of a
// real tetherd, read through GET /accounts/A/presence/TOPIC) and two
// official phoenix.js clients (Presence.list) join one presence:* topic on
// the server, update their metas, leave, and get killed. After every step
// each client still there must see the same list: the same keys, and for
// each key the same metas (phx_ref included, which the server assigns).
//
//   node presence_mixed.mjs hub|phoenix TETHERD HUB [PHOENIX_DIR]
// hub: a tether-hub of its own; phoenix: PHOENIX_DIR/start.sh on a free port.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presence, Socket } from 'phoenix';
import WebSocket from 'ws';
import { hubPort, startTetherd } from './support/child_output.mjs';

const [kind, tetherd, hubBinary, phoenixDir] = process.argv.slice(2);
const TOPIC = 'presence:mixed';
const TOKEN = 'mixed-token';
const watchdog = setTimeout(() => { console.log('not ok - watchdog: 90 s passed'); process.exit(1); }, 90000);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer() {
  if (kind === 'hub') {
    const proc = spawn(hubBinary, ['--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stderr.resume();
    const port = await hubPort(proc);
    return { port, stop: () => proc.kill('SIGKILL') };
  }
  const port = await freePort();
  const started = spawnSync(join(phoenixDir, 'start.sh'), [String(port)], { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`the Phoenix peer did not start: ${started.stdout}${started.stderr}`);
  return { port, stop: () => spawnSync(join(phoenixDir, 'stop.sh'), [String(port)]) };
}

/** key -> metas sorted by phx_ref, keys in one order: what two lists must
 *  agree on (each client lists in its own arrival order). */
function normal(entries) {
  const out = {};
  for (const [key, metas] of [...entries].sort(([a], [b]) => a.localeCompare(b)))
    out[key] = [...metas].sort((a, b) => String(a.phx_ref).localeCompare(String(b.phx_ref)));
  return out;
}

/** One phoenix.js client in the room, its Presence kept the documented way. */
function jsClient(port, user, meta) {
  const socket = new Socket(`ws://127.0.0.1:${port}/socket`, {
    transport: WebSocket, params: { token: 'good' }, reconnectAfterMs: () => 100,
  });
  socket.connect();
  const channel = socket.channel(TOPIC, { user, meta });
  const presence = new Presence(channel);
  channel.join();
  return {
    name: user,
    view: async () => normal(presence.list((key, p) => [key, p.metas])),
    updateMeta: (m) => new Promise((resolve, reject) => channel.push('update_meta', m)
      .receive('ok', resolve).receive('error', reject).receive('timeout', reject)),
    leave: () => new Promise((resolve) => channel.leave().receive('ok', resolve)),
    // The TCP connection dies under it: no leave, no close frame.
    kill: () => { socket.conn._socket.destroy(); socket.disconnect(); },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'presence-mixed-'));
const server = await startServer();
const url = `ws://127.0.0.1:${server.port}/socket/websocket`;
let daemon;
let failed = false;
try {
  const path = join(dir, 'tetherd.toml');
  let toml = `log = "json"\n[api]\nlisten = "127.0.0.1:0"\ntoken = "${TOKEN}"\n`;
  for (const [name, n] of [['t1', 1], ['t2', 2]])
    toml += `\n[[account]]\nname = "${name}"\nurl = "${url}"\nparams = { token = "good" }\n`
      + `topics = [{ topic = "${TOPIC}", params = { user = "${name}", meta = { n = ${n} } } }]\n`;
  writeFileSync(path, toml);
  daemon = await startTetherd(tetherd, path);
  const api = async (method, p, body) => {
    const res = await fetch(daemon.base + p, {
      method, headers: { authorization: `Bearer ${TOKEN}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const tetherClient = (name) => ({
    name,
    view: async () => {
      const r = await api('GET', `/accounts/${name}/presence/${TOPIC}`);
      return r.status === 200 ? normal(r.json.list.map((e) => [e.key, e.presence.metas])) : null;
    },
    updateMeta: async (m) => assert.equal((await api('POST', `/accounts/${name}/push`,
      { topic: TOPIC, event: 'update_meta', payload: m })).status, 200),
    stop: async () => assert.equal((await api('POST', `/accounts/${name}/stop`)).status, 200),
  });

  const t1 = tetherClient('t1'), t2 = tetherClient('t2');
  const js1 = jsClient(server.port, 'js1', { n: 3 });
  const js2 = jsClient(server.port, 'js2', { n: 4 });
  let clients = [t1, t2, js1, js2];

  /** Every client's view is `keys`, all views are equal (metas too), and
   *  `holds` is true of them: the step's change has reached everyone (a push
   *  is answered before its diff has reached every client). */
  async function converge(step, keys, holds = () => true) {
    const end = Date.now() + 15000;
    let views;
    while (Date.now() < end) {
      views = await Promise.all(clients.map((c) => c.view()));
      const same = views.every((v) => v && JSON.stringify(v) === JSON.stringify(views[0]));
      if (same && JSON.stringify(Object.keys(views[0]).sort()) === JSON.stringify([...keys].sort())
          && holds(views[0])) {
        console.log(`ok - ${step}`);
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    failed = true;
    console.log(`not ok - ${step}: the views never agreed on ${keys}`);
    clients.forEach((c, i) => console.log(`  ${c.name}: ${JSON.stringify(views[i])}`));
    throw new Error(step);
  }

  await converge('all four see all four', ['t1', 't2', 'js1', 'js2'],
                 (v) => v.t2[0].n === 2);
  await t1.updateMeta({ n: 10, status: 'away' });
  await converge('a tether client\'s meta update reaches everyone', ['t1', 't2', 'js1', 'js2'],
                 (v) => v.t1[0].status === 'away');
  await js1.updateMeta({ n: 30 });
  await converge('a phoenix.js client\'s meta update reaches everyone', ['t1', 't2', 'js1', 'js2'],
                 (v) => v.js1[0].n === 30);
  js2.kill();
  clients = [t1, t2, js1];
  await converge('a phoenix.js client killed under its socket is gone for everyone', ['t1', 't2', 'js1']);
  await t2.stop();
  clients = [t1, js1];
  await converge('a stopped tether account is gone for everyone', ['t1', 'js1']);
  await js1.leave();
  const js3 = jsClient(server.port, 'js3', { n: 5 });
  clients = [t1, js3];
  await converge('a leave and a late joiner: the newcomer gets the whole list', ['t1', 'js3'],
                 (v) => v.t1[0].status === 'away');
  daemon.proc.kill('SIGKILL');
  clients = [js3];
  await converge('tetherd killed (SIGKILL): its account is gone for the others', ['js3']);
} catch (e) {
  failed = true;
  console.log(`not ok - ${e.message}`);
  if (daemon) console.log(daemon.log.split('\n').slice(-20).join('\n'));
} finally {
  if (daemon && daemon.proc.exitCode === null) daemon.proc.kill('SIGKILL');
  server.stop();
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
process.exit(failed ? 1 : 0);

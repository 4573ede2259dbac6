// The soak (docs/reliability.md, "Soak"): tetherd with many accounts against
// tether-hub for a given time, pushes flowing, the hub bounced at intervals;
// samples the daemon's RSS, descriptors, threads and actors, and judges
// growth between the first and the last steady samples (every account
// joined again after a bounce). Run by scripts/soak.sh.
//   env: TETHERD, HUB, SOAK_SECONDS, ACCOUNTS, BOUNCE_S, PUSH_RATE, REPORT
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitLine } from '../support/child_output.mjs';

const env = process.env;
const seconds = Number(env.SOAK_SECONDS ?? 3600);
const accounts = Number(env.ACCOUNTS ?? 1000);
const bounceS = Number(env.BOUNCE_S ?? 300);
const pushRate = Number(env.PUSH_RATE ?? 20);
const TOKEN = 'soak-token';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.now();
const log = (...a) => console.error(`[soak +${Math.round((Date.now() - T0) / 1000)}s]`, ...a);

const freePort = () => new Promise((r) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); });
});

const hubPort = await freePort();
let hub;
async function startHub() {
  hub = spawn(env.HUB, ['--host', '127.0.0.1', '--port', String(hubPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  hub.stderr.resume();
  await waitLine(hub, 'stdout', /listening/);
}
async function stopHub() {
  const gone = new Promise((r) => hub.once('exit', r));
  hub.kill('SIGTERM');
  await gone;
}

const dir = mkdtempSync(join(tmpdir(), 'tether-soak-'));
let toml = `log = "json"\n[api]\nlisten = "127.0.0.1:0"\ntoken = "${TOKEN}"\n[defaults]\n` +
  `heartbeat_ms = 30000\nreconnect_initial_ms = 1000\nreconnect_max_ms = 10000\nreconnect_jitter = true\n`;
for (let i = 0; i < accounts; i++)
  toml += `[[account]]\nname = "a${i}"\nurl = "ws://127.0.0.1:${hubPort}/socket/websocket"\ntopics = ["room:${i % 50}"]\n`;
writeFileSync(join(dir, 'tetherd.toml'), toml);

await startHub();
const daemon = spawn(env.TETHERD, ['--config', join(dir, 'tetherd.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
const apiPort = (await waitLine(daemon, 'stderr', /"port":"?(\d+)/))[1];
daemon.stderr.resume(); // the log is not kept: a soak writes a lot of it
const base = `http://127.0.0.1:${apiPort}`;
const api = async (method, path, body) => {
  const r = await fetch(base + path, { method, headers: { authorization: `Bearer ${TOKEN}` },
                                       body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
};
const metric = (text, name) => Number(text.match(new RegExp(`^${name} (\\d+)`, 'm'))?.[1] ?? NaN);

function sampleProcess() {
  const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
  return {
    rss_kib: Number(status.match(/^VmRSS:\s+(\d+)/m)[1]),
    threads: Number(status.match(/^Threads:\s+(\d+)/m)[1]),
    fds: readdirSync(`/proc/${daemon.pid}/fd`).length,
  };
}

const outcomes = {};
let pushing = true;
const pusher = (async () => {
  let n = 0;
  while (pushing) {
    const name = `a${n % accounts}`;
    const topic = `room:${(n % accounts) % 50}`;
    n++;
    api('POST', `/accounts/${name}/push`, { topic, event: 'echo', payload: { n }, timeout_ms: 10000 })
      .then((r) => { outcomes[r.status] = (outcomes[r.status] ?? 0) + 1; },
            () => { outcomes.no_answer = (outcomes.no_answer ?? 0) + 1; });
    await sleep(1000 / pushRate);
  }
})();

const samples = [];
let nextBounce = Date.now() + bounceS * 1000;
let bounces = 0;
const end = T0 + seconds * 1000;
while (Date.now() < end) {
  await sleep(10000);
  const m = (await api('GET', '/metrics')).text;
  const joined = metric(m, 'tether_connections\\{state="joined"\\}');
  const s = { t_s: Math.round((Date.now() - T0) / 1000), joined, actors: metric(m, 'tether_actors_alive'),
              ...sampleProcess(), bounces };
  s.steady = joined === accounts;
  samples.push(s);
  log(JSON.stringify(s));
  if (Date.now() >= nextBounce && Date.now() < end - 60000) {
    log('bouncing the hub');
    await stopHub();
    await sleep(2000);
    await startHub();
    bounces++;
    nextBounce = Date.now() + bounceS * 1000;
  }
}
pushing = false;
await pusher;
await sleep(11000); // the last pushes' deadlines

// Judge: the first steady sample after the first bounce against the last
// steady sample. RSS may settle (allocator arenas) but must not climb.
const steady = samples.filter((s) => s.steady && s.bounces >= 1);
let verdict = 'no steady samples after a bounce';
let ok = false;
if (steady.length >= 2) {
  const first = steady[0], last = steady[steady.length - 1];
  const rssGrowth = (last.rss_kib - first.rss_kib) / first.rss_kib;
  ok = rssGrowth < 0.05 && last.fds <= first.fds + 2 && last.threads <= first.threads
       && last.actors <= first.actors;
  verdict = `first steady sample after a bounce (+${first.t_s}s) vs last (+${last.t_s}s): ` +
    `RSS ${first.rss_kib} -> ${last.rss_kib} KiB (${(rssGrowth * 100).toFixed(1)} %), ` +
    `fds ${first.fds} -> ${last.fds}, threads ${first.threads} -> ${last.threads}, ` +
    `actors ${first.actors} -> ${last.actors}: ${ok ? 'no growth' : 'GROWTH'}`;
}
const report = { seconds, accounts, bounces, push_rate: pushRate, push_answers: outcomes, verdict, samples };
log(verdict);
if (env.REPORT) writeFileSync(env.REPORT, JSON.stringify(report, null, 1) + '\n');
daemon.kill('SIGTERM');
await stopHub();
rmSync(dir, { recursive: true, force: true });
process.exit(ok ? 0 : 1);

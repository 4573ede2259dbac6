// The cluster rows (issue 15): three tetherd nodes over ACCOUNTS accounts
// through Redis leases, on the cluster tests' servers (tests/cluster/
// cluster_fixture.mjs: redis-server, tether-hub witnessing overlap, tetherd).
//   - failover: KILLS times, kill -9 of a node holding accounts, then the
//     time until every account runs on the other two (polled every 50 ms);
//     the node restarts and the spread settles before the next kill.
//     The bound it is held to is lease_ms + claim_interval_ms.
//   - Redis load over a steady WINDOW_S seconds, all three nodes holding
//     their share: requests the nodes send and commands Redis runs, against
//     the renewals alone (one per account every lease_ms / 3).
// Prints "key value" lines for bench/report.mjs.
//   TETHERD_BINARY=… TETHER_HUB_BINARY=… node bench/cluster.mjs
//   ACCOUNTS=300 KILLS=10 LEASE_MS=3000 CLAIM_MS=300 WINDOW_S=10
import { connect } from 'node:net';
import { cluster, settled, sleep, spread } from '../tests/cluster/cluster_fixture.mjs';

const ACCOUNTS = Number(process.env.ACCOUNTS ?? 300);
const KILLS = Number(process.env.KILLS ?? 10);
const LEASE_MS = Number(process.env.LEASE_MS ?? 3000);
const CLAIM_MS = Number(process.env.CLAIM_MS ?? 300);
const WINDOW_S = Number(process.env.WINDOW_S ?? 10);
const say = (...a) => console.error('bench cluster:', ...a);

/** Redis's INFO section `section`, as name → value. */
function info(socketPath, section) {
  return new Promise((resolve, reject) => {
    const c = connect(socketPath);
    let text = '';
    c.on('error', reject);
    c.on('connect', () => c.write(`INFO ${section}\r\n`));
    c.on('data', (d) => {
      text += d;
      const m = text.match(/^\$(\d+)\r\n/);
      if (m && Buffer.byteLength(text) >= m[0].length + Number(m[1]) + 2) {
        c.destroy();
        resolve(Object.fromEntries(text.slice(m[0].length).split('\r\n')
          .filter((l) => l.includes(':')).map((l) => l.split(/:(.*)/s).slice(0, 2))));
      }
    });
  });
}

const calls = async (sock) => {
  const stats = await info(sock, 'commandstats');
  const out = {};
  for (const [k, v] of Object.entries(stats))
    out[k.replace(/^cmdstat_/, '')] = Number(v.match(/calls=(\d+)/)[1]);
  return out;
};

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

await cluster(['n1', 'n2', 'n3'], async ({ nodes, redis }) => {
  const sock = redis.url.replace(/^unix:/, '');
  await Promise.all(nodes.map((n) => n.start()));
  await settled(nodes, spread(3), 60000);

  // Redis load at rest: every account held, nothing moving.
  await sleep(LEASE_MS); // past the claims and the first renewals
  const before = await calls(sock);
  await sleep(WINDOW_S * 1000);
  const after = await calls(sock);
  // What the nodes send (every lease step is one EVAL; the holders one
  // MGET a round), and what Redis runs (the scripts' own steps included).
  const sent = new Set(['eval', 'evalsha', 'mget']);
  let requests = 0, commands = 0;
  for (const [cmd, n] of Object.entries(after)) {
    const per = (n - (before[cmd] ?? 0)) / WINDOW_S;
    if (cmd === 'info' || per === 0) continue;
    commands += per;
    if (sent.has(cmd)) requests += per;
    console.log(`cluster.redis.${cmd.replace(/[^a-z0-9_]/gi, '_')}_per_s ${per.toFixed(1)}`);
  }
  console.log(`cluster.redis.requests_per_s ${requests.toFixed(1)}`);
  console.log(`cluster.redis.commands_per_s ${commands.toFixed(1)}`);
  console.log(`cluster.redis.renewals_floor_per_s ${(ACCOUNTS * 3000 / LEASE_MS).toFixed(1)}`);
  console.log(`cluster.redis.requests_per_account_s ${(requests / ACCOUNTS).toFixed(3)}`);
  say(`${requests.toFixed(0)} requests/s (${commands.toFixed(0)} Redis commands/s) `
    + `for ${ACCOUNTS} accounts at lease_ms ${LEASE_MS}`);

  // Failover after kill -9, KILLS times, a different node each time.
  const took = [];
  for (let k = 0; k < KILLS; ++k) {
    const victim = nodes[k % nodes.length];
    const rest = nodes.filter((n) => n !== victim);
    const killed = Date.now();
    await victim.stop('SIGKILL');
    await settled(rest, () => true, 60000);
    took.push(Date.now() - killed);
    say(`kill ${k + 1}/${KILLS} (${victim.name}): ${took.at(-1)} ms`);
    await victim.start();
    await settled(nodes, spread(3), 60000);
  }
  console.log(`cluster.failover.p50_ms ${quantile(took, 0.5)}`);
  console.log(`cluster.failover.p99_ms ${quantile(took, 0.99)}`);
  console.log(`cluster.failover.bound_ms ${LEASE_MS + CLAIM_MS}`);
}, { accounts: ACCOUNTS, leaseMs: LEASE_MS, claimMs: CLAIM_MS });

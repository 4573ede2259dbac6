// Two minutes of seeded chaos over three tetherd nodes sharing 30 accounts
// through Redis leases (issue 15): nodes killed (-9) and restarted, paused
// (SIGSTOP) shorter and longer than the lease, drained (SIGTERM) and
// restarted, one or two at a time. Through all of it the hub witnesses that
// no account ever had two sockets open and that no frame came on a socket
// its account had moved from; at the end every account runs, spread within
// the slack, and every node stops cleanly.
//
// The server closes a socket silent for 1.5 s and the nodes send a
// heartbeat every 500 ms, so a paused node's sockets are gone before its
// leases (3 s) can lapse, as with Phoenix's own idle timeout.
//
//   CHAOS_SEED=N CHAOS_SECONDS=S replay a run (the seed is printed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEASE_MS, cluster, settled, sleep, spread } from './cluster_fixture.mjs';
import { seededRandom } from '../support/seeded_random.mjs';

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 120);
const SEED = Number(process.env.CHAOS_SEED ?? (Date.now() % 1000000));

test(`seeded chaos for ${SECONDS} s (seed ${SEED}): never two sockets for one account, `
  + 'every account running at the end', async () => {
  console.log(`chaos seed ${SEED} (CHAOS_SEED=${SEED} replays it)`);
  const rand = seededRandom(SEED);
  const between = (lo, hi) => Math.round(lo + rand() * (hi - lo));
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  await cluster(['n1', 'n2', 'n3'], async ({ nodes }) => {
    await Promise.all(nodes.map((n) => n.start()));
    await settled(nodes, spread(3));

    /** One disruption of one node, undone before it resolves. */
    const disrupt = async (node, what) => {
      switch (what) {
        case 'kill': // dies at once; back after a while, as a supervisor would
          await node.stop('SIGKILL');
          await sleep(between(0, LEASE_MS + 1000));
          await node.start();
          break;
        case 'drain': // a clean stop and a restart
          assert.equal((await node.stop('SIGTERM')).code, 0, `${node.name} drained badly`);
          await sleep(between(0, 2000));
          await node.start();
          break;
        case 'pause': // short or past the lease
          node.proc.kill('SIGSTOP');
          await sleep(between(200, 2 * LEASE_MS));
          node.proc.kill('SIGCONT');
          break;
      }
    };

    const tally = { kill: 0, drain: 0, pause: 0 };
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      // One node, or two at once; never the same node twice in a step.
      const count = rand() < 0.25 ? 2 : 1;
      const chosen = [...nodes].sort(() => rand() - 0.5).slice(0, count);
      const acts = chosen.map((n) => {
        const what = pick(['kill', 'drain', 'pause']);
        ++tally[what];
        return disrupt(n, what);
      });
      await Promise.all(acts);
      await sleep(between(0, 2000));
    }
    console.log(`chaos done: ${JSON.stringify(tally)}`);

    // Left alone, the cluster settles: every account runs once, spread.
    const per = await settled(nodes, spread(3), 30000);
    console.log(`settled: ${JSON.stringify(per)}`);
    for (const n of nodes)
      assert.equal((await n.stop('SIGTERM')).code, 0, `${n.name} did not stop cleanly:\n${n.log}`);
  }, { hubArgs: ['--idle-timeout-ms', '1500'], heartbeatMs: 500 });
});

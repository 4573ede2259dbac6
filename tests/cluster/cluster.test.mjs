// Several tetherd nodes over one account list, through Redis leases
// (docs/operations.md, "Running several nodes"): spread, kill -9, join,
// drain, pauses and a Redis outage, each on fresh servers (cluster_fixture),
// each ending on the hub's witness that no account ever had two sockets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLAIM_MS, LEASE_MS, SLACK, allClosed, cluster, fair, settled, sleep, spread, startRedis,
} from './cluster_fixture.mjs';

test('300 accounts spread over 3 nodes, none above its fair share plus the slack', async () => {
  const accounts = 300;
  await cluster(['n1', 'n2', 'n3'], async ({ nodes }) => {
    await Promise.all(nodes.map((n) => n.start()));
    const per = await settled(nodes, spread(3), 60000);
    for (const [name, count] of Object.entries(per))
      assert.ok(count <= fair(accounts, 3) + SLACK, `${name} holds ${count}: ${JSON.stringify(per)}`);
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
    const post = (path) => nodes[0].post(path, '{"topic":"room:a","event":"echo"}');
    const start = await post(`/accounts/${held.name}/start`);
    assert.equal(start.status, 409);
    assert.match(await start.text(), new RegExp(`already_running.*${held.node}`));
    const push = await post(`/accounts/${held.name}/push`);
    assert.equal(push.status, 409);
    assert.match(await push.text(), new RegExp(`held_elsewhere.*${held.node}`));
  }, { accounts });
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
    assert.ok(per.n3 >= fair(30, 3) - 2 * SLACK, JSON.stringify(per));
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

// Differential test of Presence: seeded sequences of presence_state and
// presence_diff events go to the official phoenix.js Presence (on a stand-in
// channel) and to tether's presence tracker (presence_replay, one line per
// event); after every event both must list the same presences in the same
// order and report the same joins and leaves in the same order.
//
// The sequences hold what a Phoenix server sends and what a network makes
// of it: joins, leaves and meta updates (a leave and a join in one diff),
// one key on several connections, keys that are array indices ("0", "10")
// or Object.prototype's names ("__proto__", "constructor"), numeric
// phx_refs, extra members beside metas, diffs before the first state,
// rejoins with diffs before their state, a state that drops keys, leaves
// of metas no one has.
//
//   node presence_differential.mjs REPLAY_BINARY [SEQUENCES=3000] [SEED]
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Presence } from 'phoenix';
import { seededRandom } from './support/seeded_random.mjs';

const [replay, count = '3000', seedArg] = process.argv.slice(2);
const SEQUENCES = Number(count);
const SEED = Number(seedArg ?? (Date.now() % 1000000));

const KEYS = ['alice', 'bob', '0', '10', '2', '01', '__proto__', 'constructor', 'toString',
  'ünï', '4294967295', '4294967294', 'carol'];

/** One sequence of events, from the generator's model of the server. */
function sequence(rand) {
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const server = new Map(); // key -> metas, as the server has them
  let nextRef = 1;
  let joinRef = 1;
  const events = [];
  const newMeta = (key) => {
    const n = nextRef++;
    const meta = { phx_ref: rand() < 0.15 ? n : `r${n}`, online_at: n, device: pick(['web', 'ios']) };
    if (rand() < 0.1) delete meta.phx_ref; // a server that sends none
    return meta;
  };
  const presenceOf = (metas) => {
    const p = { metas };
    if (rand() < 0.2) p.user = { name: pick(['A', 'B']), n: Math.floor(rand() * 3) };
    return p;
  };
  const stateEvent = () => {
    const payload = Object.create(null); // "__proto__" is a key like any other
    for (const [key, metas] of server) {
      if (metas.length === 0) continue;
      // now and then the server lists metas in another order
      const ms = rand() < 0.2 ? [...metas].reverse() : metas;
      payload[key] = presenceOf(ms.map((m) => ({ ...m })));
    }
    return { op: 'state', join_ref: String(joinRef), payload };
  };
  const diffEvent = () => {
    const joins = Object.create(null), leaves = Object.create(null);
    const steps = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < steps; ++i) {
      const key = pick(KEYS);
      const metas = server.get(key) ?? [];
      const what = rand();
      if (what < 0.45 || metas.length === 0) { // a connection joins
        const m = newMeta(key);
        metas.push(m);
        server.set(key, metas);
        (joins[key] ??= presenceOf([])).metas.push({ ...m });
      } else if (what < 0.75) { // one leaves
        const [m] = metas.splice(Math.floor(rand() * metas.length), 1);
        (leaves[key] ??= { metas: [] }).metas.push({ ...m });
      } else if (what < 0.9) { // an update: its meta leaves and a new one joins
        const at = Math.floor(rand() * metas.length);
        const old = metas[at];
        const m = { ...newMeta(key), phx_ref_prev: old.phx_ref };
        metas[at] = m;
        (leaves[key] ??= { metas: [] }).metas.push({ ...old });
        (joins[key] ??= presenceOf([])).metas.push({ ...m });
      } else { // a leave no one asked for (a stale or repeated diff)
        (leaves[key] ??= { metas: [] }).metas.push({ phx_ref: `gone${nextRef++}` });
      }
    }
    return { op: 'diff', join_ref: String(joinRef), payload: { joins, leaves } };
  };

  if (rand() < 0.3) events.push(diffEvent()); // a diff before the first state
  events.push(stateEvent());
  const steps = 5 + Math.floor(rand() * 40);
  for (let i = 0; i < steps; ++i) {
    const what = rand();
    if (what < 0.75) {
      events.push(diffEvent());
    } else if (what < 0.9) { // a rejoin: diffs may come before its state
      joinRef += 2;
      const before = Math.floor(rand() * 3);
      for (let k = 0; k < before; ++k) events.push(diffEvent());
      events.push(stateEvent());
    } else {
      events.push(stateEvent());
    }
  }
  return events;
}

/** phoenix.js's Presence on a stand-in channel; answers per event what it
 *  lists and the onJoin/onLeave calls. */
function phoenixSide(events) {
  const handlers = {};
  let current = null;
  const channel = { on: (ev, cb) => { handlers[ev] = cb; }, joinRef: () => current };
  const presence = new Presence(channel);
  let calls;
  presence.onJoin((key, before, joined) => calls.joins.push({
    key, before: before === undefined ? null : JSON.parse(JSON.stringify(before)),
    joined: JSON.parse(JSON.stringify(joined)),
  }));
  presence.onLeave((key, remaining, left) => calls.leaves.push({
    key, remaining: JSON.parse(JSON.stringify(remaining)), left: JSON.parse(JSON.stringify(left)),
  }));
  const out = [];
  for (const e of events) {
    calls = { joins: [], leaves: [] };
    current = e.join_ref;
    // what the JSON serializer hands the channel: a fresh parse
    const payload = JSON.parse(JSON.stringify(e.payload));
    handlers[e.op === 'state' ? 'presence_state' : 'presence_diff'](payload);
    const list = presence.list((key, p) => ({ key, presence: JSON.parse(JSON.stringify(p)) }));
    out.push({ list, ...calls });
  }
  return out;
}

async function tetherSide(all) {
  const child = spawn(replay, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const got = [];
  const done = new Promise((resolve) => lines.on('close', resolve));
  lines.on('line', (l) => got.push(JSON.parse(l)));
  for (const events of all) {
    child.stdin.write('{"op":"reset"}\n');
    for (const e of events) child.stdin.write(JSON.stringify(e) + '\n');
  }
  child.stdin.end();
  await done;
  return got;
}

console.log(`presence differential: ${SEQUENCES} sequences, seed ${SEED}`);
const rand = seededRandom(SEED);
const all = Array.from({ length: SEQUENCES }, () => sequence(rand));
const ours = await tetherSide(all);
let at = 0, compared = 0;
for (let s = 0; s < all.length; ++s) {
  const theirs = phoenixSide(all[s]);
  ++at; // the reset's line
  for (let i = 0; i < theirs.length; ++i, ++at) {
    const mine = ours[at];
    const context = () => `sequence ${s} (seed ${SEED}), event ${i}: ${JSON.stringify(all[s][i])}\n`
      + `events so far: ${JSON.stringify(all[s].slice(0, i + 1))}`;
    assert.notEqual(mine?.outcome, 'invalid', context());
    assert.deepStrictEqual(mine.list, theirs[i].list, `list differs at ${context()}`);
    assert.deepStrictEqual(mine.joins, theirs[i].joins, `joins differ at ${context()}`);
    assert.deepStrictEqual(mine.leaves, theirs[i].leaves, `leaves differ at ${context()}`);
    ++compared;
  }
}
assert.equal(at, ours.length, 'presence_replay answered a different number of lines');
console.log(`presence differential: ${compared} events in ${SEQUENCES} sequences agree`);

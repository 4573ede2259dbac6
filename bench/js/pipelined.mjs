// Acked pushes per second with WINDOW in flight per connection, over CONNS
// connections, by the official client: the reference of tree_bench pipelined.
//   node pipelined.mjs URL TOTAL WINDOW CONNS
import { emit, joined, acked } from './common.mjs';

const [url, total, window, conns] = [process.argv[2], ...process.argv.slice(3).map(Number)];
const clients = await Promise.all(Array.from({ length: conns },
                                             (_, i) => joined(url, `room:bench${i}`)));
let sent = 0, done = 0, failed = 0;
const begin = process.hrtime.bigint();
await new Promise((resolve) => {
  const next = (channel) => {
    if (sent >= total) { if (done + failed === total) resolve(); return; }
    sent++;
    acked(channel, 'echo', { n: sent }).then(() => done++, () => failed++)
      .finally(() => next(channel));
  };
  for (const { channel } of clients)
    for (let i = 0; i < window; i++) next(channel);
});
const secs = Number(process.hrtime.bigint() - begin) / 1e9;
// BENCH_KEY_PREFIX (e.g. "phx.") tells rows against another server apart.
const key = `${process.env.BENCH_KEY_PREFIX ?? ''}pipe${conns}`;
emit(`${key}.js.rate`, done / secs);
emit(`${key}.js.failed`, failed);
for (const { socket } of clients) socket.disconnect();
process.exit(0);

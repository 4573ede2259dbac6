// COUNT official-client sockets in one Node process, each joined to a topic
// with its heartbeat running: time to all joined, memory per socket, idle CPU.
//   node scale.mjs URL[,URL...] COUNT   (sockets spread over the URLs in turn)
import { emit, joined } from './common.mjs';
import { readFileSync } from 'node:fs';

const [urls, count] = [process.argv[2].split(','), Number(process.argv[3])];
// BENCH_KEY_PREFIX (e.g. "s1000.") tells runs of different sizes apart.
const prefix = process.env.BENCH_KEY_PREFIX ?? '';
const rssKib = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
globalThis.gc?.();
const rss0 = rssKib();
const begin = process.hrtime.bigint();
const clients = [];
// open in batches, as tree_bench does, so neither side's accept queue overflows
for (let i = 0; i < count; i += 500) {
  const batch = [];
  for (let j = i; j < Math.min(count, i + 500); j++) batch.push(joined(urls[j % urls.length], `room:s${j}`));
  clients.push(...await Promise.all(batch));
}
const secs = Number(process.hrtime.bigint() - begin) / 1e9;
emit(prefix + 'scale.js.joined', clients.length);
emit(prefix + 'scale.js.join_s', secs);
await new Promise((r) => setTimeout(r, 2000)); // settle before measuring
globalThis.gc?.();
emit(prefix + 'scale.js.kib_per_socket', (rssKib() - rss0) / count);
// Longer than the 30 s heartbeat interval, so every socket's heartbeat is in
// the window (BENCH_IDLE_S, as tree_bench).
const windowS = Math.max(1, Number(process.env.BENCH_IDLE_S ?? 35));
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, windowS * 1000));
const cpu = process.cpuUsage(cpu0);
emit(prefix + 'scale.js.idle_window_s', windowS);
emit(prefix + 'scale.js.idle_cpu_pct', 100 * (cpu.user + cpu.system) / 1e6 / windowS);
for (const { socket } of clients) socket.disconnect();
process.exit(0);

// Turns bench/run's raw "key value" lines into the report: medians over the
// repetitions, one markdown table (measured, tether, reference, ratio) and
// gnuplot PNGs.
//   node bench/report.mjs RAW_FILE OUT_DIR
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

const [rawFile, outDir] = process.argv.slice(2);
const samples = new Map();
for (const line of readFileSync(rawFile, 'utf8').split('\n')) {
  const [key, value] = line.trim().split(/\s+/);
  if (!key || value === undefined || Number.isNaN(Number(value))) continue;
  if (!samples.has(key)) samples.set(key, []);
  samples.get(key).push(Number(value));
}
const median = (key) => {
  const xs = [...(samples.get(key) ?? [])].sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
};
const fmt = (v, digits = 0) => v === undefined ? 'not measured'
  : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// [what, tether key, reference key, reference name, unit, better ("higher"|"lower"), digits]
const rows = [
  ['Codec: decode frames/s', 'codec.tether_decode.rate', 'codec.nlohmann_decode.rate', 'nlohmann-json', '/s', 'higher', 0],
  ['Codec: encode frames/s', 'codec.tether_encode.rate', 'codec.nlohmann_encode.rate', 'nlohmann-json', '/s', 'higher', 0],
  ['Round trip: sequential push→reply/s', 'rt.tether.rate', 'rt.raw.rate', 'raw libwebsockets', '/s', 'higher', 0],
  ['Round trip: p50 latency', 'rt.tether.p50_us', 'rt.raw.p50_us', 'raw libwebsockets', 'µs', 'lower', 1],
  ['Round trip: p99 latency', 'rt.tether.p99_us', 'rt.raw.p99_us', 'raw libwebsockets', 'µs', 'lower', 1],
  ['Round trip: p50 latency, tuned vs CAF\'s default worker polling', 'rt.tether.p50_us', 'rt.tether_caf_default.p50_us', 'tether, CAF defaults', 'µs', 'lower', 1],
  ['Pipelined: acked pushes/s, 1 connection, 100 in flight', 'pipe1.tether.rate', 'pipe1.js.rate', 'Phoenix JS client', '/s', 'higher', 0],
  ['Pipelined: the same against the stack\'s ceiling', 'pipe1.tether.rate', 'pipe1.raw.rate', 'raw libwebsockets', '/s', 'higher', 0],
  ['Pipelined: acked pushes/s, 100 connections, 10 in flight each', 'pipe100.tether.rate', 'pipe100.js.rate', 'Phoenix JS client', '/s', 'higher', 0],
  ['Pipelined: the same against the stack\'s ceiling', 'pipe100.tether.rate', 'pipe100.raw.rate', 'raw libwebsockets, 100 connections', '/s', 'higher', 0],
  ['Pipelined: 100 connections, hub with 2 service threads', 'mt.pipe100.tether.rate', 'mt.pipe100.js.rate', 'Phoenix JS client', '/s', 'higher', 0],
  ['Pipelined: the same against that hub\'s ceiling', 'mt.pipe100.tether.rate', 'mt.pipe100.raw.rate', 'raw libwebsockets, 100 connections', '/s', 'higher', 0],
  ['Phoenix 1.7 peer: sequential push→reply/s', 'phx.rt.tether.rate', 'phx.rt.pipe1.js.rate', 'Phoenix JS client, same server', '/s', 'higher', 0],
  ['Phoenix 1.7 peer: acked pushes/s, 1 connection, 100 in flight', 'phx.pipe1.tether.rate', 'phx.pipe1.js.rate', 'Phoenix JS client, same server', '/s', 'higher', 0],
  ['Reconnect storm: time until all rejoined (jitter vs none)', 'storm.jitter.recover_s', 'storm.nojitter.recover_s', 'tether without jitter', 's', 'lower', 2],
  ['Reconnect storm: peak connection attempts/s (jitter vs none)', 'storm.jitter.peak_attempts_per_s', 'storm.nojitter.peak_attempts_per_s', 'tether without jitter', '/s', 'lower', 0],
  ['Supervision: connection crash → rejoined (p50)', 'sup.crash_to_rejoin_ms', undefined, '—', 'ms', 'lower', 2],
  ['Supervision: trees started per second', 'sup.trees_per_s', undefined, '—', '/s', 'higher', 0],
  ['Supervision: heap per offline tree (its actors, no socket)', 'sup.offline_heap_kib_per_tree', undefined, '—', 'KiB', 'lower', 1],
  ['Offline: 100,000 trees without sockets, time to start all', 'offline.tether.start_s', undefined, '—', 's', 'lower', 1],
  ['Offline: 100,000 trees, heap per tree', 'offline.tether.heap_kib_per_tree', undefined, '—', 'KiB', 'lower', 1],
  ['Offline: 100,000 trees, idle CPU of all', 'offline.tether.idle_cpu_pct', undefined, '—', '% of a core', 'lower', 2],
  ['Cluster: failover after kill -9, p50 (3 nodes, 300 accounts)', 'cluster.failover.p50_ms', 'cluster.failover.bound_ms', 'lease_ms + claim_interval_ms', 'ms', 'lower', 0],
  ['Cluster: failover after kill -9, p99', 'cluster.failover.p99_ms', 'cluster.failover.bound_ms', 'lease_ms + claim_interval_ms', 'ms', 'lower', 0],
  ['Cluster: Redis requests/s for 300 accounts at lease_ms 3000', 'cluster.redis.requests_per_s', 'cluster.redis.renewals_floor_per_s', 'the renewals alone', '/s', 'lower', 0],
  ['Cluster: Redis commands/s run (script steps included)', 'cluster.redis.commands_per_s', undefined, '—', '/s', 'lower', 0],
  ['permessage-deflate: wire bytes per message, chat-like JSON of 264 B (on vs off)', 'deflate.on.wire_bytes_per_msg', 'deflate.off.wire_bytes_per_msg', 'tether, compression off', 'B', 'lower', 1],
  ['permessage-deflate: client CPU per echoed message (on vs off)', 'deflate.on.cpu_us_per_msg', 'deflate.off.cpu_us_per_msg', 'tether, compression off', 'µs', 'lower', 2],
  ['permessage-deflate: heap per open socket (on vs off)', 'deflate.on.heap_kib_per_socket', 'deflate.off.heap_kib_per_socket', 'tether, compression off', 'KiB', 'lower', 1],
];

const trees = median('bench.trees');
const at = (n) => `s${n}.scale`;
rows.push(
  ['Scale: time until all joined', `${at(trees)}.tether.join_s`, `${at(trees)}.js.join_s`, 'Phoenix JS client', 's', 'lower', 2],
  ['Scale: resident memory per idle tree / socket', `${at(trees)}.tether.kib_per_tree`, `${at(trees)}.js.kib_per_socket`, 'Phoenix JS client', 'KiB', 'lower', 1],
  ['Scale: heap per idle tree (allocator\'s count)', `${at(trees)}.tether.heap_kib_per_tree`, undefined, '—', 'KiB', 'lower', 1],
  ['Scale: idle CPU of all trees / sockets', `${at(trees)}.tether.idle_cpu_pct`, `${at(trees)}.js.idle_cpu_pct`, 'Phoenix JS client', '% of a core', 'lower', 2],
);
let table = `| Measured | tether | Reference | Reference figure | Ratio (tether ÷ reference) |\n|---|---:|---|---:|---:|\n`;
for (const [what, tk, rk, rname, unit, better, digits] of rows) {
  const t = median(tk), r = rk ? median(rk) : undefined;
  const ratio = t !== undefined && r !== undefined && r !== 0 ? `${(t / r).toFixed(2)}× (${better} is better)` : '—';
  table += `| ${what} | ${fmt(t, digits)} ${unit} | ${rname} | ${r === undefined ? '—' : fmt(r, digits) + ' ' + unit} | ${ratio} |\n`;
}
const reps = Math.max(...[...samples.values()].map((v) => v.length));
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
const header = `Medians of ${reps} repetition(s) on ${machine}, ${new Date().toISOString().slice(0, 10)}; `
  + `scale and storm rows with ${fmt(trees)} trees, run once.\n\n`;
// Cost against scale: every size bench/run measured, tether beside the JS client.
const sizes = [...samples.keys()].map((k) => /^s(\d+)\.scale\.tether\.joined$/.exec(k)?.[1])
  .filter(Boolean).map(Number).sort((a, b) => a - b);
let scaleTable = '\n| Trees / sockets | joined in (tether / JS) | resident KiB each (tether / JS) | heap KiB per tree | idle CPU, % of a core (tether / JS) |\n|---:|---:|---:|---:|---:|\n';
for (const n of sizes) {
  const t = (k) => median(`${at(n)}.tether.${k}`), j = (k) => median(`${at(n)}.js.${k}`);
  scaleTable += `| ${fmt(n)} | ${fmt(t('join_s'), 2)} s / ${j('join_s') === undefined ? '—' : fmt(j('join_s'), 2) + ' s'}`
    + ` | ${fmt(t('kib_per_tree'), 1)} / ${j('kib_per_socket') === undefined ? '—' : fmt(j('kib_per_socket'), 1)}`
    + ` | ${fmt(t('heap_kib_per_tree'), 1)}`
    + ` | ${fmt(t('idle_cpu_pct'), 2)} / ${j('idle_cpu_pct') === undefined ? '—' : fmt(j('idle_cpu_pct'), 2)} |\n`;
}
// Heap per actor of each kind a tree holds (tree_bench anatomy).
const parts = [...samples.keys()].filter((k) => k.startsWith('anatomy.'));
let anatomyTable = '\n| A tree\'s part, spawned alone | heap KiB |\n|---|---:|\n';
for (const k of parts)
  anatomyTable += `| ${k.slice('anatomy.'.length).replace(/_kib$/, '').replace(/_/g, ' ')} | ${fmt(median(k), 2)} |\n`;
writeFileSync(`${outDir}/table.md`, header + table + (sizes.length ? scaleTable : '')
  + (parts.length ? anatomyTable : ''));
const scaleRows = sizes.map((n) => {
  const t = (k) => median(`${at(n)}.tether.${k}`) ?? 'NaN', j = (k) => median(`${at(n)}.js.${k}`) ?? 'NaN';
  return `${n} ${t('join_s')} ${j('join_s')} ${t('kib_per_tree')} ${j('kib_per_socket')} ${t('idle_cpu_pct')} ${j('idle_cpu_pct')}`;
});
writeFileSync(`${outDir}/scale.dat`, scaleRows.join('\n') + '\n');

// Plots: throughput side by side, and round-trip latency side by side.
const dat = (file, entries) => writeFileSync(`${outDir}/${file}`,
  entries.map(([label, a, b]) => `"${label}" ${a ?? 0} ${b ?? 0}`).join('\n') + '\n');
dat('throughput.dat', [
  ['decode', median('codec.tether_decode.rate'), median('codec.nlohmann_decode.rate')],
  ['encode', median('codec.tether_encode.rate'), median('codec.nlohmann_encode.rate')],
  ['round trip', median('rt.tether.rate'), median('rt.raw.rate')],
  ['pipe x1', median('pipe1.tether.rate'), median('pipe1.js.rate')],
  ['pipe x1 vs raw', median('pipe1.tether.rate'), median('pipe1.raw.rate')],
  ['pipe x100', median('pipe100.tether.rate'), median('pipe100.js.rate')],
]);
dat('latency.dat', [
  ['p50', median('rt.tether.p50_us'), median('rt.raw.p50_us')],
  ['p99', median('rt.tether.p99_us'), median('rt.raw.p99_us')],
]);
const plot = (name, title, ylabel, log, refLabel) => `
set terminal pngcairo size 900,500 font ",10"
set output "${outDir}/${name}.png"
set title "${title}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "${ylabel}"
${log ? 'set logscale y' : 'unset logscale y'}
set grid ytics
set key top right
plot "${outDir}/${name}.dat" using 2:xtic(1) title "tether", '' using 3 title "${refLabel}"
`;
const scalePlot = `
set terminal pngcairo size 1200,400 font ",10"
set output "${outDir}/scale.png"
set multiplot layout 1,3 title "Cost against scale: tether trees and Phoenix JS sockets in one process"
set logscale x
set grid
set key top left
set xlabel "trees / sockets"
set title "time until all joined"
set ylabel "s"
plot "${outDir}/scale.dat" using 1:2 with linespoints title "tether", '' using 1:3 with linespoints title "Phoenix JS"
set title "resident memory each"
set ylabel "KiB"
plot "${outDir}/scale.dat" using 1:4 with linespoints title "tether", '' using 1:5 with linespoints title "Phoenix JS"
set title "idle CPU of all"
set ylabel "% of a core"
plot "${outDir}/scale.dat" using 1:6 with linespoints title "tether", '' using 1:7 with linespoints title "Phoenix JS"
unset multiplot
`;
try {
  if (sizes.length)
    execFileSync('gnuplot', { input: scalePlot });
} catch (e) {
  console.error(`bench: gnuplot failed on the scale plot: ${e.message}`);
}
try {
  execFileSync('gnuplot', { input: plot('throughput', 'Operations per second (log scale)', 'per second', true,
                                        'reference (nlohmann / raw lws / Phoenix JS)')
                                 + plot('latency', 'Sequential round trip latency', 'µs', false, 'raw libwebsockets') });
} catch (e) {
  console.error(`bench: gnuplot failed: ${e.message}`);
}

// A TCP proxy that holds every chunk for a given delay in each direction,
// in order (the kernel here has no netem). Runs inside the server's network
// namespace; stdin takes commands, one per line: "delay MS".
//   node delay_proxy.mjs LISTEN_HOST TARGET_HOST TARGET_PORT
// Prints "listening PORT" once bound (an ephemeral port).
import net from 'node:net';
import readline from 'node:readline';

const [listenHost, targetHost, targetPort] = process.argv.slice(2);
let delayMs = 0;

/** Writes chunks to `to` after the delay, never overtaking an earlier one. */
function delayedPipe(from, to) {
  let lastRelease = 0;
  from.on('data', (chunk) => {
    const release = Math.max(Date.now() + delayMs, lastRelease);
    lastRelease = release;
    setTimeout(() => { if (!to.destroyed) to.write(chunk); }, release - Date.now());
  });
  from.on('end', () => {
    setTimeout(() => to.end(), Math.max(0, lastRelease - Date.now()));
  });
  from.on('error', () => to.destroy());
}

const server = net.createServer((client) => {
  const upstream = net.connect(Number(targetPort), targetHost);
  delayedPipe(client, upstream);
  delayedPipe(upstream, client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, listenHost, () => console.log(`listening ${server.address().port}`));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const m = line.match(/^delay (\d+)$/);
  if (m) { delayMs = Number(m[1]); console.log(`delay ${delayMs}`); }
});
process.stdin.on('end', () => process.exit(0));

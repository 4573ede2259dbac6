// Reading a child process's output in the node-driven tests (tetherd,
// cluster, soak, faults): the servers they start say where they listen on
// stdout or stderr, and a test waits for that line.

import { spawn } from 'node:child_process';

/** Resolves with the first match of `re` on `child[stream]`'s output so
 *  far; rejects after `ms`, or when the child exits first, with what it
 *  printed. */
export function waitLine(child, stream, re, ms = 15000) {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      child[stream].off('data', onData);
      child.off('exit', onExit);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timeout waiting for ${re}; got:\n${text}`));
    }, ms);
    const onData = (chunk) => {
      text += chunk;
      const m = text.match(re);
      if (m) { done(); resolve(m); }
    };
    const onExit = (code, signal) => {
      done();
      reject(new Error(`${child.spawnargs.join(' ')} exited (${code ?? signal}) before ${re}; `
        + `got:\n${text}`));
    };
    child[stream].on('data', onData);
    child.on('exit', onExit);
  });
}

/** Starts tetherd on `configPath`; answers the child with `log` (its
 *  stderr so far), `exited` (its exit code and signal, once it ends),
 *  `port` and `base` (its control API). `env`: the child's environment. */
export async function startTetherd(binary, configPath, env = process.env) {
  const proc = spawn(binary, ['--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const d = { proc, log: '' };
  proc.stderr.on('data', (c) => { d.log += c; });
  d.exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  d.port = await apiPort(proc);
  d.base = `http://127.0.0.1:${d.port}`;
  return d;
}

/** The port a tether-hub child prints on stdout once it listens. */
export async function hubPort(child) {
  return Number((await waitLine(child, 'stdout', /127\.0\.0\.1:(\d+)\/socket/))[1]);
}

/** The port a tetherd child's control API logs on stderr once it listens. */
export async function apiPort(child) {
  return Number((await waitLine(child, 'stderr', /"port":"?(\d+)/))[1]);
}

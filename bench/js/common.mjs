// Shared by the reference clients: sockets of the official Phoenix client on
// Node (ws as its WebSocket), and the "key value" output bench/run reads.
import { Socket } from 'phoenix';
import WebSocket from 'ws';

export function emit(key, value) {
  console.log(`${key} ${Number(value).toFixed(3)}`);
}

/** Opens a socket and joins `topic`; resolves with { socket, channel }. */
export function joined(url, topic, heartbeatMs = 30000) {
  return new Promise((resolve, reject) => {
    const socket = new Socket(url, { transport: WebSocket, heartbeatIntervalMs: heartbeatMs,
                                     reconnectAfterMs: () => 1000 });
    socket.connect();
    const channel = socket.channel(topic, {});
    channel.join().receive('ok', () => resolve({ socket, channel }))
                  .receive('error', (e) => reject(new Error(JSON.stringify(e))))
                  .receive('timeout', () => reject(new Error('join timeout')));
  });
}

/** Resolves when a push is acknowledged ok; rejects otherwise. */
export function acked(channel, event, payload) {
  return new Promise((resolve, reject) => {
    channel.push(event, payload, 30000).receive('ok', resolve)
      .receive('error', reject).receive('timeout', () => reject(new Error('timeout')));
  });
}

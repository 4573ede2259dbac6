// An HTTP CONNECT proxy on loopback for the node tests (the C++ tests have
// support/connect_proxy.cpp): tunnels to 127.0.0.1 only and records each
// CONNECT target.

import net from 'node:net';

export async function startConnectProxy() {
  const requests = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const [method, target] = head.subarray(0, end).toString().split(' ');
      requests.push(target);
      const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
      if (method !== 'CONNECT' || host !== '127.0.0.1') {
        client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const upstream = net.connect(port, host, () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        upstream.write(head.subarray(end + 4));
        client.pipe(upstream);
        upstream.pipe(client);
      });
      sockets.add(upstream);
      upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

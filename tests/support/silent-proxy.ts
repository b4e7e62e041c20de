import net from 'node:net';

/**
 * A TCP proxy in front of a real server (Redis) that, once told, keeps taking what clients send
 * and answers nothing: a server that accepts connections but has stopped answering. With
 * `firstConnectionAnswersAfterMs`, it holds every answer on its first connection for that long:
 * a client's first connection slow to become ready, as on a machine busy starting a gateway.
 */
export async function silentProxy(target: string, { firstConnectionAnswersAfterMs = 0 } = {}) {
  let connections = 0;
  const { hostname, port } = new URL(target);
  let silent = false;
  let unanswered = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port || 6379), hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      if (silent) unanswered += 1; // one write per command sent
      else upstream.write(chunk);
    });
    connections += 1;
    const answerFrom = connections === 1 ? Date.now() + firstConnectionAnswersAfterMs : 0;
    upstream.on('data', (chunk) => {
      const wait = answerFrom - Date.now();
      if (wait > 0) setTimeout(() => client.write(chunk), wait);
      else client.write(chunk);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    goSilent() {
      silent = true;
    },
    /** Commands received since it went silent. */
    unanswered: () => unanswered,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

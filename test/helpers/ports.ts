// Free loopback ports below the ephemeral range (32768 up here): client sockets of the load
// generator and of other tests take ports from that range, so a server port there could collide.
import net from 'node:net';

export async function freePortBelowEphemeral(lowest = 10_000): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = lowest + Math.floor(Math.random() * (32_768 - lowest));
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port below 32768');
}

// Certificates in a cluster: one uploaded through the admin API or console on one node is sent to
// every other node, which installs it in its own certs folder (nodes on other machines have a data
// folder of their own; workers of one machine share theirs, and find the files already written)
// and serves it at once. The pair travels on the cluster bus, which carries every stanza already:
// keep it on a private network or behind TLS (docs/cluster.md). Each node checks the pair again
// before it serves it; a node down at that moment keeps its files until the admin uploads anew.
import type { Logger } from '../logger.ts';
import type { ClusterBus } from './bus.ts';

const TOPIC = 'certificate';

export type InstallCertificate = (name: string, certificate: string, key: string) => Promise<unknown>;

/** Hears uploads made on other nodes; returns what tells them of one made here. */
export function relayCertificates(node: string, bus: ClusterBus, install: InstallCertificate, log: Logger): (name: string, certificate: string, key: string) => void {
  bus.onBroadcast(TOPIC, (data) => {
    let message: { n?: unknown; name?: unknown; certificate?: unknown; key?: unknown };
    try {
      message = JSON.parse(data) as typeof message;
    } catch {
      return log.warn('cluster: an unreadable certificate message');
    }
    const { n, name, certificate, key } = message;
    if (n === node) return;
    if (typeof name !== 'string' || typeof certificate !== 'string' || typeof key !== 'string') return log.warn({ from: n }, 'cluster: an unreadable certificate message');
    install(name, certificate, key).then(
      () => log.info({ event: 'certificate-installed', domain: name, from: n }, 'Installed the certificate uploaded on another node'),
      (err: unknown) => log.warn({ err, domain: name, from: n }, 'The certificate uploaded on another node was not taken here'),
    );
  });
  return (name, certificate, key) => bus.broadcast(TOPIC, JSON.stringify({ n: node, name, certificate, key }));
}

// Requests on a cluster bus that wait for their answer (ClusterBus.request): numbered, each with a
// timeout, failed all at once when the bus closes. Shared by the buses that carry requests
// themselves (ipc-bus.ts through the primary, socket-bus.ts between workers).
import { BusRequestError } from './bus.ts';

interface PendingRequest {
  resolve(data: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class PendingBusRequests {
  private readonly pending = new Map<number, PendingRequest>();
  private next = 0;

  /** A request to `node` about `topic`; `send(id)` puts it on the wire. Settles with the answer, or fails after `timeoutMs`. */
  start(node: string, topic: string, timeoutMs: number, send: (id: number) => void): Promise<string> {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BusRequestError(`${node} did not answer ${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      send(id);
    });
  }

  /** The answer to request `id` (`failed`: the responder threw, `data` says why); a late or unknown one is dropped. */
  answered(id: number, data: string, failed: boolean | undefined): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    clearTimeout(request.timer);
    if (failed) request.reject(new BusRequestError(data));
    else request.resolve(data);
  }

  /** The bus closed: every request still waiting fails. */
  closed(): void {
    for (const request of this.pending.values()) {
      clearTimeout(request.timer);
      request.reject(new BusRequestError('the cluster bus closed'));
    }
    this.pending.clear();
  }
}

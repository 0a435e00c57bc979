// GET /metrics for Prometheus, on the HTTP listeners, only when config.metrics.enabled. With a
// metrics.token, a scrape needs `Authorization: Bearer <token>` (Prometheus: authorization.credentials);
// without one only loopback clients are served (a Prometheus or an agent on the same machine). On
// the plain listener a token is only taken from loopback clients: it must not cross a network in clear.
import { createHash, timingSafeEqual } from 'node:crypto';
import type uWS from 'uWebSockets.js';
import type { Config } from '../config.ts';
import type { HttpRoutes } from '../http/routes.ts';
import { remoteAddressOf } from '../http/remote-address.ts';
import type { Logger } from '../logger.ts';
import { isLoopbackAddress } from '../net/addresses.ts';
import type { ServerMetrics } from './registry.ts';

export const METRICS_PATH = '/metrics';

export function metricsRoutes(config: Config['metrics'], metrics: ServerMetrics, log: Logger): HttpRoutes {
  const tokenDigest = config.token ? digest(config.token) : null;
  return (encrypted) => (app) => {
    app.get(METRICS_PATH, (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
      const authorization = req.getHeader('authorization');
      const loopback = isLoopbackAddress(remoteAddressOf(res));
      let aborted = false;
      res.onAborted(() => { aborted = true; });
      const answer = (status: string, body: string, headers: Record<string, string> = {}) => {
        if (aborted) return;
        res.cork(() => {
          res.writeStatus(status).writeHeader('Cache-Control', 'no-store');
          for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
          res.end(body);
        });
      };
      if (!encrypted && !loopback) return answer('403 Forbidden', 'metrics are served over HTTPS, or over HTTP to loopback clients\n');
      if (tokenDigest) {
        const presented = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
        if (!presented || !timingSafeEqual(digest(presented), tokenDigest)) {
          return answer('401 Unauthorized', 'a metrics token is required (Authorization: Bearer …)\n', { 'WWW-Authenticate': 'Bearer realm="parley-metrics"' });
        }
      } else if (!loopback) {
        return answer('403 Forbidden', 'without metrics.token only loopback clients may scrape\n');
      }
      metrics.text().then((text) => answer('200 OK', text, { 'Content-Type': metrics.contentType }), (error: unknown) => {
        log.error({ err: error }, 'metrics could not be collected');
        answer('500 Internal Server Error', 'metrics could not be collected\n');
      });
    });
  };
}

/** Compared as digests: equal length for timingSafeEqual whatever was presented. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

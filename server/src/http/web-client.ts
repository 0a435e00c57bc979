// The built web client (dist/webclient) at '/', and 404 for every path no feature claims.
import type uWS from 'uWebSockets.js';
import type { HttpRoutes } from './server.ts';
import { StaticFiles } from './static-files.ts';

export function webClientRoutes(webClientDir: string): HttpRoutes {
  const webClient = new StaticFiles(webClientDir);
  const get = (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
    // the admin console's page is served by the admin routes, only when admin authentication is configured (admin/http.ts)
    if (req.getUrl().startsWith('/admin/')) return notFound(res);
    if (webClient.serve(res, req.getUrl(), req.getHeader('if-none-match'), req.getHeader('accept-encoding'))) return;
    if (req.getUrl() === '/') {
      res.writeHeader('Content-Type', 'text/plain; charset=utf-8')
        .end('Parley XMPP server. The web client is not built: run `npm run build -w @parley/webclient`.\n');
      return;
    }
    notFound(res);
  };
  return () => (app) => {
    app.get('/*', get);
    app.any('/*', notFound);
  };
}

function notFound(res: uWS.HttpResponse): void {
  res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain; charset=utf-8').end('Not found\n');
}

// What the features that serve HTTP give the HTTP room (server.ts): their routes, per listener.
import type uWS from 'uWebSockets.js';

/** Attaches routes to an app, or to one TLS server name of it. */
export type RouteAttacher = (app: uWS.TemplatedApp) => void;

/**
 * One feature's routes for a listener (plain or TLS): its handlers are built once per listener,
 * then attached to the listener's app and to each of its TLS server names.
 */
export type HttpRoutes = (encrypted: boolean) => RouteAttacher;

/** The ports the listeners got (known once they listen; 0 picks a free port). */
export interface HttpPorts {
  http: number;
  https: number | null;
}

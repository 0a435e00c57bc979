// Routes are attached per uWS app, and on HTTPS once more per TLS server name (server-names.ts):
// each transport builds its handlers once and returns a function that attaches them.
import type uWS from 'uWebSockets.js';

export type RouteAttacher = (app: uWS.TemplatedApp) => void;

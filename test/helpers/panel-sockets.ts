// The panel's WebSockets routed through the test: every frame each way is recorded (to count
// what the panel and the server said), and `cut()` drops the newest connection as a lost network
// would — no <close/>, just the socket gone on both sides.
import type { Page, WebSocketRoute } from 'playwright-core';

export interface Frame {
  /** Socket number (0 = the first the page opened). */
  socket: number;
  direction: 'sent' | 'received';
  text: string;
}

export interface WatchedSockets {
  count(): number;
  frames: Frame[];
  /** Frames of one direction containing `text`, from socket `since` on. */
  matching(direction: Frame['direction'], text: string | RegExp, since?: number): Frame[];
  cut(): Promise<void>;
  /** While refused, new WebSockets are closed before they reach the server (a network still down). */
  refuse(refused: boolean): void;
  /** The network goes down for new connections, WebSocket and BOSH (the open ones stay: cut() them). */
  networkDown(): Promise<void>;
  /** The network is back, and the browser says so (the panel retries at once, as after an outage). */
  networkBack(): Promise<void>;
  /** Frames the page sends that match are recorded but not passed on (null: pass everything). */
  dropSent(pattern: RegExp | null): void;
  /**
   * Frames from the server for which `hold` is true wait, recorded, until `holdReceived(null)`
   * passes them on in order (the page sees everything else meanwhile): answers slow to come.
   */
  holdReceived(hold: ((frame: Frame) => boolean) | null): void;
}

export async function watchedWebSockets(page: Page): Promise<WatchedSockets> {
  const sockets: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
  const frames: Frame[] = [];
  let refusing = false;
  let dropping: RegExp | null = null;
  let holding: ((frame: Frame) => boolean) | null = null;
  const held: { socket: WebSocketRoute; message: string | Buffer }[] = [];
  await page.routeWebSocket('**/xmpp-websocket', (socket) => {
    if (refusing) return void socket.close({ code: 1011, reason: 'network down' });
    const number = sockets.length;
    const server = socket.connectToServer();
    sockets.push({ page: socket, server });
    socket.onMessage((message) => {
      frames.push({ socket: number, direction: 'sent', text: String(message) });
      if (!dropping?.test(String(message))) server.send(message);
    });
    server.onMessage((message) => {
      const frame: Frame = { socket: number, direction: 'received', text: String(message) };
      frames.push(frame);
      if (holding?.(frame)) held.push({ socket, message });
      else socket.send(message);
    });
  });
  return {
    count: () => sockets.length,
    frames,
    matching: (direction, text, since = 0) => frames.filter((frame) => frame.socket >= since && frame.direction === direction
      && (typeof text === 'string' ? frame.text.includes(text) : text.test(frame.text))),
    refuse(refused) {
      refusing = refused;
    },
    async networkDown() {
      refusing = true;
      await page.route('**/http-bind', (route) => route.abort());
    },
    async networkBack() {
      refusing = false;
      await page.unroute('**/http-bind');
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
    },
    dropSent(pattern) {
      dropping = pattern;
    },
    holdReceived(hold) {
      holding = hold;
      if (hold === null) for (const { socket, message } of held.splice(0)) socket.send(message);
    },
    async cut() {
      const last = sockets.at(-1);
      if (!last) throw new Error('no WebSocket to cut');
      await last.server.close();
      await last.page.close({ code: 4000, reason: 'network gone' });
    },
  };
}

/** Waits until `condition` holds (polling), failing with `what` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Builds the web client once before the browser tests when dist/webclient is missing or stale.
import { ensureWebClientBuilt } from '../helpers/browser.ts';

export default function setup(): void {
  ensureWebClientBuilt();
}

// One element from serialized XML (a stored or queued stanza), or null when it does not parse (shared/, also used by components).
export { parseStanza } from '@parley/shared';

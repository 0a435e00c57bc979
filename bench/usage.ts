// The benchmark's command line: `npm run bench -- --help` lists the options with what they do and
// their defaults; an unknown option or a value that is not a number is one line and the usage,
// not a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What each option does (an option missing here is still listed, with its default). */
const DESCRIPTIONS: Record<string, string> = {
  seconds: 'measured seconds per throughput run',
  warmup: 'seconds of load before each measurement',
  pairs: 'sender → receiver pairs (each a logged-in session)',
  'in-flight': 'messages in flight per pair',
  scenarios: 'comma-separated: tcp, tls, websocket, bosh, idle, soak, archive, pep, rooms, s2s, upload, hibernated, resume, workers, cluster',
  idle: 'idle connection counts measured for memory per connection',
  'no-pin': 'do not pin the server to core 1 and the load to core 0 (taskset)',
  'soak-minutes': 'minutes of TCP load in the soak scenario, sampled every minute',
  sm: 'every load client enables XEP-0198 stream management with resumption and answers the acks',
  rate: 'offered messages/s over all pairs instead of --in-flight (open loop): the server CPU per message below saturation',
  hibernated: 'sessions left waiting for resumption in the hibernated scenario',
  resumptions: 'resumptions timed one at a time in the resume scenario',
  'pep-subscribers': 'contacts of the PEP publisher (pep scenario)',
  'pep-in-flight': 'PEP publishes kept in flight (pep scenario)',
  occupants: 'occupants of the busy room (rooms scenario)',
  'room-in-flight': 'messages in flight per occupant (rooms scenario)',
  'idle-rooms': 'idle persistent rooms measured for memory (rooms scenario)',
  'idle-links': 'idle s2s links measured for memory (s2s scenario)',
  'upload-mb': 'megabytes of the file sent up and fetched back (upload scenario)',
  'archive-modes': 'comma-separated archive modes each transport runs in, side by side: off, sqlite',
  'no-archive': 'transport, soak and idle scenarios with the conversation archive off only',
  'no-writer-thread': "the SQLite archive writes on the server's event loop instead of its writer thread",
  synchronous: "the server's storage.synchronous: normal or full",
  'archive-entries': 'entries generated for the archive search scenario',
  'archive-queries': 'search queries timed per backend',
  'archive-es-messages': "messages (two entries each) queued for Elasticsearch's indexing rate",
  'archive-backends': 'comma-separated: sqlite, elasticsearch',
  'load-processes': 'load generator processes sharing the pairs in the workers and cluster scenarios',
  'scale-transports': 'comma-separated transports the workers and cluster scenarios run over',
  help: 'print this and exit',
};

export function usage(options: Options): string {
  const lines = ['Usage: npm run bench -- [options]', '', 'Options:'];
  for (const [name, option] of Object.entries(options)) {
    const flag = `--${name}${option.type === 'string' ? ' VALUE' : ''}${option.short ? `, -${option.short}` : ''}`;
    const fallback = option.default !== undefined && option.type === 'string' ? ` (default ${String(option.default)})` : '';
    lines.push(`  ${flag.padEnd(28)} ${DESCRIPTIONS[name] ?? ''}${fallback}`);
  }
  return lines.join('\n');
}

/** parseArgs with --help, and errors as a line plus the usage (exit status 2). */
export function parseBenchArgs<O extends Options>(config: { options: O; args?: string[] }): ParsedArgs<O> {
  const options = { ...config.options, help: { type: 'boolean', short: 'h', default: false } } as const;
  const fail = (message: string): never => {
    process.stderr.write(`bench: ${message}\n\n${usage(options)}\n`);
    process.exit(2);
  };
  let parsed;
  try {
    parsed = parseArgs({ options, args: config.args, strict: true, allowPositionals: false });
  } catch (error) {
    return fail((error as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage(options)}\n`);
    process.exit(0);
  }
  // options whose default is a number take numbers
  for (const [name, option] of Object.entries(config.options)) {
    const value = (parsed.values as Record<string, unknown>)[name];
    if (typeof option.default === 'string' && /^\d+$/.test(option.default) && typeof value === 'string' && !/^\d+(\.\d+)?$/.test(value)) {
      fail(`--${name} takes a number, not '${value}'`);
    }
  }
  return parsed as unknown as ParsedArgs<O>;
}

type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>;

// A listener that cannot bind its port, told in one line that names the port and the setting that
// chose it (the CLI prints the message and exits with status 1 instead of a stack trace).
import net from 'node:net';

/** The environment variable beside each port setting (config.ts loadConfig). */
const ENV_NAMES: Record<string, string> = {
  'c2s.port': 'PARLEY_C2S_PORT',
  'c2s.tlsPort': 'PARLEY_C2S_TLS_PORT',
  'http.port': 'PARLEY_HTTP_PORT',
  'http.tlsPort': 'PARLEY_HTTPS_PORT',
  's2s.port': 'PARLEY_S2S_PORT',
  's2s.tlsPort': 'PARLEY_S2S_TLS_PORT',
};

export class ListenError extends Error {
  constructor(readonly host: string, readonly port: number, readonly configKey: string, readonly code: string | undefined) {
    const env = ENV_NAMES[configKey];
    super(`cannot listen on ${host}:${port}: ${reason(code)}; set ${configKey}${env ? ` (or ${env})` : ''} to another port`);
    this.name = 'ListenError';
  }
}

function reason(code: string | undefined): string {
  switch (code) {
    case 'EADDRINUSE': return 'the port is already in use';
    case 'EACCES': return 'permission denied (ports below 1024 need privileges)';
    case 'EADDRNOTAVAIL': return 'the address is not one of this machine';
    default: return code ?? 'the port cannot be used';
  }
}

/** From node:net's error. */
export function fromNodeError(error: NodeJS.ErrnoException, host: string, port: number, configKey: string): ListenError {
  return new ListenError(host, port, configKey, error.code);
}

/** uWS only says that listening failed: a probe with node:net finds out why. */
export function listenError(host: string, port: number, configKey: string): Promise<ListenError> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(new ListenError(host, port, configKey, error.code)));
    probe.listen(port, host, () => probe.close(() => resolve(new ListenError(host, port, configKey, undefined))));
  });
}

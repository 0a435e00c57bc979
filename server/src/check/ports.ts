// The listening ports: free (the server can take them), taken by this very Parley (it presents this
// data folder's certificate, or serves this configuration's host-meta), or taken by something else —
// the case that stops a start (net/listen-error.ts). Ports 0 are picked at start.
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Config } from '../config.ts';
import { probeXmpp } from '../dns/probe.ts';
import { findCertificate } from '../tls/certificate-files.ts';
import { Findings } from './finding.ts';

interface Listener {
  /** the configuration key */
  setting: string;
  port: number;
  kind: 'xmpp' | 'xmpp-tls' | 'http' | 'https';
}

export interface PortCheckOptions {
  certsDir: string;
  /** the first served domain: stream 'to', SNI and Host of the probes */
  domain: string;
  timeoutMs: number;
}

export async function checkPorts(config: Config, options: PortCheckOptions): Promise<Findings> {
  const found = new Findings('ports');
  const listeners: Listener[] = [
    { setting: 'c2s.port', port: config.c2s.port, kind: 'xmpp' },
    { setting: 'c2s.tlsPort', port: config.c2s.tlsPort, kind: 'xmpp-tls' },
    { setting: 'http.port', port: config.http.port, kind: 'http' },
    { setting: 'http.tlsPort', port: config.http.tlsPort, kind: 'https' },
  ];
  const ours = await ownFingerprint(options.certsDir, options.domain);
  for (const listener of listeners) {
    if (listener.port < 0) continue; // off
    const where = `${listener.setting} ${listener.port}`;
    if (listener.port === 0) {
      found.note(`${listener.setting} is 0: a free port is picked at each start (the "listening" log line names it)`);
      continue;
    }
    const outcome = await tryListen(config.bind, listener.port);
    if (outcome === 'free') {
      found.ok(`${where} is free on ${config.bind}`);
    } else if (outcome === 'EACCES') {
      found.problem(`${where}: this user may not listen on ports below 1024`,
        `use a port of 1024 or more (5222, 5280… need nothing), or give the server CAP_NET_BIND_SERVICE (see docs)`);
    } else if (outcome === 'EADDRNOTAVAIL') {
      found.problem(`bind ${config.bind} is not an address of this machine`, 'set bind to one of its addresses, or 0.0.0.0 / ::');
    } else if (outcome === 'EADDRINUSE') {
      const holder = await whoListens(probeAddress(config.bind), listener, options, ours, config.http.websocketPath);
      if (holder === 'this') found.ok(`${where} is in use by this Parley (it is running: ${holderProof(listener)})`);
      else found.problem(`${where} is in use by another program${holder === 'xmpp' ? ' (an XMPP server that is not this one)' : ''}`,
        `stop that program, or set ${listener.setting} to a free port`);
    } else {
      found.problem(`${where} cannot be opened: ${outcome}`, `set ${listener.setting} to another port`);
    }
  }
  return found;
}

function holderProof(listener: Listener): string {
  return listener.kind === 'http' ? "it serves this configuration's host-meta" : "it presents this data folder's certificate";
}

/** Where to reach a listener bound to `bind` from this machine. */
function probeAddress(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '::1';
  return bind;
}

/** Listen and close again: 'free', or the error code that kept the port. */
function tryListen(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

async function ownFingerprint(certsDir: string, domain: string): Promise<string | null> {
  const found = await findCertificate(certsDir, domain);
  if (found.status !== 'found') return null;
  try {
    return new X509Certificate(found.cert).fingerprint256;
  } catch {
    return null;
  }
}

/** 'this': the holder is this Parley; 'xmpp': another XMPP service; 'other': anything else. */
async function whoListens(address: string, listener: Listener, options: PortCheckOptions, ours: string | null, websocketPath: string): Promise<'this' | 'xmpp' | 'other'> {
  const { domain, timeoutMs } = options;
  switch (listener.kind) {
    case 'xmpp':
    case 'xmpp-tls': {
      const probe = await probeXmpp({ address, port: listener.port, domain, kind: 'client', directTls: listener.kind === 'xmpp-tls', timeoutMs, ca: [] });
      if (!probe.xmpp && !(listener.kind === 'xmpp-tls' && probe.certificate)) return 'other';
      return ours !== null && probe.certificate?.fingerprint256 === ours ? 'this' : probe.xmpp ? 'xmpp' : 'other';
    }
    case 'https':
      return (await presentedFingerprint(address, listener.port, domain, timeoutMs)) === ours && ours !== null ? 'this' : 'other';
    case 'http':
      return (await hostMetaNames(address, listener.port, domain, timeoutMs, websocketPath)) ? 'this' : 'other';
  }
}

function presentedFingerprint(address: string, port: number, domain: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: address, port, servername: domain, rejectUnauthorized: false, timeout: timeoutMs }, () => {
      const certificate = socket.getPeerX509Certificate();
      socket.destroy();
      resolve(certificate?.fingerprint256 ?? null);
    });
    socket.once('error', () => resolve(null));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(null);
    });
  });
}

/** Whether the listener serves XEP-0156 host-meta for `domain` with this configuration's WebSocket path. */
function hostMetaNames(address: string, port: number, domain: string, timeoutMs: number, websocketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: address, port, path: '/.well-known/host-meta.json', headers: { host: domain }, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 65_536) body += chunk;
      });
      response.on('end', () => {
        try {
          const links = (JSON.parse(body) as { links?: Array<{ href?: string }> }).links ?? [];
          resolve(links.some((link) => typeof link.href === 'string' && new URL(link.href).pathname === websocketPath));
        } catch {
          resolve(false);
        }
      });
    });
    request.once('error', () => resolve(false));
    request.once('timeout', () => {
      request.destroy();
      resolve(false);
    });
  });
}

// Does an XMPP service answer at address:port, and with which certificate? For `parley dns-check`:
// opens a stream (RFC 6120 §4.2) in the service's namespace, negotiates STARTTLS (§5.4) or starts
// with TLS (XEP-0368, ALPN xmpp-client / xmpp-server, SNI = the domain), and returns the
// certificate the server presented. A diagnostic, not a client: the text is matched, not parsed.
import net from 'node:net';
import tls, { type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';

export interface ProbeOptions {
  address: string;
  port: number;
  /** the domain whose service this is: stream 'to' and SNI */
  domain: string;
  kind: 'client' | 'server';
  directTls: boolean;
  timeoutMs: number;
  /** the CAs to verify against (tls/trust.ts trustedCertificateAuthorities; undefined: Node's roots) */
  ca: string[] | undefined;
}

export interface ProbeResult {
  /** TCP (or TLS) connected */
  connected: boolean;
  /** an XMPP stream header came back */
  xmpp: boolean;
  /** STARTTLS offered (for a STARTTLS port) */
  starttls: boolean;
  certificate?: X509Certificate;
  /** the chain verifies against the trusted CAs */
  trusted: boolean;
  trustError?: string;
  error?: string;
}

const STREAM_NS = 'http://etherx.jabber.org/streams';
const TLS_NS = 'urn:ietf:params:xml:ns:xmpp-tls';

export async function probeXmpp(options: ProbeOptions): Promise<ProbeResult> {
  const result: ProbeResult = { connected: false, xmpp: false, starttls: false, trusted: false };
  let socket: net.Socket | undefined;
  const deadline = setTimeout(() => socket?.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
  try {
    const tlsOptions = {
      servername: net.isIP(options.domain) ? undefined : options.domain,
      ca: options.ca,
      rejectUnauthorized: false,
    };
    if (options.directTls) {
      const secure = await connected(tls.connect({ host: options.address, port: options.port, ...tlsOptions, ALPNProtocols: [`xmpp-${options.kind}`] }), 'secureConnect', (s) => (socket = s));
      result.connected = true;
      takeCertificate(secure, result);
      const header = await exchange(secure, streamHeader(options), /<stream:features[\s\S]*?(<\/stream:features>|\/>)|<[\w:]*error/);
      result.xmpp = header.includes(`xmlns:stream='${STREAM_NS}'`) || header.includes(`xmlns:stream="${STREAM_NS}"`);
    } else {
      const plain = await connected(net.connect({ host: options.address, port: options.port }), 'connect', (s) => (socket = s));
      result.connected = true;
      const features = await exchange(plain, streamHeader(options), /<\/stream:features>|<stream:features\/>|<\/stream:stream>|<stream:error/);
      result.xmpp = features.includes(STREAM_NS);
      result.starttls = features.includes(TLS_NS) && /<starttls\b/.test(features);
      if (result.starttls) {
        const answer = await exchange(plain, `<starttls xmlns='${TLS_NS}'/>`, /<proceed\b[^>]*>|<failure\b/);
        if (/<proceed\b/.test(answer)) {
          plain.removeAllListeners('data');
          const secure = await connected(tls.connect({ socket: plain, ...tlsOptions }), 'secureConnect', (s) => (socket = s));
          takeCertificate(secure, result);
        }
      }
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(deadline);
    socket?.destroy();
  }
  return result;
}

function streamHeader(options: ProbeOptions): string {
  return `<?xml version='1.0'?><stream:stream xmlns='jabber:${options.kind}' xmlns:stream='${STREAM_NS}' to='${options.domain}' version='1.0'>`;
}

function takeCertificate(socket: tls.TLSSocket, result: ProbeResult): void {
  result.certificate = socket.getPeerX509Certificate();
  result.trusted = socket.authorized;
  if (!socket.authorized) result.trustError = String(socket.authorizationError ?? 'not trusted');
  const peer: PeerCertificate | undefined = socket.getPeerCertificate();
  if (!result.certificate && peer?.raw) result.certificate = new X509Certificate(peer.raw);
}

function connected<T extends net.Socket>(socket: T, event: 'connect' | 'secureConnect', keep: (socket: T) => void): Promise<T> {
  keep(socket);
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve(socket));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('connection closed')));
  });
}

/** Send `data`, collect text until `until` matches (or the connection ends). */
function exchange(socket: net.Socket, data: string, until: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (until.test(text)) {
        cleanup();
        resolve(text);
      }
    };
    const onEnd = () => {
      cleanup();
      if (text) resolve(text);
      else reject(new Error('connection closed without an answer'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.write(data);
  });
}

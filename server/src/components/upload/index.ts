// XEP-0363 HTTP File Upload: a service `upload.<domain>` for each served account domain, a
// component on the host table, listed in the domain's disco#items and announcing its
// max-file-size (§3). A slot request (§4) is checked against the file name, the size limit, the
// user's quota and the domain's policy; the slot (HMAC-signed PUT URL, GET URL) and later the file's
// metadata are kept in the state storage (storage/sqlite/uploads.ts), the files in a folder, so any
// node can take the PUT or serve the GET (http.ts). Files go after upload.retentionDays.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { JID, NS, StanzaError, buildForm, errorReply, iqResult, xml, type Element } from '@parley/shared';
import { configSchema } from '../../config.ts';
import { defineModule, type ModuleContext } from '../../core/module-api.ts';
import type { Component } from '../../core/hosts.ts';
import type { Origin } from '../../core/origin.ts';
import { UploadFiles, normalizeContentType } from './files.ts';
import { SlotSigner, filenameProblem, newSlotId } from './slots.ts';
import { UPLOAD_PATH, uploadRoutes } from './http.ts';

const options = configSchema.shape.upload.unwrap().extend({
  /** Resolved by configuredOptions: <dataDir>/uploads unless upload.directory is set. */
  directory: configSchema.shape.upload.unwrap().shape.directory.unwrap(),
});

type Options = typeof options._output;

/** How often expired slots and files past retention are removed. */
const PRUNE_MS = 60 * 60 * 1000;
/** A PUT still under way this long after its slot expired is taken as dead. */
const STUCK_MS = 60 * 60 * 1000;

export const uploadModule = defineModule({
  name: 'upload',
  implements: [{ spec: 'XEP-0363', version: '1.1.0', status: 'complete', note: 'upload.<domain> components; HMAC-signed PUT URLs, byte ranges, quota and retention (config upload.*)' }],
  options,
  configuredOptions: (config) => ({ ...config.upload, directory: resolve(config.upload.directory ?? join(config.dataDir, 'uploads')) }),
  async register(ctx) {
    if (!ctx.options.enabled) return;
    const files = new UploadFiles(ctx.options.directory);
    const signer = new SlotSigner(await serverSecret(ctx));
    ctx.http.route('upload', uploadRoutes({
      store: ctx.services.storage.uploads, signer: () => signer, files, origins: ctx.http.origins(ctx.options.allowedOrigins), log: ctx.log,
    }));

    const service = new UploadService(ctx, signer);
    // one service per account domain, also for domains added while running (this node's components)
    const components = new Map<string, Component>();
    const serve = (domain: string) => {
      if (!service.enabledFor(domain) || components.has(domain)) return;
      const name = `upload.${domain}`;
      if (ctx.hosts.has(name)) return void ctx.log.warn({ name }, 'upload: the name is served already; no upload service for this domain');
      const component = service.componentFor(domain);
      ctx.hosts.addComponent(component);
      components.set(domain, component);
    };
    for (const domain of ctx.hosts.accountDomains()) serve(domain);
    ctx.on('host-added', ({ name, kind }) => {
      if (kind === 'account' && ctx.hosts.canonical(name) === name) serve(name);
    });
    ctx.on('host-removed', ({ name, kind }) => {
      const component = kind === 'account' ? components.get(name) : undefined;
      if (!component) return;
      components.delete(name);
      ctx.hosts.removeComponent(component);
    });
    // XEP-0363 §3: the user's server lists its upload service among its items
    ctx.features.provider('domain', {
      items: ({ entity }) => {
        const component = components.get(entity.domain);
        return component ? [{ jid: component.name, name: 'HTTP File Upload' }] : [];
      },
    });

    const prune = () => void pruneUploads(ctx, files).catch((err: unknown) => ctx.log.debug({ err }, 'upload: pruning failed'));
    prune();
    setInterval(prune, PRUNE_MS).unref();
  },
});

/** The HMAC secret every node signs and checks slots with, made on first start and kept in the state storage. */
async function serverSecret(ctx: ModuleContext<Options>): Promise<Buffer> {
  const store = ctx.store<string>('secret');
  const kept = await store.get('', 'slot-hmac');
  if (kept) return Buffer.from(kept, 'base64');
  const made = randomBytes(32);
  await store.set('', 'slot-hmac', made.toString('base64'));
  return made;
}

async function pruneUploads(ctx: ModuleContext<Options>, files: UploadFiles): Promise<void> {
  const now = Date.now();
  const storedBefore = ctx.options.retentionDays > 0 ? now - ctx.options.retentionDays * 86_400_000 : null;
  const gone = await ctx.services.storage.uploads.prune(now, STUCK_MS, storedBefore);
  for (const upload of gone) rmSync(files.path(upload.id), { force: true });
  if (gone.length > 0) ctx.log.info({ removed: gone.length }, 'upload: expired slots and files removed');
}

class UploadService {
  constructor(private readonly ctx: ModuleContext<Options>, private readonly signer: SlotSigner) {}

  enabledFor(domain: string): boolean {
    return this.ctx.options.domains[domain]?.enabled ?? true;
  }

  limits(domain: string): { maxFileSize: number; quotaBytes: number } {
    const policy = this.ctx.options.domains[domain];
    return { maxFileSize: policy?.maxFileSize ?? this.ctx.options.maxFileSize, quotaBytes: policy?.quotaBytes ?? this.ctx.options.quotaBytes };
  }

  componentFor(domain: string): Component {
    const name = `upload.${domain}`;
    const origin: Origin = Object.freeze({ kind: 'component', domain: name });
    return {
      kind: 'component',
      name,
      receive: async (stanza, from, to) => {
        if (stanza.name !== 'iq' || (stanza.attrs.type !== 'get' && stanza.attrs.type !== 'set')) return;
        let reply: Element;
        try {
          reply = iqResult(stanza, await this.answer(domain, stanza, from, to));
        } catch (error) {
          if (!(error instanceof StanzaError)) throw error;
          reply = errorReply(stanza, error);
        }
        reply.attrs.from = to.full;
        reply.attrs.to = from.full;
        await this.ctx.router.route(reply, to, from, origin);
      },
    };
  }

  private async answer(domain: string, iq: Element, from: JID, to: JID): Promise<Element | null> {
    const payload = iq.children.find((child): child is Element => typeof child !== 'string');
    const xmlns = payload?.attrs.xmlns;
    if (iq.attrs.type === 'get' && payload?.name === 'query' && xmlns === NS.discoInfo) {
      if (payload.attrs.node) throw new StanzaError('item-not-found');
      return this.info(domain);
    }
    if (iq.attrs.type === 'get' && payload?.name === 'query' && xmlns === NS.discoItems) return xml('query', { xmlns: NS.discoItems });
    if (iq.attrs.type === 'get' && payload?.name === 'request' && xmlns === NS.httpUpload) return this.slot(domain, payload, from, to);
    if (xmlns === NS.httpUpload) throw new StanzaError('bad-request', 'ask for a slot with <request/> in an iq get');
    throw new StanzaError('service-unavailable');
  }

  /** §3: identity store/file, the feature, and max-file-size (XEP-0128). */
  private info(domain: string): Element {
    return xml('query', { xmlns: NS.discoInfo },
      xml('identity', { category: 'store', type: 'file', name: 'HTTP File Upload' }),
      xml('feature', { var: NS.discoInfo }),
      xml('feature', { var: NS.httpUpload }),
      buildForm({ type: 'result', formType: NS.httpUpload, fields: [{ var: 'max-file-size', values: [String(this.limits(domain).maxFileSize)] }] }));
  }

  /** §4: a slot, or the error §5 names. */
  private async slot(domain: string, request: Element, from: JID, to: JID): Promise<Element> {
    const { ctx } = this;
    if (!from.local || ctx.hosts.canonical(from.domain) !== domain) throw new StanzaError('not-allowed', `only users of ${domain} may upload here`);
    const filename = request.attrs.filename ?? '';
    const problem = filenameProblem(filename);
    if (problem) throw new StanzaError('bad-request', problem);
    const sizeText = request.attrs.size ?? '';
    const size = /^\d{1,16}$/.test(sizeText) ? Number(sizeText) : Number.NaN;
    if (!Number.isSafeInteger(size) || size <= 0) throw new StanzaError('bad-request', 'the size must be a positive number of bytes');
    const { maxFileSize, quotaBytes } = this.limits(domain);
    if (size > maxFileSize) {
      throw new StanzaError('not-acceptable', `the file is larger than ${maxFileSize} bytes`, 'modify',
        () => xml('file-too-large', { xmlns: NS.httpUpload }, xml('max-file-size', null, String(maxFileSize))));
    }
    const contentType = normalizeContentType(request.attrs['content-type']);
    const now = Date.now();
    const id = newSlotId();
    const slotExpiresAt = now + ctx.options.slotSeconds * 1000;
    const owner = `${from.local}@${domain}`;
    const reserved = await ctx.services.storage.uploads.reserve({ id, owner, filename, size, contentType, createdAt: now, slotExpiresAt }, quotaBytes, now);
    if (!reserved) {
      const used = await ctx.services.storage.uploads.usage(owner, now);
      throw new StanzaError('resource-constraint', `your files use ${used} of your ${quotaBytes} bytes; this one needs ${size}`, 'wait');
    }
    const getUrl = `${this.baseUrl(domain)}${UPLOAD_PATH}${id}/${encodeURIComponent(filename)}`;
    const signature = this.signer.sign({ id, size, contentType, expiresAt: slotExpiresAt });
    ctx.log.debug({ owner, upload: id, size, service: to.domain }, 'upload slot');
    return xml('slot', { xmlns: NS.httpUpload },
      xml('put', { url: `${getUrl}?expires=${slotExpiresAt}&signature=${signature}` }),
      xml('get', { url: getUrl }));
  }

  private baseUrl(domain: string): string {
    const configured = this.ctx.options.baseUrl ?? this.ctx.http.publicUrl;
    if (configured) return configured.replace(/\/$/, '');
    const { ports } = this.ctx.http;
    return ports.https !== null ? `https://${domain}:${ports.https}` : `http://${domain}:${ports.http}`;
  }
}

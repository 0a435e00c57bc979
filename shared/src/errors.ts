// Stream and stanza errors as values carrying their RFC 6120 condition (§4.9.3, §8.3.3).
import { NS } from './namespaces.ts';
import { xml, type Element } from './xml.ts';

export type StreamErrorCondition =
  | 'bad-format' | 'bad-namespace-prefix' | 'conflict' | 'connection-timeout' | 'host-gone'
  | 'host-unknown' | 'improper-addressing' | 'internal-server-error' | 'invalid-from'
  | 'invalid-namespace' | 'invalid-xml' | 'not-authorized' | 'not-well-formed'
  | 'policy-violation' | 'remote-connection-failed' | 'reset' | 'resource-constraint'
  | 'restricted-xml' | 'see-other-host' | 'system-shutdown' | 'undefined-condition'
  | 'unsupported-encoding' | 'unsupported-feature' | 'unsupported-stanza-type' | 'unsupported-version';

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

export type StanzaErrorCondition =
  | 'bad-request' | 'conflict' | 'feature-not-implemented' | 'forbidden' | 'gone'
  | 'internal-server-error' | 'item-not-found' | 'jid-malformed' | 'not-acceptable'
  | 'not-allowed' | 'not-authorized' | 'policy-violation' | 'recipient-unavailable'
  | 'redirect' | 'registration-required' | 'remote-server-not-found' | 'remote-server-timeout'
  | 'resource-constraint' | 'service-unavailable' | 'subscription-required'
  | 'undefined-condition' | 'unexpected-request';

// The error type RFC 6120 §8.3.3 gives for each condition.
const DEFAULT_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  'bad-request': 'modify', conflict: 'cancel', 'feature-not-implemented': 'cancel',
  forbidden: 'auth', gone: 'cancel', 'internal-server-error': 'cancel',
  'item-not-found': 'cancel', 'jid-malformed': 'modify', 'not-acceptable': 'modify',
  'not-allowed': 'cancel', 'not-authorized': 'auth', 'policy-violation': 'modify',
  'recipient-unavailable': 'wait', redirect: 'modify', 'registration-required': 'auth',
  'remote-server-not-found': 'cancel', 'remote-server-timeout': 'wait',
  'resource-constraint': 'wait', 'service-unavailable': 'cancel',
  'subscription-required': 'auth', 'undefined-condition': 'cancel', 'unexpected-request': 'wait',
};

export class StreamError extends Error {
  /** RFC 6120 §4.9.4: an application-specific condition beside the defined one (XEP-0198 <handled-count-too-high/>). */
  constructor(readonly condition: StreamErrorCondition, readonly text?: string, readonly application?: Element) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StreamError';
  }

  toElement(): Element {
    return xml('stream:error', null,
      xml(this.condition, { xmlns: NS.streams }),
      this.text ? xml('text', { xmlns: NS.streams, 'xml:lang': 'en' }, this.text) : null,
      this.application ?? null);
  }
}

export class StanzaError extends Error {
  readonly type: StanzaErrorType;

  /**
   * `application`: an application-specific condition (RFC 6120 §8.3.2), e.g. XEP-0191's <blocked/>,
   * XEP-0363's <file-too-large/> or XEP-0050's <bad-sessionid/>, built fresh for each error element
   * (an element has one parent, and one error may be written more than once).
   */
  constructor(readonly condition: StanzaErrorCondition, readonly text?: string, type?: StanzaErrorType,
    readonly application?: () => Element) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StanzaError';
    this.type = type ?? DEFAULT_TYPE[condition];
  }

  toElement(by?: string): Element {
    return xml('error', { type: this.type, by },
      xml(this.condition, { xmlns: NS.stanzas }),
      this.text ? xml('text', { xmlns: NS.stanzas, 'xml:lang': 'en' }, this.text) : null,
      this.application ? this.application() : null);
  }
}

/** Read a stanza's <error/> child back into a StanzaError (used by clients). */
export function parseStanzaError(stanza: Element): StanzaError | undefined {
  const error = stanza.getChild('error');
  if (!error) return undefined;
  const condition = error.children.find(
    (node): node is Element => typeof node !== 'string' && node.attrs.xmlns === NS.stanzas && node.name !== 'text',
  );
  const text = error.getChildText('text', NS.stanzas) ?? undefined;
  return new StanzaError((condition?.name ?? 'undefined-condition') as StanzaErrorCondition, text,
    error.attrs.type as StanzaErrorType | undefined);
}

// XEP-0115 §5.1 verification string and §5.4 checks: what a disco#info result must be for its
// features to be kept under the verification string a client announced.
import { createHash } from 'node:crypto';
import { NS, type Element } from '@parley/shared';

/** XEP-0115 §5.1 hash names (IANA "Hash Function Textual Names") to Node's digest names. */
const DIGESTS: Record<string, string> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

export function supportedHash(hash: string): boolean {
  return DIGESTS[hash] !== undefined;
}

/** ';'-sorted by octets, as §5.1 step 2 asks ("i;octet" collation), not by locale. */
function octetOrder(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/**
 * The §5.1 verification string of a disco#info <query/>, or null when the result is not one a
 * verification string can stand for (§5.4.3.3: duplicate identities, features or form types; a
 * form whose FORM_TYPE is not hidden).
 */
export function verificationString(query: Element, hash: string): string | null {
  const digest = DIGESTS[hash];
  if (!digest) return null;
  const identities = query.getChildren('identity').map((identity) =>
    `${identity.attrs.category ?? ''}/${identity.attrs.type ?? ''}/${identity.attrs['xml:lang'] ?? ''}/${identity.attrs.name ?? ''}`);
  const features = query.getChildren('feature').map((feature) => feature.attrs.var ?? '');
  if (new Set(identities).size !== identities.length || new Set(features).size !== features.length) return null;
  let text = '';
  for (const identity of identities.sort(octetOrder)) text += identity + '<';
  for (const feature of features.sort(octetOrder)) text += feature + '<';
  const forms: Array<{ type: string; text: string }> = [];
  for (const form of query.getChildren('x', NS.dataForms)) {
    const fields = form.getChildren('field');
    const formType = fields.find((field) => field.attrs.var === 'FORM_TYPE');
    if (!formType) continue; // §5.4.3.3 step 5: a form without FORM_TYPE is ignored
    if (formType.attrs.type !== 'hidden') return null;
    const type = formType.getChildText('value') ?? '';
    let formText = type + '<';
    const others = fields.filter((field) => field.attrs.var !== 'FORM_TYPE')
      .sort((a, b) => octetOrder(a.attrs.var ?? '', b.attrs.var ?? ''));
    for (const field of others) {
      formText += (field.attrs.var ?? '') + '<';
      for (const value of field.getChildren('value').map((v) => v.getText()).sort(octetOrder)) formText += value + '<';
    }
    forms.push({ type, text: formText });
  }
  if (new Set(forms.map((form) => form.type)).size !== forms.length) return null;
  for (const form of forms.sort((a, b) => octetOrder(a.type, b.type))) text += form.text;
  return createHash(digest).update(text, 'utf8').digest('base64');
}

/** The features of a disco#info result. */
export function featuresOf(query: Element): string[] {
  return query.getChildren('feature').map((feature) => feature.attrs.var).filter((name): name is string => !!name);
}

// UTS 46 for the web client (vite.config.ts aliases `tr46` to this file in the browser build):
// the browser's own URL parser does the mapping — the URL Standard's "domain to ASCII" is UTS 46
// processing (non-transitional, CheckBidi and CheckJoiners on) — so the panel does not ship tr46's
// 140 KB mapping table. The rules the URL parser leaves out (STD3 ASCII, hyphens, DNS lengths)
// are checked here. The server keeps tr46 itself; a JID the panel lets through is still enforced there.
import { toUnicode as punycodeToUnicode } from 'punycode/punycode.es6.js';

interface Options {
  checkHyphens?: boolean;
  useSTD3ASCIIRules?: boolean;
  verifyDNSLength?: boolean;
}

/** Characters the URL parser would read as something other than the host. */
const NOT_A_HOST = /[/:@?#[\]\\%\s]/;
const STD3_LABEL = /^[a-z0-9-]+$/;

export function toASCII(domain: string, options: Options = {}): string | null {
  if (domain === '' || NOT_A_HOST.test(domain)) return null;
  let ascii: string;
  try {
    ascii = new URL(`http://${domain}/`).hostname;
  } catch {
    return null;
  }
  const labels = ascii.split('.');
  for (const label of labels) {
    if (options.verifyDNSLength && (label.length === 0 || label.length > 63)) return null;
    if (options.useSTD3ASCIIRules && !STD3_LABEL.test(label)) return null;
    if (options.checkHyphens && (label.startsWith('-') || label.endsWith('-') || (label.slice(2, 4) === '--' && !label.startsWith('xn--')))) return null;
  }
  if (options.verifyDNSLength && ascii.length > 253) return null;
  return ascii;
}

export function toUnicode(domain: string, options: Options = {}): { domain: string; error: boolean } {
  const ascii = toASCII(domain, options);
  if (ascii === null) return { domain, error: true };
  try {
    return { domain: punycodeToUnicode(ascii), error: false };
  } catch {
    return { domain, error: true };
  }
}

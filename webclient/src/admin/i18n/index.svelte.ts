// The admin console's language: English and French in ICU MessageFormat (intl-messageformat), as the
// panel's (../../i18n/index.svelte.ts), with catalogs of its own so that neither bundle carries the
// other's messages. Parsed at build time (vite.config.ts, precompileMessages).
import { IntlMessageFormat } from 'intl-messageformat';
import { en, type AdminMessageKey } from './en.ts';

type Catalog = Record<AdminMessageKey, string>;
const LOADERS: Record<string, () => Promise<Catalog>> = {
  en: async () => en,
  fr: async () => (await import('./fr.ts')).fr,
};
const CATALOGS: Record<string, Catalog> = { en };
export const LANGUAGES = Object.keys(LOADERS);

class Locale {
  current = $state('en');
}
export const locale = new Locale();
const formats = new Map<string, IntlMessageFormat>();

export function pickLanguage(tags: readonly string[]): string {
  for (const tag of tags) {
    const base = tag.toLowerCase().split('-')[0]!;
    if (base in LOADERS) return base;
  }
  return 'en';
}

export async function setLanguage(tag: string): Promise<void> {
  const language = pickLanguage([tag]);
  CATALOGS[language] ??= await LOADERS[language]!();
  locale.current = language;
  if (typeof document !== 'undefined') document.documentElement.lang = language;
}

export function t(key: AdminMessageKey, values?: Record<string, string | number>): string {
  const language = locale.current;
  const cacheKey = `${language} ${key}`;
  let format = formats.get(cacheKey);
  if (!format) {
    format = new IntlMessageFormat(CATALOGS[language]?.[key] ?? en[key], language);
    formats.set(cacheKey, format);
  }
  return String(format.format(values));
}

export function formatDate(iso: string): string {
  return new Intl.DateTimeFormat(locale.current, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(locale.current).format(value);
}

if (typeof navigator !== 'undefined') void setLanguage(pickLanguage(navigator.languages ?? [navigator.language]));

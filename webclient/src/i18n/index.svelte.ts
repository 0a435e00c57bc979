// The panel's language: English and French through ICU MessageFormat (intl-messageformat, of
// FormatJS), chosen by the host page (embedding API) or the browser's languages. `t()` reads the
// current locale, so what a component shows follows a change of language. The catalogs are
// parsed at build time (vite.config.ts, precompileMessages): at run time a message is its AST.
import { IntlMessageFormat } from 'intl-messageformat';
import { en, type MessageKey } from './en.ts';

type Catalog = Record<MessageKey, string>;
/** English is in the bundle; other languages load when chosen (a request, not bytes for everyone). */
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

/** The best supported language for a list of BCP 47 tags (the browser's, or the host's). */
export function pickLanguage(tags: readonly string[]): string {
  for (const tag of tags) {
    const base = tag.toLowerCase().split('-')[0]!;
    if (base in LOADERS) return base;
  }
  return 'en';
}

/** Switch language once its messages are there (English until then). */
export async function setLanguage(tag: string): Promise<void> {
  const language = pickLanguage([tag]);
  CATALOGS[language] ??= await LOADERS[language]!();
  locale.current = language;
  if (typeof document !== 'undefined') document.documentElement.lang = language;
}

/** Messages without values, formatted once per language (the lists repeat them per row). */
const plainTexts = new Map<string, string>();

export function t(key: MessageKey, values?: Record<string, string | number>): string {
  const language = locale.current;
  const cacheKey = `${language} ${key}`;
  if (!values) {
    const text = plainTexts.get(cacheKey);
    if (text !== undefined) return text;
  }
  let format = formats.get(cacheKey);
  if (!format) {
    // a string in the sources, its parsed form in the build (precompileMessages)
    format = new IntlMessageFormat(CATALOGS[language]?.[key] ?? en[key], language);
    formats.set(cacheKey, format);
  }
  const text = String(format.format(values));
  if (!values && CATALOGS[language]) plainTexts.set(cacheKey, text);
  return text;
}

/** Dates and times in the panel's language. */
export function dateTimeFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale.current, options);
}

if (typeof navigator !== 'undefined') void setLanguage(pickLanguage(navigator.languages ?? [navigator.language]));

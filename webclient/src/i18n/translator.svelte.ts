// One translator per message catalog set (the panel's, the admin console's): ICU MessageFormat
// (intl-messageformat, of FormatJS), English in the bundle and other languages loaded when chosen.
// `t()` reads the current locale, so what a component shows follows a change of language. The
// catalogs are parsed at build time (vite.config.ts, precompileMessages): at run time a message is
// its AST.
import { IntlMessageFormat } from 'intl-messageformat';

class Locale {
  current = $state('en');
}

export interface Translator<Key extends string> {
  readonly locale: { readonly current: string };
  readonly languages: string[];
  /** The best supported language for a list of BCP 47 tags (the browser's, or the host's). */
  pickLanguage(tags: readonly string[]): string;
  /** Switch language once its messages are there (English until then). */
  setLanguage(tag: string): Promise<void>;
  t(key: Key, values?: Record<string, string | number>): string;
}

export function createTranslator<Key extends string>(english: Record<Key, string>,
  loaders: Record<string, () => Promise<Record<Key, string>>>): Translator<Key> {
  const catalogs: Record<string, Record<Key, string>> = { en: english };
  const locale = new Locale();
  const formats = new Map<string, IntlMessageFormat>();
  /** Messages without values, formatted once per language (lists repeat them per row). */
  const plainTexts = new Map<string, string>();
  const pickLanguage = (tags: readonly string[]): string => {
    for (const tag of tags) {
      const base = tag.toLowerCase().split('-')[0]!;
      if (base in loaders) return base;
    }
    return 'en';
  };
  return {
    locale,
    languages: Object.keys(loaders),
    pickLanguage,
    async setLanguage(tag) {
      const language = pickLanguage([tag]);
      catalogs[language] ??= await loaders[language]!();
      locale.current = language;
      if (typeof document !== 'undefined') document.documentElement.lang = language;
    },
    t(key, values) {
      const language = locale.current;
      const cacheKey = `${language} ${key}`;
      if (!values) {
        const text = plainTexts.get(cacheKey);
        if (text !== undefined) return text;
      }
      let format = formats.get(cacheKey);
      if (!format) {
        // a string in the sources, its parsed form in the build (precompileMessages)
        format = new IntlMessageFormat(catalogs[language]?.[key] ?? english[key], language);
        formats.set(cacheKey, format);
      }
      const text = String(format.format(values));
      if (!values && catalogs[language]) plainTexts.set(cacheKey, text);
      return text;
    },
  };
}

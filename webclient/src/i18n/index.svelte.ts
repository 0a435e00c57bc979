// The panel's language: English and French (translator.svelte.ts), chosen by the host page
// (embedding API) or the browser's languages.
import { en, type MessageKey } from './en.ts';
import { createTranslator } from './translator.svelte.ts';

/** English is in the bundle; other languages load when chosen (a request, not bytes for everyone). */
const translator = createTranslator<MessageKey>(en, {
  en: async () => en,
  fr: async () => (await import('./fr.ts')).fr,
});

export const { locale, pickLanguage, setLanguage, t } = translator;
export const LANGUAGES = translator.languages;

/** Dates and times in the panel's language. */
export function dateTimeFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale.current, options);
}

if (typeof navigator !== 'undefined') void setLanguage(pickLanguage(navigator.languages ?? [navigator.language]));

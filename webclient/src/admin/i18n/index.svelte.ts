// The admin console's language: English and French through the panel's translator
// (../../i18n/translator.svelte.ts), with catalogs of its own so that neither bundle carries the
// other's messages.
import { createTranslator } from '../../i18n/translator.svelte.ts';
import { en, type AdminMessageKey } from './en.ts';

const translator = createTranslator<AdminMessageKey>(en, {
  en: async () => en,
  fr: async () => (await import('./fr.ts')).fr,
});

export const { locale, pickLanguage, setLanguage, t } = translator;
export const LANGUAGES = translator.languages;

export function formatDate(iso: string): string {
  return new Intl.DateTimeFormat(locale.current, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(locale.current).format(value);
}

if (typeof navigator !== 'undefined') void setLanguage(pickLanguage(navigator.languages ?? [navigator.language]));

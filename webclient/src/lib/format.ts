// Times and days as the chat shows them, in the panel's language (i18n).
import { dateTimeFormat, locale, t } from '../i18n/index.svelte.ts';

const cache = new Map<string, Intl.DateTimeFormat>();

function format(name: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale.current} ${name}`;
  let found = cache.get(key);
  if (!found) cache.set(key, (found = dateTimeFormat(options)));
  return found;
}

export function formatTime(date: Date): string {
  return format('time', { hour: 'numeric', minute: '2-digit' }).format(date);
}

export function formatFull(date: Date): string {
  return format('full', { dateStyle: 'full', timeStyle: 'short' }).format(date);
}

export function dayKey(date: Date): string {
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

/** 'Today', 'Yesterday', a weekday within the week, else a date. */
export function dayLabel(date: Date, now = new Date()): string {
  const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOfDay(now) - startOfDay(date)) / 86_400_000);
  if (days === 0) return t('day.today');
  if (days === 1) return t('day.yesterday');
  if (days > 1 && days < 7) return format('weekday', { weekday: 'long' }).format(date);
  return format('date', { day: 'numeric', month: 'short', year: 'numeric' }).format(date);
}

/** A conversation list's short time: the time today, else the day. */
export function shortWhen(date: Date, now = new Date()): string {
  return dayKey(date) === dayKey(now) ? formatTime(date) : dayLabel(date, now);
}

const SIZE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** A size in the panel's language ('100 MB', '100 Mo'), in steps of 1,024 as file managers show it. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(locale.current, { style: 'unit', unit: SIZE_UNITS[unit], unitDisplay: 'short', maximumFractionDigits: value < 10 && unit > 0 ? 1 : 0 }).format(value);
}

// How a person is shown without a photo: initials on a colour derived from their address.
export function initials(name: string): string {
  const words = name.replace(/@.*/, '').split(/[\s._-]+/).filter(Boolean);
  const letters = words.length >= 2 ? [words[0]!, words[1]!].map((w) => firstLetter(w)) : [firstLetter(words[0] ?? '?'), ''];
  return (letters.join('') || '?').toUpperCase();
}

function firstLetter(word: string): string {
  return [...word][0] ?? '';
}

/** Background colours for initials, all readable with white text in light and dark themes. */
const PALETTE = ['#2f6fde', '#7b4fd6', '#c2417a', '#d2543a', '#b7791f', '#2f9a68', '#178a9c', '#5b6b82', '#9a4fb8', '#3a7f3a'];

/** A stable colour per address, so a person keeps their colour everywhere. */
export function colorFor(address: string): string {
  let hash = 0;
  for (let i = 0; i < address.length; i++) hash = (hash * 31 + address.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

/** The name to show: the roster name, else the vCard name, else the address's local part. */
export function displayName(bare: string, rosterName?: string, vcardName?: string): string {
  return rosterName?.trim() || vcardName?.trim() || bare.split('@')[0] || bare;
}

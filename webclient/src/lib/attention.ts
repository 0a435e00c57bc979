// Ways to notice new messages without looking at the panel: the unread count in the page title
// and in the favicon, and an optional short sound (Web Audio, no file to load).
const BASE_TITLE = typeof document === 'undefined' ? '' : document.title;
let baseIcon: string | null = null;

export function showUnread(count: number): void {
  if (typeof document === 'undefined') return;
  document.title = count > 0 ? `(${count > 99 ? '99+' : count}) ${BASE_TITLE}` : BASE_TITLE;
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) return;
  baseIcon ??= link.href;
  link.href = count > 0 ? badgeIcon(count) : baseIcon;
}

/** The panel's icon with a red badge carrying the count. */
function badgeIcon(count: number): string {
  const text = count > 9 ? '9+' : String(count);
  const svg = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><rect width='32' height='32' rx='8' fill='#2158d8'/>`
    + `<text x='12' y='22.5' font-family='system-ui,sans-serif' font-size='18' font-weight='800' fill='white' text-anchor='middle'>P</text>`
    + `<circle cx='23' cy='9' r='9' fill='#c8322f'/><text x='23' y='13' font-family='system-ui,sans-serif' font-size='${text.length > 1 ? 10 : 12}' font-weight='800' fill='white' text-anchor='middle'>${text}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

let audio: AudioContext | null = null;

/** Two short soft tones. */
export function chime(): void {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [offset, frequency] of [[0, 880], [0.12, 1320]] as const) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.15, now + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.25);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(now + offset);
      oscillator.stop(now + offset + 0.3);
    }
  } catch {
    // no audio output: the title and the favicon still tell
  }
}

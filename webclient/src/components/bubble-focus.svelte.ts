// Which bubble of a conversation shows its actions, and moving between bubbles by keyboard. The
// actions are mounted only in the bubble under the pointer and the one holding the focus. The
// bubbles are one Tab stop (roving tabindex, WAI-ARIA APG "Keyboard Navigation Inside
// Components"): arrow keys, Home and End move between them, Tab goes on into the focused
// bubble's actions. A bubble not rendered yet (a virtual list) is focused once it is.
import type { Groupable, MessageRow } from '../lib/grouping.ts';

interface Bubbles {
  scroller(): HTMLElement | undefined;
  /** The conversation's messages, oldest first. */
  messages(): readonly { id: string }[];
  /** Bring the row holding this message into the rendered range. */
  scrollTo(id: string): void;
}

/** How long a bubble asked for by keyboard waits to be rendered. */
const PENDING_FOCUS_MS = 3_000;

export class BubbleFocus {
  hovered = $state<string | null>(null);
  focused = $state<string | null>(null);
  /** The bubble last chosen by keyboard (or focused otherwise). */
  roving = $state<string | null>(null);
  private pending: { id: string; until: number } | null = null;

  constructor(private readonly bubbles: Bubbles) {}

  /** Its actions are in the page. */
  active(id: string): boolean {
    return id === this.hovered || id === this.focused;
  }

  pointerOver = (event: PointerEvent): void => {
    this.hovered = bubbleOf(event.target)?.dataset.id ?? null;
  };

  pointerLeave = (): void => {
    this.hovered = null;
  };

  focusIn = (event: FocusEvent): void => {
    this.focused = bubbleOf(event.target)?.dataset.id ?? null;
    if (this.focused !== null) this.roving = this.focused;
  };

  focusOut = (event: FocusEvent): void => {
    const next = event.relatedTarget;
    if (!(next instanceof Node) || !this.bubbles.scroller()?.contains(next)) this.focused = null;
  };

  keyDown = (event: KeyboardEvent): void => {
    const bubble = event.target instanceof HTMLElement && event.target.classList.contains('bubble') ? event.target : null;
    if (!bubble || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const messages = this.bubbles.messages();
    const index = messages.findIndex((m) => m.id === bubble.dataset.id);
    if (index === -1) return;
    let next: number;
    switch (event.key) {
      case 'ArrowUp': next = index - 1; break;
      case 'ArrowDown': next = index + 1; break;
      case 'Home': next = 0; break;
      case 'End': next = messages.length - 1; break;
      default: return;
    }
    event.preventDefault(); // the scroller's own scrolling by arrow keys
    const target = messages[Math.max(0, Math.min(messages.length - 1, next))];
    if (target) this.focus(target.id);
  };

  focus(id: string): void {
    this.roving = id;
    this.pending = { id, until: performance.now() + PENDING_FOCUS_MS };
    if (!this.focusPending()) this.bubbles.scrollTo(id);
  }

  /** Focus the bubble waiting for it once it is rendered; true when it was. */
  focusPending(): boolean {
    if (!this.pending) return false;
    if (performance.now() > this.pending.until) {
      this.pending = null;
      return false;
    }
    const bubble = this.bubbles.scroller()?.querySelector<HTMLElement>(`.bubble[data-id="${CSS.escape(this.pending.id)}"]`);
    if (!bubble) return false;
    this.pending = null;
    bubble.focus();
    return true;
  }
}

/**
 * The bubble with the Tab stop among the rendered rows: the one chosen, else the newest on screen
 * (rows up to `lastOnScreen`; the rest are rendered beyond the screen).
 */
export function tabStopOf<M extends Groupable>(rendered: readonly (MessageRow<M> | undefined)[], chosen: string | null, lastOnScreen: number): string | null {
  let newestOnScreen: string | null = null;
  for (let i = 0; i < rendered.length; i++) {
    const row = rendered[i];
    if (row?.kind !== 'group') continue;
    if (chosen !== null && row.messages.some((m) => m.id === chosen)) return chosen;
    if (i <= lastOnScreen) newestOnScreen = row.messages.at(-1)!.id;
  }
  return newestOnScreen;
}

function bubbleOf(target: EventTarget | null): HTMLElement | null {
  return target instanceof Element ? target.closest<HTMLElement>('.bubble') : null;
}

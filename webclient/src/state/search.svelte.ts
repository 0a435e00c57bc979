// Searching the archive (XEP-0431): the query, its scope (every conversation or one), the results
// newest first with more pages on request, and the terms the results highlight.
import { parseSearchQuery, type SearchTerm } from '@parley/shared/fulltext';
import type { ArchivePage, SearchOptions } from '../xmpp/archive.ts';
import type { ChatMessage } from '../xmpp/chat.ts';
import { t } from '../i18n/index.svelte.ts';

export type SearchRunner = (text: string, options: SearchOptions) => Promise<ArchivePage>;

export class ArchiveSearch {
  /** The query as typed. */
  text = $state('');
  /** The conversation searched, or null for all of them. */
  peer = $state<string | null>(null);
  /** What the shown results answer (the text may have changed since). */
  searched = $state<{ text: string; peer: string | null } | null>(null);
  terms = $state<SearchTerm[]>([]);
  results = $state<ChatMessage[]>([]);
  count = $state<number | undefined>(undefined);
  loading = $state(false);
  complete = $state(true);
  error = $state('');
  private cursor: string | undefined;
  /** Answers to an older query are dropped. */
  private generation = 0;

  constructor(private readonly runner: SearchRunner) {}

  get active(): boolean {
    return this.searched !== null;
  }

  /** Search from the newest message; an empty query clears the results. */
  async run(text = this.text, peer = this.peer): Promise<void> {
    const generation = ++this.generation;
    const terms = parseSearchQuery(text);
    this.cursor = undefined;
    this.error = '';
    if (terms.length === 0) {
      this.clearResults();
      return;
    }
    this.loading = true;
    this.searched = { text, peer };
    this.terms = terms;
    try {
      const page = await this.runner(text, { peer: peer ?? undefined });
      if (generation !== this.generation) return;
      this.results = page.messages;
      this.count = page.count;
      this.accept(page);
    } catch (error) {
      if (generation !== this.generation) return;
      this.results = [];
      this.error = (error as Error).message || t('search.failed');
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** The next (older) page of results. */
  async more(): Promise<void> {
    if (!this.searched || this.complete || this.loading || this.cursor === undefined) return;
    const generation = this.generation;
    const { text, peer } = this.searched;
    this.loading = true;
    try {
      const page = await this.runner(text, { peer: peer ?? undefined, before: this.cursor });
      if (generation !== this.generation) return;
      const known = new Set(this.results.map((m) => m.archiveId));
      this.results.push(...page.messages.filter((m) => !known.has(m.archiveId)));
      this.accept(page);
    } catch (error) {
      if (generation === this.generation) this.error = (error as Error).message || t('search.failed');
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  clear(): void {
    this.generation++;
    this.text = '';
    this.loading = false;
    this.error = '';
    this.clearResults();
  }

  private accept(page: ArchivePage): void {
    this.cursor = page.cursor;
    this.complete = page.complete || page.cursor === undefined;
  }

  private clearResults(): void {
    this.searched = null;
    this.terms = [];
    this.results = [];
    this.count = undefined;
    this.complete = true;
  }
}

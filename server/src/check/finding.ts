// What `parley check` found: one finding per line, as `prosodyctl check` prints them, each with what
// to do when something is wrong. The checks only look: they change nothing.

export type Severity = 'ok' | 'note' | 'warning' | 'problem';

/** The parts of a set-up the checks look at, in the order they run (`--skip` takes these names). */
export const AREAS = ['config', 'data', 'ports', 'certificates', 'dns', 'services'] as const;
export type Area = (typeof AREAS)[number];

export interface Finding {
  area: Area;
  severity: Severity;
  text: string;
  /** what to do about it (warnings and problems) */
  fix?: string;
}

/** The findings of one area, added as the area's checks go. */
export class Findings {
  readonly list: Finding[] = [];
  constructor(private readonly area: Area) {}

  ok(text: string): void {
    this.list.push({ area: this.area, severity: 'ok', text });
  }

  note(text: string): void {
    this.list.push({ area: this.area, severity: 'note', text });
  }

  warning(text: string, fix: string): void {
    this.list.push({ area: this.area, severity: 'warning', text, fix });
  }

  problem(text: string, fix: string): void {
    this.list.push({ area: this.area, severity: 'problem', text, fix });
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

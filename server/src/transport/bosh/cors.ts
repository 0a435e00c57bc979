// Which web origins may use the BOSH endpoint (Fetch standard CORS): the page's own origin always,
// others when configured (bosh.allowedOrigins; '*' for any).

export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(allowed: string[], private readonly encrypted: boolean) {
    this.any = allowed.includes('*');
    this.origins = new Set(allowed.filter((origin) => origin !== '*').map((origin) => origin.toLowerCase()));
  }

  /**
   * '' when no CORS header is needed (no Origin: not a browser; or the same origin), the origin to
   * echo in Access-Control-Allow-Origin when it is allowed, null when it is refused.
   */
  allow(origin: string, host: string): string | null {
    if (origin === '') return '';
    const lower = origin.toLowerCase();
    if (lower === `${this.encrypted ? 'https' : 'http'}://${host.toLowerCase()}`) return '';
    return this.any || this.origins.has(lower) ? origin : null;
  }
}

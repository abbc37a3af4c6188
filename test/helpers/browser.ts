/**
 * A minimal browser for the login and consent pages: a cookie jar, manual redirects, and the
 * hidden fields of the page's form. (A real browser drives the same pages in the web-message tests.)
 */
export interface Page {
  status: number;
  location: string | null;
  html: string;
  headers: Headers;
  fields: Record<string, string>;
}

export class Browser {
  readonly cookies = new Map<string, string>();

  /** `fetchImpl`: a TestServer's `fetch`, so that the same pages can be driven through `app.inject()`. */
  constructor(private readonly fetchImpl: typeof fetch = fetch) {}

  async get(url: string): Promise<Page> {
    return this.request(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Submits the page's form with its hidden fields plus `fill`; `action` is resolved against `base`. */
  async submit(base: string, page: Page, fill: Record<string, string>): Promise<Page> {
    const action = /<form[^>]*action="([^"]*)"/.exec(page.html)?.[1];
    if (!action) throw new Error(`no form on the page: ${page.html.slice(0, 300)}`);
    return this.post(new URL(action.replace(/&amp;/g, '&'), base).toString(), { ...page.fields, ...fill });
  }

  private async request(url: string, init: RequestInit): Promise<Page> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await this.fetchImpl(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as object), ...(cookie ? { cookie } : {}) },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const html = await res.text();
    const fields: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields[m[1]] = m[2]
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');
    }
    return { status: res.status, location: res.headers.get('location'), html, headers: res.headers, fields };
  }
}

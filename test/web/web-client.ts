/** A browser's part of a conversation with the web view: its cookie, the last page's CSRF token, no redirects followed. */
export class WebClient {
  csrf: string | undefined;

  constructor(
    readonly base: string,
    public cookie: string | undefined = undefined,
  ) {}

  async get(path: string): Promise<Answer> {
    return this.send('GET', path);
  }

  /** Posts a form, with the CSRF token of the last page read unless `fields` says otherwise. */
  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
    const body = new URLSearchParams({ ...(this.csrf !== undefined && { csrf: this.csrf }), ...fields });
    return this.send('POST', path, body.toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  async send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...(this.cookie !== undefined && { cookie: this.cookie }), ...headers },
      ...(body !== undefined && { body }),
    });
    const text = await response.text();
    const token = /name="csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token !== undefined) this.csrf = token;
    const set = response.headers.get('set-cookie');
    if (set !== null) this.cookie = set.split(';')[0];
    return { status: response.status, headers: response.headers, text, location: response.headers.get('location') };
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

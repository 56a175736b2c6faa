import { type Html, html } from './html.ts';
import { page } from './layout.ts';

/** The page for whoever is not signed in: how to sign in here. */
export function signInPage(options: { message?: string; provider?: string; done?: string }): Html {
  return page(
    {
      title: 'Sign in',
      session: undefined,
      ...(options.message && { notice: { kind: 'error' as const, text: options.message } }),
      ...(options.done && !options.message && { notice: { kind: 'ok' as const, text: options.done } }),
    },
    html`<h1>Sign in to Backstop</h1>
${options.provider ? html`<p><a class="button primary" href="/sign-in/oidc">Sign in with ${options.provider}</a></p>` : ''}
<p>Whoever holds this server's Backstop config ${options.provider ? 'may also sign in' : 'signs in'} with a one-time link. On the server, run:</p>
<pre><code>backstop web login</code></pre>
<p>and open the link it prints (it works once, for 15 minutes).</p>`,
  );
}

/** The page a sign-in link opens: a button, so that a link previewer fetching the page does not use the link up. */
export function redeemLinkPage(secret: string): Html {
  return page(
    { title: 'Sign in', session: undefined },
    html`<h1>Sign in to Backstop</h1>
<form method="post" action="/sign-in/link">
  <input type="hidden" name="link" value="${secret}">
  <button type="submit" class="primary">Sign in as the holder of the config</button>
</form>
<p class="muted">This link works once. A web session can do everything the config holder can, except skip approvals.</p>`,
  );
}

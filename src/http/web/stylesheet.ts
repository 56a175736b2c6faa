/** The Backups view's one stylesheet: readable on a phone (no horizontal scrolling at 375 px), plain elsewhere. */
export const stylesheet = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --accent: #0a58ca;
  --ok: #1a7f37; --bad: #b42318; --warn: #8a5a00; font-family: system-ui, sans-serif; line-height: 1.45; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b1; --line: #30363d; --bg: #0d1117;
  --accent: #6cb6ff; --ok: #56d364; --bad: #ff7b72; --warn: #e3b341; } }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
a { color: var(--accent); }
.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .75rem 1rem;
  border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
nav { display: flex; flex-wrap: wrap; gap: 1rem; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 2px; }
.who { margin-left: auto; display: flex; gap: .5rem; align-items: center; }
h1 { font-size: 1.5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
.muted, .id { color: var(--muted); }
.id { font-family: ui-monospace, monospace; font-size: .85em; }
.count { color: var(--muted); font-weight: 400; }
.tag { display: inline-block; padding: 0 .4rem; border: 1px solid var(--line); border-radius: .6rem; font-size: .8em; }
.tag.warn { color: var(--warn); border-color: var(--warn); }
.status { font-weight: 600; }
.status.completed, .status.succeeded, .status.approved { color: var(--ok); }
.status.failed, .status.cancelled, .status.denied, .status.expired { color: var(--bad); }
.error { color: var(--bad); }
.notice { padding: .6rem .8rem; border-left: 4px solid var(--ok); background: color-mix(in srgb, var(--ok) 10%, transparent); }
.notice.error { border-color: var(--bad); background: color-mix(in srgb, var(--bad) 10%, transparent); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { white-space: nowrap; }
td .note { max-width: 20rem; overflow-wrap: anywhere; }
code.hash { overflow-wrap: anywhere; font-size: .8em; }
code { font-family: ui-monospace, monospace; font-size: .85em; overflow-wrap: anywhere; }
pre { overflow-x: auto; }
form { margin: .5rem 0; }
form.create, form.choose, section.danger form { display: grid; gap: .5rem; max-width: 32rem; }
form.inline { display: inline-flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
form.picker { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
fieldset { border: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
input, select, button { font: inherit; padding: .35rem .6rem; max-width: 100%; }
button, .button { border: 1px solid var(--line); border-radius: .35rem; background: transparent; color: var(--fg);
  cursor: pointer; text-decoration: none; display: inline-block; }
button.primary, .button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { background: var(--bad); color: #fff; border-color: var(--bad); }
button.link { border: none; color: var(--accent); text-decoration: underline; padding: 0; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
ul.operations, ul.requests, ul.links { list-style: none; padding: 0; }
ul.operations li, ul.requests li { padding: .5rem 0; border-bottom: 1px solid var(--line); display: flex;
  flex-wrap: wrap; gap: .25rem .75rem; align-items: center; }
ul.requests li { display: block; }
progress { width: 10rem; max-width: 100%; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
section.danger { border: 1px solid var(--bad); border-radius: .5rem; padding: 0 1rem 1rem; overflow-wrap: anywhere; }
nav.pages { display: flex; gap: 1.5rem; margin: .75rem 0; }
figure.timeline { margin: .5rem 0 0; }
figure.timeline svg { width: 100%; max-width: 40rem; height: auto; display: block; }
.legend.daily { color: #1a7f37; } .legend.weekly { color: #0a58ca; } .legend.monthly { color: #8250df; }
@media (max-width: 40rem) {
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack tr { border-bottom: 1px solid var(--line); padding: .5rem 0; }
  table.stack td { border: none; padding: .1rem 0; display: grid; grid-template-columns: 6.5rem 1fr; gap: .5rem;
    overflow-wrap: anywhere; }
  table.stack td::before { content: attr(data-label); color: var(--muted); }
  td .note { max-width: none; } dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: .5rem; } }
`;

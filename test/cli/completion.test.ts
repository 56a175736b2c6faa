import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runBackstop } from '../support/cli.ts';
import { backstopBin, runPiped } from '../support/terminal.ts';

const run = promisify(execFile);

describe('shell completion', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'backstop-completion-'));
  const bin = join(cwd, 'bin');
  // The shells find `backstop` on PATH, as after `npm link`; their own startup files are left out (HOME is empty).
  const env = () => ({ PATH: `${bin}:${process.env['PATH']}`, HOME: join(cwd, 'home'), TERM: 'xterm-256color' });
  const ids: string[] = []; // newest first

  beforeAll(async () => {
    mkdirSync(bin);
    mkdirSync(join(cwd, 'home'));
    writeFileSync(join(bin, 'backstop'), `#!/bin/sh\nexec '${process.execPath}' '${backstopBin}' "$@"\n`);
    chmodSync(join(bin, 'backstop'), 0o755);
    mkdirSync(join(cwd, 'media'));
    writeFileSync(join(cwd, 'media', 'a.txt'), 'hello');
    writeFileSync(
      join(cwd, 'backstop.yaml'),
      'apps:\n  shop:\n    environments:\n      live: { media: ./media }\n      staging: { media: ./media }\n' +
        '  blog:\n    environments:\n      prod: { media: ./media }\n',
    );
    for (const [target, note] of [
      ['shop/live', 'first'],
      ['blog/prod', 'second one'],
    ] as const) {
      const created = await runPiped(['create', 'media', target, note, '--json'], { cwd });
      expect(created.code).toBe(0);
      ids.unshift(JSON.parse(created.stdout).id);
    }
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  /** What `backstop __complete` offers for the words (the last is the one being typed). */
  async function offered(words: string[], options: { env?: Record<string, string> } = {}) {
    const answer = await runBackstop(['__complete', ...words], { cwd, ...options });
    expect([answer.code, answer.stderr]).toEqual([0, '']);
    return answer.stdout.split('\n').filter(Boolean);
  }
  const values = async (words: string[]) => (await offered(words)).map((line) => line.split('\t')[0]);

  test('__complete offers commands, flags, parts, targets from the config and the newest backup ids (drill: both)', async () => {
    expect(await values(['']).then((all) => all.slice(0, 3))).toEqual(['help', 'list', 'create']);
    expect(await values(['re'])).toEqual(['restore', 'retention']);
    expect(await values(['--c'])).toEqual(['--config']);
    expect(await values(['create', ''])).toEqual(['db', 'media', 'db+media', 'shop/live', 'shop/staging', 'blog/prod']);
    expect(await values(['create', 'media', 'shop/'])).toEqual(['shop/live', 'shop/staging']);
    expect(await values(['create', 'media', 'shop/live', ''])).toEqual([]); // the note is free text
    expect(await values(['list', ''])).toEqual(['shop/live', 'shop/staging', 'blog/prod', 'scheduled', 'on-demand']);
    expect(await offered(['show', ''])).toEqual([
      expect.stringMatching(new RegExp(`^${ids[0]}\tblog/prod {2}(just now|\\d+ min ago) {2}media {2}second one$`)),
      expect.stringMatching(new RegExp(`^${ids[1]}\tshop/live {2}.* {2}media {2}first$`)),
    ]);
    expect(await values(['restore', ids[1]!, ''])).toEqual(['db', 'media', 'db+media', 'to']);
    expect(await values(['restore', ids[1]!, 'media', 'to', ''])).toEqual(['shop/live', 'shop/staging', 'blog/prod']);
    expect(await values(['restore', ids[1]!, '--n'])).toEqual(['--no-safety-backup', '--no-color']);
    expect(await values(['download', ids[1]!, ''])).toEqual(['db', 'media', 'db+media']);
    expect(await values(['--json', 'verify', ''])).toEqual(ids);
    expect(await values(['drill', ''])).toEqual([...ids, 'shop/live', 'shop/staging', 'blog/prod']);
    expect(await values(['drill', 'shop/'])).toEqual(['shop/live', 'shop/staging']);
    expect(await values(['drill', ids[1]!, ''])).toEqual([]);
    expect(await values(['token', ''])).toEqual(['create', 'list', 'revoke']);
    expect(await values(['config', ''])).toEqual(['check', 'schema']);
    expect(await values(['con'])).toEqual(['config']);
    expect(await values(['config', 'check', '--'])).toEqual(expect.arrayContaining(['--config', '--json']));
    expect(await values(['token', 'create', '--'])).toEqual(expect.arrayContaining(['--name', '--role', '--apps']));
    expect(await values(['token', 'create', '--role', ''])).toEqual(['viewer', 'operator', 'restorer', 'approver']);
    expect(await values(['token', 'create', '--apps', ''])).toEqual(['shop', 'blog', '*']);
    expect(await values(['audit', '--app', 'b'])).toEqual(['blog']);
    expect(await values(['completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(await values(['--progress', ''])).toEqual(['json']);
    expect(await values(['--progress', '=', ''])).toEqual(['json']); // bash splits --progress= at the =
    for (const words of [
      ['--config', ''],
      ['decrypt', ''],
      ['decrypt', 'x.age', '-i', ''],
      ['keygen', '-o', ''],
    ]) {
      expect([words, await offered(words)]).toEqual([words, [':files']]);
    }
  });

  test('__complete reads the state beside a process that holds it, and honours --config', async () => {
    // A running command (this test's own process stands in for it) holds the embedded state.
    writeFileSync(join(cwd, '.backstop', 'state.lock'), `${process.pid}\nbackstop serve\n`);
    try {
      expect(await values(['show', ''])).toEqual(ids);
    } finally {
      rmSync(join(cwd, '.backstop', 'state.lock'));
    }
    writeFileSync(
      join(cwd, 'other.yaml'),
      'dataDir: ./other\napps: { crm: { environments: { prod: { media: ./m } } } }\n',
    );
    expect(await values(['--config', 'other.yaml', 'create', 'media', ''])).toEqual(['crm/prod']);
    expect(await values(['--config', 'other.yaml', 'show', ''])).toEqual([]); // no state there yet
  });

  test('__complete is silent and offers what it can when the config is wrong or the state does not answer', async () => {
    writeFileSync(join(cwd, 'broken.yaml'), 'apps: [\n');
    expect(await values(['--config', 'broken.yaml', 'cre'])).toEqual(['create']);
    expect(await values(['--config', 'broken.yaml', 'show', ''])).toEqual([]);
    // A state database that accepts connections and never answers: completion gives up on it and answers anyway.
    const silent = await silentServer();
    try {
      const key = (await runBackstop(['keygen', '-o', 'keys/shared.key', '--json'], { cwd })).json();
      writeFileSync(
        join(cwd, 'shared.yaml'),
        `database: postgres://backstop@127.0.0.1:${silent.port}/state\n` +
          `encryption: { recipients: [${key.recipient}], identities: [${key.identityFile}] }\n` +
          'apps: { shop: { environments: { live: { media: ./media } } } }\n',
      );
      expect(await values(['--config', 'shared.yaml', 'show', ''])).toEqual([]);
      expect(await values(['--config', 'shared.yaml', 'create', 'media', ''])).toEqual(['shop/live']);
      // The command itself, as the shell runs it, ends too (nothing keeps it waiting on the state).
      const piped = await runPiped(['__complete', '--config', 'shared.yaml', 'show', ''], { cwd });
      expect(piped).toEqual({ code: 0, stdout: '', stderr: '' });
    } finally {
      silent.close();
    }
  });

  test('backstop completion prints each script, with its installation in --help; a shell it lacks is refused', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const script = await runBackstop(['completion', shell], { cwd });
      expect([shell, script.code, script.stdout]).toEqual([shell, 0, expect.stringContaining('__complete')]);
    }
    const help = await runBackstop(['completion', '--help'], { cwd });
    expect(help.stdout).toContain('source <(backstop completion bash)');
    expect(help.stdout).toContain('backstop completion fish > ~/.config/fish/completions/backstop.fish');
    const none = await runBackstop(['completion'], { cwd });
    expect([none.code, none.stderr]).toEqual([
      2,
      expect.stringContaining('completion takes a shell: bash, zsh or fish'),
    ]);
    const tcsh = await runBackstop(['completion', 'tcsh'], { cwd });
    expect([tcsh.code, tcsh.stderr]).toEqual([2, expect.stringContaining("unknown completion shell 'tcsh'")]);
    expect((await runBackstop(['completion', 'zhs'], { cwd })).stderr).toContain("did you mean 'zsh'?");
  });

  test('bash: the script registers itself and completes what __complete offers', async () => {
    const script = `
      source <(backstop completion bash)
      complete -p backstop
      offer() { COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _backstop_complete; echo "\${COMPREPLY[*]}"; }
      offer backstop sh
      offer backstop show ''
      offer backstop restore ${ids[1]} to shop/
      offer backstop create --js
      offer backstop --progress =
      offer backstop --config back
    `;
    const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', script], { cwd, env: env(), timeout: 60_000 });
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      'complete -F _backstop_complete backstop',
      'show',
      ids.join(' '),
      'shop/live shop/staging',
      '--json',
      'json',
      'backstop.yaml',
    ]);
  });

  test('zsh: Tab completes a command, and lists the backups with what they are, newest first', async () => {
    // An interactive zsh on a pseudo-terminal of zsh's own (zpty), typed into; each step waits for what it expects.
    const harness = `
      zmodload zsh/zpty
      zpty shell 'zsh -f -i'
      zpty -w shell "PS1='ready> '; autoload -U compinit && compinit -u -d ${join(cwd, 'home', 'zcompdump')} && source <(backstop completion zsh) && print sourced"
      zpty -r shell out '*sourced*ready> '
      zpty -w -n shell $'backstop sh\\t'
      zpty -r shell out '*show*'
      print -r -- "completed:$out"
      zpty -w -n shell $'\\t'
      zpty -r shell out '*${ids[1]}*first*'
      print -r -- "listed:$out"
      zpty -d shell
    `;
    const { stdout } = await run('zsh', ['-f', '-c', harness], { cwd, env: env(), timeout: 60_000 });
    const screen = stripVTControlCharacters(stdout).replaceAll('\r', '');
    expect(screen).toMatch(/completed:.*backstop show/);
    const listed = screen.slice(screen.indexOf('listed:'));
    expect(listed).toMatch(new RegExp(`${ids[0]} +-- blog/prod .*second one\\n${ids[1]} +-- shop/live .*first`));
  });

  test('fish: complete -C gives the words with their descriptions, in order', async () => {
    const script = `
      backstop completion fish | source
      complete -C 'backstop sh'
      complete -C 'backstop show '
      complete -C 'backstop restore x to shop/'
      complete -C 'backstop --config back'
    `;
    const { stdout } = await run('fish', ['--no-config', '-c', script], { cwd, env: env(), timeout: 60_000 });
    expect(stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^show\tshow one backup/),
      expect.stringMatching(new RegExp(`^${ids[0]}\tblog/prod .* second one$`)),
      expect.stringMatching(new RegExp(`^${ids[1]}\tshop/live .* first$`)),
      'shop/live',
      'shop/staging',
      'backstop.yaml',
    ]);
  });
});

/** A TCP server that accepts connections and never says a word (a state database that hangs). */
async function silentServer(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

import { PassThrough, Writable } from 'node:stream';
import { runCli } from '../../cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs); tests assert on its shape. */
  // biome-ignore lint/suspicious/noExplicitAny: a --json document of any shape, checked by the assertions that read it.
  json: () => any;
  prompts: string[];
}

/** Runs the backstop CLI in-process with captured output, a chosen terminal-ness and scripted answers to prompts. */
export async function runBackstop(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; tty?: boolean; answers?: string[] },
): Promise<CliRun> {
  const capture = () => {
    const chunks: string[] = [];
    const stream = Object.assign(
      new Writable({
        write(chunk, _encoding, callback) {
          chunks.push(String(chunk));
          callback();
        },
      }),
      { isTTY: false },
    );
    return { stream, text: () => chunks.join('') };
  };
  const out = capture();
  const err = capture();
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  const answers = [...(options.answers ?? [])];
  const prompts: string[] = [];
  const code = await runCli(args, {
    stdout: out.stream,
    stderr: err.stream,
    stdin,
    env: options.env ?? {},
    cwd: options.cwd,
    prompt: async (question) => {
      prompts.push(question);
      return answers.shift() ?? '';
    },
  });
  return { code, stdout: out.text(), stderr: err.text(), json: () => JSON.parse(out.text()), prompts };
}

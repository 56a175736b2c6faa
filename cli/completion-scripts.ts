import type { shells } from './complete-words.ts';

export type Shell = (typeof shells)[number];

/**
 * How to install each script, as `backstop completion --help` and the scripts' own first lines say it. Each script
 * asks `backstop __complete` for the words (time-bounded with `timeout` where it exists; its errors go nowhere).
 */
export const completionInstall: Readonly<Record<Shell, string[]>> = {
  bash: [
    'this shell:    source <(backstop completion bash)',
    'every shell:   backstop completion bash > ~/.local/share/bash-completion/completions/backstop',
    '               (with the bash-completion package; or put the line above in ~/.bashrc)',
  ],
  zsh: [
    'this shell:    source <(backstop completion zsh)       (after compinit)',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: zsh's own $fpath, written for the person to type.
    'every shell:   backstop completion zsh > "${fpath[1]}/_backstop"   (any folder on $fpath; then restart zsh)',
  ],
  fish: [
    'this shell:    backstop completion fish | source',
    'every shell:   backstop completion fish > ~/.config/fish/completions/backstop.fish',
  ],
};

export const completionUsage = [
  'backstop completion bash|zsh|fish   print a shell completion script: commands, flags, targets, recent backup ids',
  ...(Object.entries(completionInstall) as [Shell, string[]][]).flatMap(([shell, lines]) => [
    `  ${shell}:`,
    ...lines.map((line) => `    ${line}`),
  ]),
].join('\n');

function header(shell: Shell, comment = '#'): string {
  return [
    `${comment} backstop completion for ${shell}: commands, flags, targets (app/env) from the config, recent backup ids.`,
    ...completionInstall[shell].map((line) => `${comment}   ${line}`),
  ].join('\n');
}

const bash = `${header('bash')}
_backstop_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} out line
  # After --flag= the word under the cursor is the (empty) value; bash gives the '=' as a word of its own.
  [[ $cur == = ]] && cur=
  if command -v timeout >/dev/null 2>&1; then
    out=$(timeout 2 "\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  else
    out=$("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  fi
  COMPREPLY=()
  if [[ $out == :files ]]; then
    compopt -o filenames 2>/dev/null
    while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen -f -- "$cur")
    return 0
  fi
  while IFS= read -r line; do
    [[ -n $line ]] && COMPREPLY+=("\${line%%$'\\t'*}")
  done <<<"$out"
  return 0
}
complete -F _backstop_complete backstop
`;

const zsh = `#compdef backstop
${header('zsh')}
_backstop() {
  local out line value
  local -a candidates
  if (( $+commands[timeout] )); then
    out=$(timeout 2 \${words[1]} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)
  else
    out=$(\${words[1]} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)
  fi
  if [[ $out == ':files' ]]; then
    _files
    return
  fi
  for line in "\${(@f)out}"; do
    [[ -z $line ]] && continue
    value=\${line%%$'\\t'*}
    value=\${value//:/\\\\:}
    if [[ $line == *$'\\t'* ]]; then
      candidates+=("$value:\${line#*$'\\t'}")
    else
      candidates+=("$value")
    fi
  done
  # In the order given: the newest backups first.
  (( \${#candidates} )) && _describe -V -t values 'backstop' candidates
}
if [[ \${funcstack[1]} == _backstop ]]; then
  _backstop "$@"
else
  compdef _backstop backstop
fi
`;

const fish = `${header('fish')}
function __backstop_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l command $words[1]
    set -e words[1]
    set -l out
    if command -q timeout
        set out (timeout 2 $command __complete $words "$current" 2>/dev/null)
    else
        set out ($command __complete $words "$current" 2>/dev/null)
    end
    if test "$out" = ':files'
        __fish_complete_path "$current"
        return
    end
    printf '%s\\n' $out
end
complete -c backstop -f -k -a '(__backstop_complete)'
`;

/** The completion script for `shell`. */
export function completionScript(shell: Shell): string {
  return { bash, zsh, fish }[shell];
}

import type { Backup } from '../../src/domain/backup.ts';
import type { Download } from '../../src/domain/download.ts';
import type { Operation } from '../../src/domain/operation.ts';
import type { RetentionDecision } from '../../src/retention/retention-decision.ts';
import { formatBytes, formatTime, shortCodeVersion } from '../../src/text/format-units.ts';
import { proofWords } from '../../src/text/proof-words.ts';
import { proofPhrase } from './proof-phrase.ts';
import { type Phrase, type Span, statusTone, type ViewBlock } from './reply-view.ts';

export { formatBytes, formatTime, shortCodeVersion };

/** One line per backup for lists: id, target, trigger, status, when, size, retention, drill result, note. */
export function backupLine(backup: Backup, retention?: RetentionDecision): string {
  const size = backup.storedParts.reduce((sum, p) => sum + p.storedSizeBytes, 0);
  const note = backup.note ? `  "${backup.note}"` : '';
  const code = backup.codeVersion ? `  code ${shortCodeVersion(backup.codeVersion)}` : '';
  const leftOut = withoutRowsCount(backup) === '' ? '' : ` ${withoutRowsCount(backup)}`;
  const state = backup.status === 'completed' ? backup.parts : `${backup.parts} ${backup.status.toUpperCase()}`;
  const kept =
    retention === undefined
      ? ''
      : retention.keep
        ? `  [${retention.reason}]`
        : `  [pending deletion: ${retention.reason}]`;
  const proof = proofWords(backup);
  const drilled = proof === undefined ? '' : `  ${proof}`;
  return `${backup.id}  ${backup.app}/${backup.env}  ${formatTime(backup.createdAt)}  ${backup.trigger}  ${state}  ${formatBytes(size)}${leftOut}${code}${kept}${drilled}${note}`;
}

/** " (2 tables without rows)" for a backup whose database part left the rows of tables out; else "". */
function withoutRowsCount(backup: Backup): string {
  const count = backup.storedParts.reduce((sum, p) => sum + (p.tablesWithoutRows?.length ?? 0), 0);
  return count === 0 ? '' : ` (${count} ${count === 1 ? 'table' : 'tables'} without rows)`;
}

/** " Without the rows of public.django_session." for a backup whose database part left rows out; else "". */
export function withoutRowsSentence(backup: Backup): string {
  const tables = backup.storedParts.flatMap((p) => p.tablesWithoutRows ?? []);
  return tables.length === 0 ? '' : ` Without the rows of ${tables.join(', ')} (excludeTableData).`;
}

/**
 * Backups as a table for the terminal: the values of backupLine, one column each; CODE only when a backup listed
 * recorded its application's code version, DRILL only when one was drilled.
 */
export function backupTable(backups: readonly Backup[], retention: ReadonlyMap<string, RetentionDecision>): ViewBlock {
  const withCode = backups.some((backup) => backup.codeVersion !== null);
  const withDrill = backups.some((backup) => proofPhrase(backup, 'cell') !== undefined);
  return {
    kind: 'table',
    columns: [
      'ID',
      'TARGET',
      'CREATED',
      'TRIGGER',
      'PARTS',
      'SIZE',
      'STATUS',
      'RETENTION',
      ...(withDrill ? ['DRILL'] : []),
      ...(withCode ? ['CODE'] : []),
      'NOTE',
    ],
    rows: backups.map((backup) => {
      const decision = retention.get(backup.id);
      const kept: Phrase =
        decision === undefined
          ? ''
          : decision.keep
            ? decision.reason
            : { text: `pending deletion: ${decision.reason}`, tone: 'busy' };
      return [
        backup.id,
        `${backup.app}/${backup.env}`,
        { at: backup.createdAt },
        backup.trigger,
        `${backup.parts}${withoutRowsCount(backup)}`,
        backup.storedParts.length > 0
          ? { bytes: backup.storedParts.reduce((sum, p) => sum + p.storedSizeBytes, 0) }
          : '',
        { text: backup.status, tone: statusTone(backup.status) },
        kept,
        ...(withDrill ? [proofPhrase(backup, 'cell') ?? ''] : []),
        ...(withCode ? [backup.codeVersion ? shortCodeVersion(backup.codeVersion) : ''] : []),
        backup.note ?? '',
      ];
    }),
  };
}

/**
 * "op 4tq9zz  backup 7k3qx2 of shop/live  running, attempt 1/3: db 12.0 MB / 40.0 MB  by cli:ana"; a finished one says
 * when it ended and, unless it succeeded, why. `person` writes who asked (see HandlerContext.person).
 */
export function operationLine(operation: Operation, person: (principal: string) => string = (id) => id): string {
  const what = `${operation.kind} ${operation.subjectId}${operation.target ? ` of ${operation.target}` : ''}`;
  let state: string = operation.status;
  if (operation.status === 'running') {
    const total = operation.bytesExpected !== null ? ` / ${formatBytes(operation.bytesExpected)}` : '';
    const progress = operation.phase ? `: ${operation.phase} ${formatBytes(operation.bytesDone)}${total}` : '';
    state = `running, attempt ${operation.attempts}/${operation.maxAttempts}${progress}`;
    if (operation.cancelRequestedBy) state += ` (cancel asked by ${person(operation.cancelRequestedBy)})`;
  } else if (operation.status === 'queued' && operation.runAfter !== null && operation.attempts > 0) {
    state = `retrying at ${formatTime(operation.runAfter)} (attempt ${operation.attempts + 1}/${operation.maxAttempts}): ${operation.error}`;
  } else if (operation.status === 'queued') {
    state = `queued since ${formatTime(operation.createdAt)}`;
  } else if (operation.finishedAt !== null) {
    state = `${operation.status} ${formatTime(operation.finishedAt)}${operation.status === 'succeeded' || !operation.error ? '' : `: ${operationError(operation, person)}`}`;
  }
  return `op ${operation.id}  ${what}  ${state}${operation.requestedBy ? `  by ${person(operation.requestedBy)}` : ''}`;
}

/**
 * An operation's error, with whoever cancelled it written as `person` writes people ("cancelled by @ana" in chat,
 * "cancelled by cli:ana" on the command line).
 */
export function operationError(
  operation: Operation,
  person: (principal: string) => string = (id) => id,
): string | null {
  const by = operation.cancelRequestedBy;
  if (by === null || operation.error === null) return operation.error;
  return operation.error.replace(`cancelled by ${by}`, `cancelled by ${person(by)}`);
}

/** Operations as a table for the terminal: the values of operationLine, one column each. */
export function operationTable(operations: readonly Operation[]): ViewBlock {
  return {
    kind: 'table',
    columns: ['OP', 'WHAT', 'TARGET', 'STATUS', 'WHEN', 'DETAIL', 'BY'],
    rows: operations.map((operation) => [
      operation.id,
      `${operation.kind} ${operation.subjectId}`,
      operation.target ?? '',
      { text: operation.status, tone: statusTone(operation.status) },
      { at: operation.finishedAt ?? operation.startedAt ?? operation.createdAt },
      cellDetail(operationDetail(operation)),
      operation.requestedBy ?? '',
    ]),
  };
}

/** How much of an operation's error a table row shows: `status <op>` shows all of it. */
const DETAIL_CELL_CHARS = 80;

/** An error as a table cell: its start, so that a row stays one readable line. */
function cellDetail(detail: Phrase): Phrase {
  if (typeof detail !== 'string' || detail.length <= DETAIL_CELL_CHARS) return detail;
  return `${detail.slice(0, DETAIL_CELL_CHARS - 1)}…`;
}

/** One operation in detail for the terminal: what it does, its status, times, attempts, progress, error. */
export function operationView(operation: Operation): ViewBlock[] {
  const what = `${operation.kind} ${operation.subjectId}${operation.target ? ` of ${operation.target}` : ''}`;
  const fields: [string, Phrase][] = [['queued', { at: operation.createdAt }]];
  if (operation.startedAt) fields.push(['started', { at: operation.startedAt }]);
  if (operation.finishedAt) fields.push(['finished', { at: operation.finishedAt }]);
  fields.push(['attempts', `${operation.attempts} of at most ${operation.maxAttempts}`]);
  const active = operation.status === 'running' || operation.status === 'queued';
  if (active && operationDetail(operation) !== '') fields.push(['progress', operationDetail(operation)]);
  if (!active && operation.status !== 'succeeded' && operation.error) fields.push(['error', operation.error]);
  if (operation.requestedBy) fields.push(['by', operation.requestedBy]);
  return [
    {
      kind: 'line',
      phrase: [`Operation ${operation.id} (${what}): `, { text: operation.status, tone: statusTone(operation.status) }],
    },
    { kind: 'fields', fields },
  ];
}

/** What a table of operations says beside an operation's status: progress, the attempt, why it failed. */
export function operationDetail(operation: Operation): Phrase {
  if (operation.status === 'running') {
    const progress: Span[] = operation.phase
      ? [
          `${operation.phase} `,
          { bytes: operation.bytesDone },
          ...(operation.bytesExpected !== null ? [' / ', { bytes: operation.bytesExpected }] : []),
          ', ',
        ]
      : [];
    const cancel = operation.cancelRequestedBy ? ` (cancel asked by ${operation.cancelRequestedBy})` : '';
    return [...progress, `attempt ${operation.attempts}/${operation.maxAttempts}${cancel}`];
  }
  if (operation.status === 'queued' && operation.runAfter !== null && operation.attempts > 0) {
    return [
      'retrying ',
      { at: operation.runAfter },
      ` (attempt ${operation.attempts + 1}/${operation.maxAttempts}): ${operation.error}`,
    ];
  }
  if (operation.status === 'succeeded' || operation.status === 'queued') return '';
  return operation.error ?? '';
}

/** "  shop-live-7k3qx2.dump (12.0 MB): https://..." per file of a ready download. */
export function downloadLinkLines(download: Download): string[] {
  return download.files.map((f) => `  ${f.filename} (${formatBytes(f.sizeBytes)}): ${f.url}`);
}

/** A ready download for the terminal: until when its links work (in the reader's zone), then each file's link. */
export function readyDownloadView(download: Download, more = ''): ViewBlock[] {
  return [
    {
      kind: 'line',
      phrase: [
        `Download ${download.id} of backup ${download.backupId} is ready; the links work until `,
        { at: download.expiresAt! },
        `.${more}`,
      ],
    },
    ...download.files.map(
      (f): ViewBlock => ({ kind: 'line', phrase: [`  ${f.filename} (`, { bytes: f.sizeBytes }, `): ${f.url}`] }),
    ),
  ];
}

import { downloadJson } from '../../src/use-cases/json-shapes.ts';
import { requestDownload } from '../../src/use-cases/request-download.ts';
import type { Command } from '../command.ts';
import { downloadLinkLines, formatTime, readyDownloadView } from './format.ts';
import type { HandlerContext, Reply } from './reply.ts';

/**
 * `download <id> [parts] [--email address]`: queues the preparation of plaintext copies of a backup's parts and their
 * expiring links. The links go to the requester: in this reply when it follows the work, by email when an address is
 * known (the flag, else the config's people map) and email is configured.
 */
export async function handleDownload(
  ctx: HandlerContext,
  command: Extract<Command, { name: 'download' }>,
): Promise<Reply> {
  const { download: queued, operation } = await requestDownload(
    ctx.engine,
    ctx.principal,
    {
      backupId: command.id,
      ...(command.parts !== undefined && { parts: command.parts }),
      ...(command.email !== undefined && { email: command.email }),
    },
    ctx.asked,
  );
  const email = queued.email;
  const mail =
    email === null
      ? ''
      : ctx.engine.mailer === undefined
        ? ' Email is not configured, so the links are not emailed; they are shown here and in the download.ready event.'
        : ` The links will be emailed to ${email}.`;
  if (!ctx.follow) {
    return {
      outcome: 'ok',
      text: `Download ${queued.id} of backup ${queued.backupId} is being prepared (operation ${operation.id}).${mail}`,
      data: { ...downloadJson(queued), operationId: operation.id },
    };
  }
  const ended = await ctx.follow(operation);
  const download = await ctx.engine.downloads.get(queued.id);
  if (download.status !== 'ready') {
    return {
      outcome: 'failed',
      text: `Download ${download.id} of backup ${download.backupId} ${ended.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${download.error ?? ended.error}`,
      data: { ...downloadJson(download), operationId: operation.id },
    };
  }
  const lines = [
    `Download ${download.id} of backup ${download.backupId} is ready; the links work until ${formatTime(download.expiresAt!)}.${mail}`,
    ...downloadLinkLines(download),
  ];
  return {
    outcome: 'ok',
    text: lines.join('\n'),
    data: { ...downloadJson(download), operationId: operation.id },
    carriesLinks: true,
    view: readyDownloadView(download, mail),
  };
}

import { pipeline } from 'node:stream';
import { type NextFunction, type Request, type Response, Router } from 'express';
import { BackstopError } from '../domain/backstop-error.ts';
import { attachmentDisposition } from '../storage/attachment-disposition.ts';
import type { DownloadGrant } from '../storage/download-link-signer.ts';
import type { Store } from '../storage/store.ts';

/**
 * `GET /downloads/<token>`: serves the object a signed, unexpired link grants, as an attachment. A forged or altered
 * token (one that is not even valid percent-encoding included) is 403, an expired one 410, an object already deleted 410. Stores with links of their own (S3) have
 * nothing here.
 */
export function downloadsRoute(store: Store): Router {
  const router = Router();
  router.get('/downloads/:token', async (request: Request, response: Response) => {
    if (store.grant === undefined) return refuse(response, 404, 'not-found', 'Downloads are served by the storage.');
    let grant: DownloadGrant;
    try {
      grant = store.grant(String(request.params['token']));
    } catch (error) {
      if (error instanceof BackstopError && error.code === 'link-expired') {
        return refuse(response, 410, 'link-expired', error.userMessage ?? 'This download link has expired.');
      }
      return refuse(response, 403, 'link-invalid', 'This download link is not valid.');
    }
    const object = await store.stat(grant.key);
    if (!object) return refuse(response, 410, 'gone', 'This download has been deleted. Ask for the download again.');
    const body = await store.read(grant.key);
    response.status(200);
    response.setHeader('Content-Type', 'application/octet-stream');
    response.setHeader('Content-Length', String(object.sizeBytes));
    response.setHeader('Content-Disposition', attachmentDisposition(grant.filename ?? grant.key.split('/').pop()!));
    response.setHeader('Cache-Control', 'private, no-store');
    // A store that fails midway ends the response early (the client sees a truncated download, never a complete one).
    pipeline(body, response, () => {});
  });
  // Express could not percent-decode the token (`%ZZ`): no link of ours is written so, so it is a forged one.
  router.use((error: unknown, _request: Request, response: Response, next: NextFunction) => {
    if (!(error instanceof URIError) || response.headersSent) return next(error);
    refuse(response, 403, 'link-invalid', 'This download link is not valid.');
  });
  return router;
}

function refuse(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: { code, message } });
}

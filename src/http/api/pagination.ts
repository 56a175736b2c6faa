import type { Request, Response } from 'express';
import { z } from 'zod';
import type { ListPosition } from '../../domain/list-position.ts';

/**
 * Cursor pagination for the API's lists: a list answers an array, and when more items follow, a
 * `Link: <...?cursor=...>; rel="next"` header with the same query and a cursor. A cursor is opaque to clients: the
 * base64url of the last item's time and id.
 */

/** The query members every list takes: `limit` (1 to 1000, default 100) and `cursor` (from a `Link` header). */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z
    .string()
    .transform((text, context) => {
      const position = positionIn(text);
      if (position === undefined) {
        context.addIssue({ code: 'custom', message: 'not a cursor this API gave (take it from a Link header)' });
        return z.NEVER;
      }
      return position;
    })
    .optional(),
};

/** The position a cursor names, or undefined when it is not one this server made. */
export function positionIn(cursor: string): ListPosition | undefined {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(time));
    if (typeof time !== 'string' || typeof id !== 'string' || Number.isNaN(createdAt.getTime())) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}

export function cursorOf(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

/**
 * Sends the first `limit` of `items` (fetched with one more than `limit`, to learn whether a next page exists) as the
 * JSON array `shape` makes of them, with a `Link` to the next page when there is one.
 */
export function sendPage<T extends { id: string }>(
  request: Request,
  response: Response,
  items: readonly T[],
  limit: number,
  shape: (item: T) => unknown,
  positionOf: (item: T) => ListPosition = (item) => ({
    createdAt: (item as T & { createdAt: Date }).createdAt,
    id: item.id,
  }),
): void {
  const page = items.slice(0, limit);
  const last = page.at(-1);
  if (items.length > limit && last !== undefined) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query)) {
      if (name !== 'cursor' && typeof value === 'string') query.set(name, value);
    }
    query.set('cursor', cursorOf(positionOf(last)));
    response.links({ next: `${request.baseUrl}${request.path}?${query}` });
  }
  response.json(page.map(shape));
}

/**
 * Chunks whose memory nobody else holds, so that a consumer may move it (transfer its ArrayBuffer to a worker thread)
 * instead of copying it. A producer marks a chunk it allocated itself, whose whole ArrayBuffer it spans, and which it
 * will neither touch nor hand anyone else after passing it on; any other chunk (one of a Buffer pool's slab, a part
 * of a larger buffer, a concatenation a stream made) is unmarked and must be copied. The mark is on the Buffer
 * object: a stream that passes the same object on keeps it, one that makes a new Buffer loses it.
 */
const movable = new WeakSet<Buffer>();

/** Marks `chunk` as movable when it spans its whole ArrayBuffer; returns it. */
export function movableChunk(chunk: Buffer): Buffer {
  if (spansItsMemory(chunk)) movable.add(chunk);
  return chunk;
}

/** Whether `chunk` was marked movable by its producer (and still spans its whole ArrayBuffer). */
export function isMovable(chunk: Buffer): boolean {
  return movable.has(chunk) && spansItsMemory(chunk);
}

/** Whether `chunk` is all of its ArrayBuffer (no other part of that memory can belong to another Buffer). */
export function spansItsMemory(chunk: Buffer): boolean {
  return chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
}

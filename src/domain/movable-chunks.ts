/**
 * Chunks whose memory nobody else holds, so that a consumer may move it (transfer its ArrayBuffer to a worker thread)
 * instead of copying it. A producer marks a chunk it allocated itself, whose whole ArrayBuffer it spans, and which it
 * will neither touch nor hand anyone else after passing it on; any other chunk (one of a Buffer pool's slab, a part
 * of a larger buffer, a concatenation a stream made) is unmarked and must be copied. The mark is on the Buffer
 * object: a stream that passes the same object on keeps it, one that makes a new Buffer loses it. A stage that hands
 * one chunk to two consumers must not pass a marked one on (either could move it, or give it back below). The
 * chunk's last consumer, once done with it, may give its memory back for reuse (giveBackBlock).
 */
const movable = new WeakSet<Uint8Array>();

/** Marks `chunk` as movable when it spans its whole ArrayBuffer; returns it. */
export function movableChunk<T extends Uint8Array>(chunk: T): T {
  if (spansItsMemory(chunk)) movable.add(chunk);
  return chunk;
}

/** Whether `chunk` was marked movable by its producer (and still spans its whole ArrayBuffer). */
export function isMovable(chunk: Uint8Array): boolean {
  return movable.has(chunk) && spansItsMemory(chunk);
}

/** Whether `chunk` is all of its ArrayBuffer (no other part of that memory can belong to another Buffer). */
export function spansItsMemory(chunk: Uint8Array): boolean {
  return chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
}

/**
 * Spare memory for blocks, by size: a consumer that moved a block away and got its memory back (the sealing worker
 * hands each plaintext block back once it has encrypted it) gives it here, and the next producer of a block that size
 * takes it instead of allocating. A media backup then cycles a few blocks instead of leaving a gigabyte of buffers for
 * the collector, which frees them only when its limits say so (tens of MB later). Bounded: past MAX_SPARES a block
 * of a size is left to the collector.
 */
const spares = new Map<number, ArrayBuffer[]>();
const MAX_SPARES = 16;

/** A buffer of `bytes` spanning its own memory: a spare one when there is one, else a new one. */
export function takeBlock(bytes: number): Buffer {
  const spare = takeSpare(bytes);
  return spare === undefined ? Buffer.allocUnsafeSlow(bytes) : Buffer.from(spare);
}

/** A spare block of `bytes` if one waits; from now on memory of that size given back is kept. */
export function takeSpare(bytes: number): ArrayBuffer | undefined {
  const list = spares.get(bytes) ?? [];
  spares.set(bytes, list);
  return list.pop();
}

/**
 * Gives memory back for reuse: the caller must hold no view of it any more (a transfer's receiver never does). Only
 * sizes some producer takes are kept; other memory (a copy of odd size) is left to the collector.
 */
export function giveBackBlock(memory: ArrayBuffer): void {
  const list = spares.get(memory.byteLength);
  if (list !== undefined && list.length < MAX_SPARES) list.push(memory);
}

/** How many spare blocks of `bytes` wait to be taken (for tests). */
export function spareBlocks(bytes: number): number {
  return spares.get(bytes)?.length ?? 0;
}

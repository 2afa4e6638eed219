/**
 * Whether this platform stores typed-array elements little-endian. The scan loops
 * store four mask bytes as one uint32 (byte q of the word is entry 4j + q) only
 * where this holds; elsewhere their single-entry loops do all the work.
 */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export { PrunelabError, isPrunelabError, unknownNameError, USER_ERROR_EXIT } from './errors.js';
export type { ErrorCode, ErrorDetails } from './errors.js';
export { log, getReporter, setReporter, silentReporter, streamReporter, recordingReporter } from './reporter.js';
export type { Reporter, ReporterEvent, LogLevel } from './reporter.js';
export { Registry } from './registry.js';
export type { RegistryEntry } from './registry.js';
export { canonicalJson, contentHash, stripDefaults, isPlainObject } from './hash.js';
export { createRng, permutation, hashString } from './rng.js';
export type { Rng } from './rng.js';

/**
 * What names in an app's document store may look like (collection names
 * and field paths), and the normal form of declared indexes. The manifest's `indexes` field (`doc_indexes.ts`) and
 * the document store (`kernel/services/appdata/`) check against the same
 * patterns, so a declared index is always one the store can build.
 *
 * @module
 */

/** What collection names may look like. */
export const COLLECTION_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** What a field path may look like: identifiers joined by dots. */
export const FIELD_PATH_PATTERN = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

/** The longest field path accepted. */
export const MAX_FIELD_PATH_LENGTH = 256;

/** Declared document indexes: collection → indexes, each a list of field paths. */
export type DocIndexes = Record<string, string[][]>;

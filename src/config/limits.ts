/** Bounds on what a `.heimdall-build.yml` may ask for: the file comes from an untrusted repository. */
export const LIMITS = {
  fileBytes: 256 * 1024,
  cells: 256,
  /** Combinations before `exclude`; bounds the work a hostile matrix can ask for. */
  combinations: 4096,
  axisValues: 64,
  includeEntries: 256,
  excludeEntries: 256,
  listItems: 256,
  shortString: 256,
  longString: 8192,
  envEntries: 128,
  aliases: 64,
} as const;

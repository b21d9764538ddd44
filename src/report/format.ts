/** Durations and sizes in the words a summary uses. */

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  const totalSeconds = Math.floor(seconds);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${String(totalSeconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A limit as it was set: "4 GiB", "256 MiB"; with a decimal only when it is not a whole number of its unit. */
export function formatLimit(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) return formatSize(bytes);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  while (unit < units.length - 1 && bytes >= 1024 ** (unit + 1) && bytes % 1024 ** (unit + 1) === 0) unit++;
  if (unit === 0 && bytes >= 1024) return formatSize(bytes);
  return `${bytes / 1024 ** unit} ${units[unit]}`;
}

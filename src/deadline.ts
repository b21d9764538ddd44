/** Bounded waits for shutdown: a process that is told to stop must stop, whatever hangs. */

/** Waits for `work` to settle, at most `ms`: true when it did, false when the time ran out. */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([work.then(ok, ok), timeUp]);
  } finally {
    clearTimeout(timer);
  }
}

function ok(): true {
  return true;
}

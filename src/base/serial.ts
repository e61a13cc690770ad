// One job at a time: a read-modify-write of a file (accounts, policies) must not interleave with another one.

/** Runs async jobs one at a time, in the order given; a job that fails does not stop the ones after it. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

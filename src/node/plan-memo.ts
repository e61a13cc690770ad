// Each device's last plan and the inputs it was made from: planning is a pure function of them, so the same
// inputs give the same plan. Owned by NodeDevices; imports only the rules' types.
import type { DeviceEntry, Operation, Rules, SourceFile } from '../rules/index.js';

/** What a plan was made from, besides the device's listing (compared by identity or as text). */
export interface PlanInputs {
  /** The store's version vector, as JSON. */
  graph: string;
  rules: Rules;
  /** The device profile, as JSON. */
  profile: string;
  sources: Map<string, SourceFile>;
}

interface Entry extends PlanInputs {
  listing: readonly DeviceEntry[];
  ops: Operation[];
}

/** The outcome of carrying a plan out, as far as the memo needs it. */
export interface RunOutcome {
  copied: number;
  removed: number;
  errors: unknown[];
  skips: Array<{ reason: string }>;
}

export class PlanMemo {
  private readonly plans = new Map<string, Entry>();

  /** The plan for `root`: the remembered one when every input is the same, else `make()`'s (remembered). */
  plan(root: string, inputs: PlanInputs, listing: readonly DeviceEntry[], make: () => Operation[]): Operation[] {
    const last = this.plans.get(root);
    if (
      last && last.graph === inputs.graph && last.rules === inputs.rules && last.profile === inputs.profile &&
      last.sources === inputs.sources && sameListing(last.listing, listing)
    ) {
      return last.ops;
    }
    const ops = make();
    this.plans.set(root, { ...inputs, listing, ops });
    return ops;
  }

  /**
   * After a run of `ops` (the plan last given for `root`) that did every copy and remove: the device now holds the
   * plan's outcome, and the plan of that state is its skips alone (a second run plans nothing). Remembered, so a
   * re-run that finds exactly that listing (same paths, sizes and catalog entries) need not plan again. After a run
   * with errors or skips, nothing is remembered.
   */
  ran(root: string, ops: Operation[], res: RunOutcome): void {
    const last = this.plans.get(root);
    if (!last || last.ops !== ops) return;
    const copies = ops.filter((o): o is Extract<Operation, { kind: 'copy' }> => o.kind === 'copy');
    const removes = new Set(ops.flatMap((o) => (o.kind === 'remove' ? [o.target] : [])));
    const clean = res.errors.length === 0 && res.skips.every((s) => s.reason === 'already in place') && res.copied === copies.length && res.removed === removes.size;
    if (!clean) return void this.plans.delete(root);
    const byPath = new Map(last.listing.filter((e) => !removes.has(e.path)).map((e) => [e.path, e]));
    for (const c of copies) byPath.set(c.target, { path: c.target, size: c.size, content: c.content, placedBy: c.rule });
    const listing = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    this.plans.set(root, { ...last, listing, ops: ops.filter((o) => o.kind === 'skip') });
  }
}

function sameListing(a: readonly DeviceEntry[], b: readonly DeviceEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.path !== y.path || x.size !== y.size || x.content !== y.content || x.placedBy !== y.placedBy) return false;
  }
  return true;
}

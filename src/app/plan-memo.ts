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
  /** What the person deleted from the device by hand (content IRIs, sorted, space-separated). */
  removed: string;
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
      last.sources === inputs.sources && last.removed === inputs.removed && sameListing(last.listing, listing)
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
    const kept = removes.size ? last.listing.filter((e) => !removes.has(e.path)) : last.listing;
    const added = copies.map((c): DeviceEntry => ({ path: c.target, size: c.size, content: c.content, placedBy: c.rule }));
    this.plans.set(root, { ...last, listing: mergeByPath(kept, added), ops: ops.filter((o) => o.kind === 'skip') });
  }
}

const byPath = (a: DeviceEntry, b: DeviceEntry) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const sorted = (list: readonly DeviceEntry[]) => list.every((e, i) => i === 0 || list[i - 1].path < e.path);

/** `kept` and `added` as one listing by path (an added entry replaces a kept one with its path): merged when both are sorted. */
function mergeByPath(kept: readonly DeviceEntry[], added: DeviceEntry[]): DeviceEntry[] {
  if (!sorted(kept) || !sorted(added)) {
    const map = new Map(kept.map((e) => [e.path, e]));
    for (const e of added) map.set(e.path, e);
    return [...map.values()].sort(byPath);
  }
  const out: DeviceEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length || j < added.length) {
    if (j === added.length || (i < kept.length && kept[i].path < added[j].path)) out.push(kept[i++]);
    else {
      if (i < kept.length && kept[i].path === added[j].path) i++;
      out.push(added[j++]);
    }
  }
  return out;
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

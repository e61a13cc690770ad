// `semsync explain FILE`: which rule and which metadata put a file where it is on a device or host target.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { explainPath } from '../devices/index.js';
import type { ContentFacts } from '../rules/index.js';
import { UnknownDeviceError, type DeviceListing } from './device-rows.js';

export interface ExplainAnswer {
  path: string;
  device: string;
  root: string;
  relativePath: string;
  content: string;
  rule: string;
  /** The metadata the rule's template used (title, creator, category, categoryRule...). */
  values: Record<string, string>;
  placedAt: string;
  /** What this node's graph says about the content now (title, creator, subject, genre, date...), if it knows it. */
  metadata?: Record<string, string[]>;
}

export interface ExplainComponents {
  listing: DeviceListing;
  /** Every content's planning facts now (the library's description of each content). */
  facts: () => Map<string, ContentFacts>;
}

export class Explain {
  constructor(private readonly c: ExplainComponents) {}

  /** Which rule and which metadata put the file at `file` (a path on an attached device or target). */
  async explain(file: string): Promise<ExplainAnswer> {
    const abs = path.resolve(file);
    const real = await realpath(abs).catch(() => abs);
    const rows = (await this.c.listing.list()).sort((a, b) => b.root.length - a.root.length);
    const dev = rows.find((r) => real === r.root || real.startsWith(r.root + '/') || abs.startsWith(r.root + '/'));
    if (!dev) throw new UnknownDeviceError(`${abs} is not on an attached device or host target (see \`semsync devices\`)`);
    const under = real.startsWith(dev.root + '/') ? real : abs;
    const rel = path.relative(dev.root, under).split(path.sep).join('/');
    const e = await explainPath(dev.root, rel);
    if (!e) throw new UnknownDeviceError(`${abs}: semsync did not place this file on ${dev.name} (its catalog does not list it)`);
    const facts = this.c.facts().get(e.content);
    const metadata = facts ? Object.fromEntries(Object.entries(facts.values).filter(([, v]) => v.length > 0)) : undefined;
    return { path: abs, device: dev.name, root: dev.root, relativePath: e.path, content: e.content, rule: e.rule, values: e.values, placedAt: e.placedAt, ...(metadata ? { metadata } : {}) };
  }
}

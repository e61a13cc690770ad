// Named errors of the rules area: a rules file that cannot be read, and a rule that fails when evaluated.
import { FailureError, InputError } from '../base/index.js';

/** A rules file that cannot be used: bad Turtle, or a rule that is incomplete or contradicts itself. */
export class RuleFileError extends InputError {
  override name = 'RuleFileError';
  constructor(
    /** The rules file, as given to `loadRules`. */
    readonly file: string,
    /** The 1-based line, when the parser or a search for the rule found one. */
    readonly line: number | undefined,
    readonly detail: string,
    /** The rule's IRI, when the problem is in one rule. */
    readonly rule?: string,
  ) {
    super(
      `${file}${line !== undefined ? `:${line}` : ''}: ${rule ? `rule <${rule}>: ` : ''}${detail}` +
        ' (fix the rules file, or move it out of the rules folder, and try again)',
    );
  }
}

/** A rule whose SPARQL pattern (`ss:where`) the graph rejected when it was evaluated. */
export class RuleEvaluationError extends FailureError {
  override name = 'RuleEvaluationError';
  constructor(
    readonly rule: string,
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: rule <${rule}>: its ss:where pattern failed: ${detail} (fix the pattern in the rules file)`);
  }
}

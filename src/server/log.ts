// Structured logs (pino): JSON lines in HOME/logs/semsync.log; readable one-line messages on a terminal.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** One JSON log record as a person reads it: `12:00:01 warn http: message key=value`. */
export function readableLine(json: string): string {
  try {
    const r = JSON.parse(json) as Record<string, unknown>;
    const { level, time, msg, pid: _p, hostname: _h, component, ...rest } = r;
    const t = new Date(Number(time)).toTimeString().slice(0, 8);
    const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return `${t} ${LEVELS[Number(level)] ?? level} ${component ? `${component}: ` : ''}${msg ?? ''}${fields.length ? ' ' + fields.join(' ') : ''}\n`;
  } catch {
    return json;
  }
}

/**
 * The node's logger. The file gets every record at `level` (default info; SEMSYNC_DEBUG: debug); a terminal
 * (stderr, when it is one, or when `terminal` says so) gets warnings and errors as readable lines.
 */
export function createLogger(home: string, opts: { level?: string; terminal?: boolean } = {}): Logger {
  const dir = path.join(home, 'logs');
  mkdirSync(dir, { recursive: true });
  const level = opts.level ?? (process.env.SEMSYNC_DEBUG ? 'debug' : 'info');
  const file = pino.destination({ dest: path.join(dir, 'semsync.log'), sync: true, mkdir: true });
  const streams: pino.StreamEntry[] = [{ level: level as pino.Level, stream: file }];
  if (opts.terminal ?? process.stderr.isTTY) {
    streams.push({ level: 'warn', stream: { write: (line: string) => void process.stderr.write(readableLine(line)) } });
  }
  return pino({ level, base: { pid: process.pid } }, pino.multistream(streams));
}

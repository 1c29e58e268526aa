import { HANDSHAKE_COMMANDS } from "./commands";
import type { FaultInjector } from "./types";

interface Rule {
  remaining: number;
  commands?: Set<string>;
}
interface FailRule extends Rule {
  code: number;
  errmsg: string;
}
interface DelayRule extends Rule {
  ms: number;
}

function commandSet(commands?: string[]): Set<string> | undefined {
  return commands && commands.length ? new Set(commands.map((c) => c.toLowerCase())) : undefined;
}

/**
 * Pending injected faults. Rules are consumed in the order they were added; a command without an
 * explicit `commands` filter never consumes a rule with a handshake/heartbeat command.
 */
export class Faults implements FaultInjector {
  private fails: FailRule[] = [];
  private delays: DelayRule[] = [];

  failNext(n: number, opts: { code?: number; errmsg?: string; commands?: string[] } = {}): void {
    if (!(n > 0)) return;
    this.fails.push({
      remaining: Math.floor(n),
      code: opts.code ?? 1,
      errmsg: opts.errmsg ?? "injected fault",
      commands: commandSet(opts.commands),
    });
  }

  delayNext(n: number, ms: number, opts: { commands?: string[] } = {}): void {
    if (!(n > 0) || !(ms > 0)) return;
    this.delays.push({ remaining: Math.floor(n), ms, commands: commandSet(opts.commands) });
  }

  clear(): void {
    this.fails = [];
    this.delays = [];
  }

  /** Consumes and returns the failure for this command, if any. */
  takeFail(command: string): { code: number; errmsg: string } | undefined {
    const rule = take(this.fails, command);
    return rule && { code: rule.code, errmsg: rule.errmsg };
  }

  /** Consumes and returns the delay (ms) for this command, if any. */
  takeDelay(command: string): number | undefined {
    return take(this.delays, command)?.ms;
  }
}

function take<R extends Rule>(rules: R[], command: string): R | undefined {
  const name = command.toLowerCase();
  const i = rules.findIndex((r) => (r.commands ? r.commands.has(name) : !HANDSHAKE_COMMANDS.has(name)));
  if (i < 0) return undefined;
  const rule = rules[i];
  if (--rule.remaining <= 0) rules.splice(i, 1);
  return rule;
}

import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '../shared/logger';
import { buildCatalog, Catalog } from './catalog/build';
import { ShareRules } from './policy/share-rules';
import { composeSupergraph, CompositionError, SubgraphSource } from './supergraph';

/**
 * The supergraph being served, in its FULL form (with @policy): share rules and the catalogue are
 * derived from it, while Apollo Gateway is handed `executableSupergraph(...)` of the same SDL.
 * Mixing the two up once let conditional fields through; keeping both behind this one holder means
 * rules, catalogue and plan always come from the same composition.
 */
export class LiveSupergraph {
  private current: { sdl: string; rules: ShareRules; catalog?: Catalog };

  constructor(sdl: string) {
    this.current = { sdl, rules: ShareRules.fromSupergraph(sdl) };
  }

  sdl(): string {
    return this.current.sdl;
  }

  rules(): ShareRules {
    return this.current.rules;
  }

  /** Built on first use after each change: a pure function of the SDL. */
  catalog(): Catalog {
    this.current.catalog ??= buildCatalog(this.current.sdl);
    return this.current.catalog;
  }

  replace(sdl: string): void {
    this.current = { sdl, rules: ShareRules.fromSupergraph(sdl) };
  }
}

export interface ReloadOptions {
  live: LiveSupergraph;
  /** The SDL files as they are now (read every poll: five small files). */
  readSources: () => SubgraphSource[];
  /** The copy Apollo Gateway executes, made from the full supergraph (executableSupergraph and friends). */
  executable: (fullSupergraphSdl: string) => string;
  /** Poll interval; 0 = serve the first composition for good. */
  pollMs: number;
  logger: Logger;
  /** Told the sources each time a change composes (also one the supergraph does not show, such as @cacheControl). */
  onSources?: (sources: SubgraphSource[]) => void;
  /**
   * The sources the served supergraph was composed from: a file changed between that composition and
   * this reloader's first look is a change, not where the looks begin (it was never served).
   */
  servedSources?: SubgraphSource[];
}

export type ReloadOutcome =
  | { kind: 'UNCHANGED' }
  /** A file changed since the last look: taken once it reads the same at the next. */
  | { kind: 'SETTLING' }
  | { kind: 'UPDATED'; sdl: string }
  | { kind: 'FAILED'; problems: string[] };

/**
 * Looks at the SDL files once: recomposes when a file's text changed and has stayed so since the
 * last look, and when the result differs makes it the served supergraph. A composition that fails
 * is logged and the old supergraph stays in service. `check` is what the poll timer calls; tests
 * call it directly.
 *
 * A change is taken only once two looks in a row read it alike. A file read while a deploy tool
 * writes it in place holds only its first part, and that part can compose: a department's SDL cut
 * after a type is a smaller, valid schema, which would have been served until the next poll, every
 * query for the rest of it refused meanwhile.
 */
export function supergraphReloader({ live, readSources, executable, logger, onSources, servedSources }: Omit<ReloadOptions, 'pollMs'>) {
  let update: ((executableSdl: string) => void) | undefined;
  const fingerprint = (sources: SubgraphSource[]) => JSON.stringify(sources);
  // Composition costs real CPU: only when a file's text has changed since the last look.
  let seen = servedSources ? fingerprint(servedSources) : (safely(() => fingerprint(readSources())) ?? '');
  /** The files as the last look read them, when that differed from what is served. */
  let changing: string | undefined;

  function check(): ReloadOutcome {
    // A file that cannot be read (removed before its new text is written) settles like a change.
    let read: { sources: SubgraphSource[] } | { error: unknown };
    try {
      read = { sources: readSources() };
    } catch (error) {
      read = { error };
    }
    const now = 'sources' in read ? fingerprint(read.sources) : `unreadable: ${(read.error as Error).message}`;
    if (now === seen) {
      changing = undefined;
      return { kind: 'UNCHANGED' };
    }
    if (now !== changing) {
      changing = now;
      return { kind: 'SETTLING' };
    }
    seen = now;
    changing = undefined;
    let sdl: string;
    try {
      if (!('sources' in read)) throw read.error;
      sdl = composeSupergraph(read.sources);
    } catch (e) {
      const problems = e instanceof CompositionError ? e.problems : [(e as Error).message];
      // Logged once per change (the same files are not composed again at the next poll), even where
      // the problems read as before: another department's valid change, held up by a broken file, says so.
      logger.error({ problems }, 'the changed subgraph schemas do not compose: still serving the previous supergraph');
      return { kind: 'FAILED', problems };
    }
    const { sources } = read;
    onSources?.(sources);
    if (sdl === live.sdl()) return { kind: 'UNCHANGED' };
    const previous = live.sdl();
    // Rules first: a field that just became conditional is never served under the old, looser rule.
    live.replace(sdl);
    try {
      update?.(executable(sdl));
    } catch (e) {
      live.replace(previous);
      logger.error({ err: e }, 'the gateway refused the new supergraph: still serving the previous one');
      return { kind: 'FAILED', problems: [(e as Error).message] };
    }
    logger.info({ catalogVersion: live.catalog().version }, 'serving a new supergraph: a subgraph schema changed');
    return { kind: 'UPDATED', sdl };
  }

  return {
    check,
    /** Called by Apollo Gateway when it loads: from then on `check` updates it. */
    attach(gatewayUpdate: (executableSdl: string) => void) {
      update = gatewayUpdate;
    },
  };
}

/**
 * Apollo Gateway's `supergraphSdl` hook: serves the live supergraph and, every `pollMs`, runs the
 * reloader, so a changed SDL file is served without a restart. Apollo Gateway swaps its schema
 * atomically, and a request already running keeps the plan it started with.
 *
 * Polling reads five small files: cheaper and more dependable than fs.watch, which misses the
 * rename-into-place that editors and deploy tools use.
 */
export function reloadingSupergraph(options: ReloadOptions): SupergraphSdlHook {
  const reloader = supergraphReloader(options);
  return async ({ update }) => {
    reloader.attach(update);
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const schedule = () => {
      timer = setTimeout(() => {
        if (stopped) return;
        reloader.check();
        schedule();
      }, options.pollMs);
      timer.unref();
    };
    if (options.pollMs > 0) schedule();
    return {
      supergraphSdl: options.executable(options.live.sdl()),
      cleanup: async () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  };
}

function safely<T>(work: () => T): T | undefined {
  try {
    return work();
  } catch {
    return undefined;
  }
}

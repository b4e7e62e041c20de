import prand, { RandomGenerator } from 'pure-rand';

/**
 * Deterministic dice: `dice(seed, 'person', i)` always rolls the same numbers, so every department
 * can derive the same facts about record i without reading another department's store, and a
 * record can be generated alone (random access keeps seeding a million rows streaming).
 */
export class Dice {
  private readonly rng: RandomGenerator;

  constructor(seed: number, stream: string, index: number) {
    this.rng = prand.xoroshiro128plus(mix(seed, stream, index));
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return prand.unsafeUniformIntDistribution(min, max, this.rng);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.int(0, 999_999) < p * 1_000_000;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  /** Picks by weight: `[[item, weight], ...]`. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let roll = this.int(0, total - 1);
    for (const [item, w] of items) {
      if (roll < w) return item;
      roll -= w;
    }
    return items[items.length - 1][0];
  }
}

export function dice(seed: number, stream: string, index: number): Dice {
  return new Dice(seed, stream, index);
}

/** FNV-1a over the stream name, mixed with seed and index into a 32-bit seed. */
function mix(seed: number, stream: string, index: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (const c of `${stream}:${index}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return (h ^ Math.imul(index, 0x9e3779b1)) | 0;
}

/** ISO date `days` after 1970-01-01. */
export function isoDay(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

export function dayNumber(iso: string): number {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
}

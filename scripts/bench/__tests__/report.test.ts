import type { Burst } from '../load';
import { OPERATIONS } from '../operations';
import { buildReport, consoleReport, figuresOf } from '../report';
import { TARGETS } from '../targets';

const burstOf = (ok: number, cpuSeconds: number, stackCpuSeconds?: number): Burst => ({
  ok, failed: 0, seconds: 10, latencies: Array.from({ length: ok }, (_, i) => i + 1), peakBytes: 0, cpuSeconds, stackCpuSeconds,
});

describe('figures of a target’s bursts', () => {
  it('gives the target’s own CPU and the whole stack’s CPU per good answer, over all rounds', () => {
    const f = figuresOf([burstOf(1_000, 1, 3), burstOf(3_000, 2, 5)]);
    expect(f.cpuMsPerAnswer).toBeCloseTo(0.75);
    expect(f.stackCpuMsPerAnswer).toBeCloseTo(2);
    expect(f.rps).toBeCloseTo(200);
  });

  it('splits the stack’s CPU per answer by part', () => {
    const f = figuresOf([
      { ...burstOf(1_000, 1, 3), stackCpuSecondsByPart: { target: 1, persons: 0.5, mariadb: 1.5 } },
      { ...burstOf(1_000, 1, 3), stackCpuSecondsByPart: { target: 1, persons: 1.5, mariadb: 0.5 } },
    ]);
    expect(f.stackCpuMsByPart).toEqual({ target: 1, persons: 1, mariadb: 1 });
  });

  it('keeps each burst’s own p99 beside the pooled one, in the order run', () => {
    // Response times 1…1,000 ms, then 1…3,000 ms: pooled, the second burst's tail sets the p99.
    const f = figuresOf([burstOf(1_000, 1, 3), burstOf(3_000, 2, 5)]);
    expect(f.p99ByBurst).toEqual([990, 2_970]);
    expect(f.p99).toBe(2_960);
  });

  it('does not guess the stack’s CPU when a burst was not measured whole', () => {
    expect(figuresOf([burstOf(1_000, 1, 3), burstOf(1_000, 1)]).stackCpuMsPerAnswer).toBeNaN();
    expect(figuresOf([burstOf(0, 0, 0)]).stackCpuMsPerAnswer).toBeNaN();
  });
});

describe('the ratios printed', () => {
  const info = {
    date: '2026-12-06T00:00:00Z', machine: { cpu: 'test', cores: 2, memoryGiB: 1, os: 'test', loadAverage: [0, 0, 0] }, node: 'v20', revision: 'test',
    database: 'test', scale: 1, plan: { persons: 1, legalPersons: 1, parcels: 1, projects: 1, seed: 1 }, seed: 'reused' as const,
    settings: { rounds: 1, duration: 10, warmup: 0, connections: 1 }, authentication: 'test', versions: {}, minutes: 1,
  };
  const agreed = { ok: true, label: 'same', measurable: true, note: '' };
  const review = OPERATIONS.find((o) => o.id === 'review')!;
  const target = (id: string) => TARGETS.find((t) => t.id === id)!;

  it('compare OneSource only with targets that answered what it answered', () => {
    const measurements = [
      { target: target('onesource'), operation: review, agreement: agreed, bursts: [burstOf(1_000, 1, 3)] },
      { target: target('hive'), operation: review, agreement: agreed, bursts: [burstOf(500, 1, 3)] },
      // The direct baseline answered other data: faster, and beside the point.
      { target: target('direct'), operation: review, agreement: { ok: false, label: 'DIFFERENT', measurable: true, note: '' }, bursts: [burstOf(4_000, 1, 3)] },
    ];
    const printed = consoleReport(buildReport(info, [review], [target('onesource'), target('hive'), target('direct')], measurements, new Map()));
    const ratios = printed.split('\n').find((line) => line.startsWith(review.title) && line.includes('×'))!;
    expect(ratios).toMatch(/2\.00×/);
    expect(ratios).not.toMatch(/0\.25×/);
    expect(printed).not.toMatch(/≥ 40% of the direct baseline: 25/);
  });

  it('print each burst’s p99 for the targets measured', () => {
    const bursts = [burstOf(1_000, 1, 3), burstOf(2_000, 1, 3)];
    const measurements = [{ target: target('onesource'), operation: review, agreement: agreed, bursts }];
    const printed = consoleReport(buildReport(info, [review], [target('onesource')], measurements, new Map()));
    const section = printed.slice(printed.indexOf('p99 ms of each burst'));
    expect(section.split('\n').find((line) => line.startsWith(review.title))).toMatch(/OneSource\s+990\.0  1980\.0\s*$/);
  });
});

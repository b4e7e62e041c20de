import type { Burst } from '../load';
import { figuresOf } from '../report';

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

  it('does not guess the stack’s CPU when a burst was not measured whole', () => {
    expect(figuresOf([burstOf(1_000, 1, 3), burstOf(1_000, 1)]).stackCpuMsPerAnswer).toBeNaN();
    expect(figuresOf([burstOf(0, 0, 0)]).stackCpuMsPerAnswer).toBeNaN();
  });
});

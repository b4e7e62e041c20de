import { BoundedMemo } from '../bounded-memo';

describe('a bounded memo', () => {
  it('keeps at most its number of entries, the oldest dropped first', () => {
    const memo = new BoundedMemo<number>(2);
    let made = 0;
    const get = (key: string) => memo.get(key, () => ++made);
    expect([get('a'), get('b'), get('a'), get('c'), get('a')]).toEqual([1, 2, 1, 3, 4]);
  });

  it('keeps at most its characters of keys: long distinct operations push the oldest out, and one longer than all is not kept', () => {
    const memo = new BoundedMemo<number>(1000, 100);
    let made = 0;
    const get = (key: string) => memo.get(key, () => ++made);
    const long = (c: string) => c.repeat(40);
    expect([get(long('a')), get(long('b')), get(long('a'))]).toEqual([1, 2, 1]);
    // A third would pass 100 characters: the oldest goes.
    expect(get(long('c'))).toBe(3);
    expect(get(long('a'))).toBe(4);
    // Longer than the whole budget: made, not kept, and nothing else pushed out.
    expect([get('x'.repeat(101)), get('x'.repeat(101))]).toEqual([5, 6]);
    expect(get(long('a'))).toBe(4);
  });

  it('weighs an entry by the text its value keeps alive where that is more than its key (a parsed document keeps its source)', () => {
    const memo = new BoundedMemo<number>(1000, 100);
    let made = 0;
    const get = (key: string) => memo.get(key, () => ++made, 60);
    expect([get('h1'), get('h2'), get('h1')]).toEqual([1, 2, 3]);
  });
});

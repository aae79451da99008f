import { pickRandom } from '../../lib/engine/vocabulary/shuffle';

describe('pickRandom', () => {
  it('picks k distinct items, every item about equally often', () => {
    let s = 7;
    const random = () => (s = (s * 16807) % 2147483647) / 2147483647;
    const counts = new Array<number>(20).fill(0);
    for (let trial = 0; trial < 20_000; trial++) {
      const picked = pickRandom(
        Array.from({ length: 20 }, (_, i) => i),
        2,
        random,
      );
      expect(picked).toHaveLength(2);
      expect(picked[0]).not.toBe(picked[1]);
      for (const i of picked) counts[i]++;
    }
    // 2,000 expected each (2 of 20 in 20,000 trials); a binomial spread is about 42.
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(250);
  });

  it('returns all there are when k is larger, and none of an empty list', () => {
    expect(pickRandom([1, 2, 3], 10, Math.random).sort()).toEqual([1, 2, 3]);
    expect(pickRandom([], 2, Math.random)).toEqual([]);
  });
});

import { Introductions } from '../../lib/engine/liveness/introductions';

describe('Introductions: probes from addresses where no node is known', () => {
  it('vouch once, for the tag they named, within their memory', () => {
    const seen = new Introductions(3000, 100);
    seen.note('10.0.0.1:7946', 7, 1000);
    expect(seen.take('10.0.0.1:7946', 8, 1500)).toBe(false); // another id's tag: and it is used up
    expect(seen.take('10.0.0.1:7946', 7, 1500)).toBe(false);
    seen.note('10.0.0.1:7946', 7, 2000);
    expect(seen.take('10.0.0.2:7946', 7, 2000)).toBe(false);
    expect(seen.take('10.0.0.1:7946', 7, 5000)).toBe(true); // 3 s later: still in time
    expect(seen.take('10.0.0.1:7946', 7, 5000)).toBe(false); // once
    seen.note('10.0.0.1:7946', 7, 2000);
    expect(seen.take('10.0.0.1:7946', 7, 5001)).toBe(false); // too old
  });

  it('hold at most their capacity, dropping the oldest, and forget old ones on a sweep', () => {
    const seen = new Introductions(3000, 3);
    for (let i = 1; i <= 5; i++) seen.note(`10.0.0.${i}:7946`, i, 1000 + i);
    expect(seen.size).toBe(3);
    expect(seen.take('10.0.0.2:7946', 2, 1010)).toBe(false); // displaced by newer ones
    seen.note('10.0.0.3:7946', 3, 3000); // a newer probe from an address moves it to the end
    seen.sweep(4005); // 10.0.0.4 (at 1004) is over 3 s old; 10.0.0.5 (1005) just in time
    expect(seen.size).toBe(2);
    expect(seen.take('10.0.0.5:7946', 5, 4005)).toBe(true);
    expect(seen.take('10.0.0.3:7946', 3, 4005)).toBe(true);
  });
});

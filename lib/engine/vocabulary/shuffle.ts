/** Fisher-Yates on a copy. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Up to `k` distinct items chosen at random, reordering `items` in place
 * (pass a fresh array): the first `k` steps of Fisher-Yates, so picking 2
 * of 200 costs 2 draws, not a shuffle of all.
 */
export function pickRandom<T>(items: T[], k: number, random: () => number): T[] {
  const n = Math.min(k, items.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (items.length - i));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items.slice(0, n);
}

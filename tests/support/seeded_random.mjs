// A small seeded generator (mulberry32) for the randomized node tests: the
// same seed gives the same run, so a failure prints its seed and replays.

/** Returns a function giving numbers in [0, 1), determined by `seed`. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

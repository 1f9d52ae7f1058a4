let counter = 0;

/** A name no other test of this run and no earlier run has: the prefix, the clock and a counter (base 36). */
export const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

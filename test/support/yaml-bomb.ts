/**
 * A "billion laughs" YAML text: `levels` levels of `width` aliases each, every level aliasing the
 * one before (9^8 ≈ 43 million leaves at the defaults, from under 500 bytes).
 */
export function aliasBomb(levels = 8, width = 9): string {
  const lines = [`a0: &a0 [${Array(width).fill('lol').join(', ')}]`];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `a${i}: &a${i} [${Array(width)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return lines.join('\n') + '\n';
}

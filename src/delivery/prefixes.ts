/** The fixed folder a prefix starts with (`feed=weather/` of `feed=weather/year=!{…}/`), or ''. */
export function fixedFolder(prefix: string): string {
  const fixed = prefix.split('!{')[0];
  return fixed.slice(0, fixed.lastIndexOf('/') + 1);
}

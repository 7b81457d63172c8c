// Links into the web console that promdog hands out: an alert's generatorURL opens its rule's expression in Explore,
// and the console's Alerts and Rules pages link to Explore the same way. No imports: the console's browser bundle
// includes this file.

/** The console's URL fragment that opens `expr` in Explore (append it to promdog's URL and `/`). */
export function exploreFragment(expr: string): string {
  return `#/explore?expr=${encodeURIComponent(expr)}`;
}

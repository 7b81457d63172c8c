// Datadog names → Prometheus names. Only called when a series is first seen (the mapper caches the results).

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetterOrUnderscore(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Replaces every character outside `[a-zA-Z0-9_]` (plus `:` when `allowColon`) by `_`, one `_` per Unicode code
 * point, and prefixes a leading digit with `_`. Returns the input itself when nothing changes.
 */
function sanitize(name: string, allowColon: boolean): string {
  let clean = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isLetterOrUnderscore(c) || isDigit(c) || (allowColon && c === 58))) {
      clean = false;
      break;
    }
  }
  if (clean) return name.length > 0 && isDigit(name.charCodeAt(0)) ? `_${name}` : name;
  let out = '';
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    out += isLetterOrUnderscore(c) || isDigit(c) || (allowColon && c === 58) ? ch : '_';
  }
  return isDigit(out.charCodeAt(0)) ? `_${out}` : out;
}

/** `system.net.bytes_rcvd` → `system_net_bytes_rcvd`, `2xx.rate` → `_2xx_rate`. '' stays '' (an invalid name). */
export function sanitizeMetricName(name: string): string {
  return sanitize(name, true);
}

/** A tag key or resource type as a label name: `[a-zA-Z0-9_]`, leading digit prefixed; '' becomes `_`. */
export function sanitizeLabelName(name: string): string {
  return name.length === 0 ? '_' : sanitize(name, false);
}

/** The value a tag without a value gets (`production`, and `key:` which Datadog treats as a mistyped bare tag). */
export const BARE_TAG_VALUE = 'true';

/** A Datadog tag's key: the tag up to its first `:`, or the whole tag when it has none. */
export function tagKey(tag: string): string {
  const colon = tag.indexOf(':');
  return colon < 0 ? tag : tag.slice(0, colon);
}

/** A Datadog tag's value: after its first `:`, not altered; a tag with no value gets {@link BARE_TAG_VALUE}. */
export function tagValue(tag: string): string {
  const colon = tag.indexOf(':');
  return colon < 0 || colon === tag.length - 1 ? BARE_TAG_VALUE : tag.slice(colon + 1);
}

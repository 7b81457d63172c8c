// Go's escapers: text/template's HTMLEscapeString and JSEscapeString, net/url's QueryEscape.
import { isPrint } from './strconv.js';
import { utf8Bytes } from './values.js';

const HTML_ESCAPES: Record<string, string> = {
  '\0': '\uFFFD',
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};

/** text/template's `html`: the five HTML specials as entities (quotes numerically), NUL as U+FFFD. */
export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => HTML_ESCAPES[c]!);
}

const JS_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '<': '\\u003C',
  '>': '\\u003E',
  '&': '\\u0026',
  '=': '\\u003D',
};

/** text/template's `js`: quotes, backslash, `<>&=` and control characters escaped; non-printable runes as \uXXXX. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const special = JS_ESCAPES[ch];
    if (special !== undefined) out += special;
    else if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp < 0x80 || isPrint(cp)) out += ch;
    else out += `\\u${(cp >= 0xd800 && cp < 0xe000 ? 0xfffd : cp).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

/** net/url.QueryEscape: everything but letters, digits and `-_.~` as %XX of its UTF-8 bytes; space as `+`. */
export function queryEscape(s: string): string {
  if (/^[A-Za-z0-9\-_.~]*$/.test(s)) return s;
  let out = '';
  for (const b of utf8Bytes(s)) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      '-_.~'.includes(String.fromCharCode(b));
    if (unreserved) out += String.fromCharCode(b);
    else if (b === 0x20) out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

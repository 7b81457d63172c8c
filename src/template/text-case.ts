// Case mappings as Prometheus' template functions do them: toUpper and toLower are Go's strings.ToUpper/ToLower
// (Unicode's simple, one-to-one mappings), title is golang.org/x/text's cases.Title(language.AmericanEnglish,
// cases.NoLower): the first cased letter of each word title-cased, the rest left alone, words broken with x/text's
// approximation of Unicode word breaking.
import { isAscii } from './values.js';

/** A one-code-point mapping, or the code point itself where Unicode's mapping is not one-to-one. */
function mapEach(s: string, map: (ch: string) => string, special: ReadonlyMap<number, string>): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const fixed = special.get(cp);
    if (fixed !== undefined) {
      out += fixed;
      continue;
    }
    const m = map(ch);
    out += m.length === ch.length || [...m].length === 1 ? m : ch;
  }
  return out;
}

/** Greek letters with iota subscript upper-case to one letter with prosgegrammeni in the simple mapping. */
const UPPER_SPECIAL = new Map<number, string>([
  ...[0x1f80, 0x1f90, 0x1fa0].flatMap((base) =>
    Array.from({ length: 8 }, (_, i): [number, string] => [base + i, String.fromCodePoint(base + i + 8)]),
  ),
  [0x1fb3, '\u1fbc'],
  [0x1fc3, '\u1fcc'],
  [0x1ff3, '\u1ffc'],
]);
/** İ lowers to i in Unicode's simple mapping (the full one adds a combining dot). */
const LOWER_SPECIAL = new Map([[0x130, 'i']]);

/** strings.ToUpper */
export function toUpper(s: string): string {
  return isAscii(s) ? s.toUpperCase() : mapEach(s, (c) => c.toUpperCase(), UPPER_SPECIAL);
}

/** strings.ToLower */
export function toLower(s: string): string {
  return isAscii(s) ? s.toLowerCase() : mapEach(s, (c) => c.toLowerCase(), LOWER_SPECIAL);
}

/** Title case forms that are not the upper case: the Latin digraphs, Greek with iota subscript, ŉ. */
const TITLE_SPECIAL = new Map<number, string>([
  [0x1c4, '\u01c5'],
  [0x1c5, '\u01c5'],
  [0x1c6, '\u01c5'],
  [0x1c7, '\u01c8'],
  [0x1c8, '\u01c8'],
  [0x1c9, '\u01c8'],
  [0x1ca, '\u01cb'],
  [0x1cb, '\u01cb'],
  [0x1cc, '\u01cb'],
  [0x1f1, '\u01f2'],
  [0x1f2, '\u01f2'],
  [0x1f3, '\u01f2'],
  [0x149, '\u02bcN'],
  ...UPPER_SPECIAL,
]);

function titleOf(ch: string): string {
  const cp = ch.codePointAt(0)!;
  const special = TITLE_SPECIAL.get(cp);
  if (special !== undefined) return special;
  if (cp >= 0x10d0 && cp <= 0x10ff) return ch; // Georgian letters are their own title case (not Mtavruli)
  const upper = ch.toUpperCase();
  const cps = [...upper];
  // Ligatures title-case as their first letter upper and the rest lower (ß → Ss, ﬁ → Fi).
  return cps.length === 1 ? upper : cps[0]! + cps.slice(1).join('').toLowerCase();
}

const CASED = /\p{Cased}/u;
/** Word_Break MidLetter, MidNumLet and Single_Quote: inside a word between letters, a break when doubled. */
const MID = /['.:\u00b7\u0387\u055f\u05f4\u2018\u2019\u2024\u2027\ufe13\ufe52\ufe55\uff07\uff0e\uff1a]/u;
/**
 * Runes that never break a word: letters, digits, marks, format characters, connectors; but not ideographs and kana,
 * nor the letters of the scripts written without spaces (Thai, Lao, Khmer…), which Unicode breaks apart.
 */
const WORD = new RegExp(
  '^(?![\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}]|(?=\\p{L})[' +
    ['Thai', 'Lao', 'Myanmar', 'Khmer', 'Tai_Le', 'New_Tai_Lue', 'Tai_Tham', 'Tai_Viet', 'Ahom']
      .map((script) => `\\p{Script=${script}}`)
      .join('') +
    '])[\\p{L}\\p{Nd}\\p{M}\\p{Cf}\\p{Pc}\\u202f]$',
  'u',
);

/** cases.Title(language.AmericanEnglish, cases.NoLower).String */
export function title(s: string): string {
  let out = '';
  let midWord = false;
  let wasMid = false;
  for (const ch of s) {
    const mid = MID.test(ch);
    if (wasMid && mid) midWord = false;
    if (CASED.test(ch)) {
      if (!midWord) {
        out += titleOf(ch);
        midWord = true;
      } else out += ch;
    } else {
      out += ch;
      if (!mid && !WORD.test(ch)) midWord = false;
    }
    wasMid = mid;
  }
  return out;
}

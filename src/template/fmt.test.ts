import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sprint, sprintf, sprintln } from './fmt.js';
import { StringMap, type Value } from './values.js';

// fmt.Sprintf outputs of Go 1.19 for the same format and arguments (bigint stands for Go's int, number for float64,
// undefined for nil). Floats: shortest representation for %v (exponent from 1e+21 on and below 1e-4, as %g), fixed
// precisions rounding the exact binary value half to even.
const CASES: Array<[string, Value[], string]> = [
  ['%v', [1000000], '1e+06'],
  ['%v', [1e21], '1e+21'],
  ['%v', [123456], '123456'],
  ['%v', [0.0001], '0.0001'],
  ['%v', [0.00001], '1e-05'],
  ['%v', [-0], '-0'],
  ['%v', [5e-324], '5e-324'],
  ['%v', [1.7976931348623157e308], '1.7976931348623157e+308'],
  ['%v', [0.30000000000000004], '0.30000000000000004'],
  ['%v', [0.3333333333333333], '0.3333333333333333'],
  ['%g', [100000], '100000'],
  ['%g', [1000000], '1e+06'],
  ['%G', [1e-7], '1E-07'],
  ['%.3g', [1234.5], '1.23e+03'],
  ['%.3g', [0.00012345], '0.000123'],
  ['%.1g', [0.95], '0.9'],
  ['%.0g', [0.5], '0.5'],
  ['%.10g', [0.3333333333333333], '0.3333333333'],
  ['%e', [0], '0.000000e+00'],
  ['%e', [1234.5678], '1.234568e+03'],
  ['%.2e', [1.005], '1.00e+00'],
  ['%.0e', [2.5], '2e+00'],
  ['%.0e', [3.5], '4e+00'],
  ['%E', [-1e-300], '-1.000000E-300'],
  ['%f', [0], '0.000000'],
  ['%f', [100000000000000000000], '100000000000000000000.000000'],
  ['%.2f', [1.005], '1.00'],
  ['%.2f', [0.125], '0.12'],
  ['%.2f', [0.375], '0.38'],
  ['%.1f', [0.05], '0.1'],
  ['%.0f', [0.5], '0'],
  ['%.0f', [1.5], '2'],
  ['%.3f', [-0.0005], '-0.001'],
  ['%F', [2.25], '2.250000'],
  ['%.20f', [0.1], '0.10000000000000000555'],
  [
    '%8.2f|%-8.2f|%+.1f|% .1f|%08.2f|%+08.2f',
    [3.14158, 3.14158, 2, 2, -3.14158, 3.14158],
    '    3.14|3.14    |+2.0| 2.0|-0003.14|+0003.14',
  ],
  ['%v %v %v', [Infinity, -Infinity, NaN], '+Inf -Inf NaN'],
  ['%5.1f|%-6v|%+v|% v|%05v', [NaN, Infinity, NaN, NaN, -Infinity], '  NaN|+Inf  |NaN| NaN| -Inf'],
  [
    '%d %5d %-5d| %05d %+d %x %#o %b',
    [42n, -42n, 42n, -42n, 0n, -255n, 8n, 10n],
    '42   -42 42   | -0042 +0 -ff 010 1010',
  ],
  ['%.0d|%.3d|%8.3d', [0n, 7n, -7n], '|007|    -007'],
  ['%c%c %q %U %#U', [72n, 105n, 128512n, 128512n, 9786n], "Hi '😀' U+1F600 U+263A '☺'"],
  [
    '%s|%10s|%-10s|%.2s|%q|%+q|%#q|%x|% X',
    ['héllo', 'héllo', 'héllo', 'héllo', 'tab\there', 'héllo', 'back`tick', 'hi', 'hi'],
    'héllo|     héllo|héllo     |hé|"tab\\there"|"h\\u00e9llo"|"back`tick"|6869|68 69',
  ],
  ['%t %v %d', [true, false, true], 'true false %!d(bool=true)'],
  ['%d%%', [50n], '50%'],
  ['%s %d', ['only'], 'only %!d(MISSING)'],
  ['%d', [1n, 2n, 'x'], '1%!(EXTRA int=2, string=x)'],
  ['%!', [], '%!!(MISSING)'],
  ['%-', [1n], '%!(NOVERB)%!(EXTRA int=1)'],
  ['%[2]s %[1]s %s', ['a', 'b'], 'b a b'],
  ['%[0]d', [1n], '%!d(BADINDEX)'],
  ['%*s|%-*s|', [6n, 'ab', 6n, 'ab'], '    ab|ab    |'],
  ['%.*f', [1n, 2.25], '2.2'],
  ['%T %T %T %T', [1.5, 1n, 'x', true], 'float64 int string bool'],
  [
    '%x|%X|%b|%.2x|%#x|%.0x',
    [10, 1e-300, 10, 0.3333333333333333, 0.5, 1.5],
    '0x1.4p+03|0X1.56E1FC2F8F359P-997|5629499534213120p-49|0x1.55p-02|0x1.0000p-01|0x1p+01',
  ],
  ['%#v|%#g|%#.3e|%#f|%#.0f|%#8.3g', [1, 100000, 2, 1, 3, 0.5], '1|100000.|2.000e+00|1.000000|3.|   0.500'],
  ['%v %s', [undefined, undefined], '<nil> %!s(<nil>)'],
];

test('Sprintf formats as Go', () => {
  for (const [format, args, expected] of CASES) assert.equal(sprintf(format, args), expected, `${format} ${args}`);
});

test('maps print in key order, byte-wise', () => {
  const m = new StringMap({ b: '2', a: 'x y', é: '3', Z: '' });
  assert.equal(sprintf('%v', [m]), 'map[Z: a:x y b:2 é:3]');
  assert.equal(sprintf('%q', [m]), 'map["Z":"" "a":"x y" "b":"2" "é":"3"]');
  assert.equal(sprintf('%#v', [m]), 'map[string]string{"Z":"", "a":"x y", "b":"2", "é":"3"}');
});

test('Sprint spaces operands when neither is a string, Sprintln always', () => {
  assert.equal(sprint([1n, 2n, 'a', 'b', 3.5, true, undefined]), '1 2ab3.5 true <nil>');
  assert.equal(sprintln([1n, 2n, 'a', 'b', 3.5, true, undefined]), '1 2 a b 3.5 true <nil>\n');
});

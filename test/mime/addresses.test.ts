import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAddresses } from '../../lib/mime/addresses.js';

test('names decoded, groups flattened, a name alone has an empty address', () => {
  assert.equal(
    parseAddresses('=?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@example.jp>, Team: a@x.example, b@y.example;, Nobody'),
    [
      { address: 'taro@example.jp', name: '山田 太郎' },
      { address: 'a@x.example', name: '' },
      { address: 'b@y.example', name: '' },
      { address: '', name: 'Nobody' },
    ],
  );
  assert.equal(parseAddresses('undisclosed-recipients:;'), []);
  assert.equal(parseAddresses(''), []);
});

test('an encoded word in the address: kept only when it decodes to a plain mailbox', () => {
  assert.equal(parseAddresses('CEO <=?utf-8?q?ceo?=@bank.example>'), [{ address: 'ceo@bank.example', name: 'CEO' }]);
  assert.equal(parseAddresses('<=?utf-8?q?a_b?=@c.example>'), [{ address: '', name: '' }]);
});

test('punycode domains in Unicode', () => {
  assert.is(parseAddresses('x@xn--r8jz45g.jp')[0]?.address, 'x@例え.jp');
});

test.run();

// SASLprep (RFC 4013) as far as passwords typed in a browser need it: map non-ASCII spaces to
// space, drop characters mapped to nothing, NFKC; refuse prohibited characters. Matches the
// server's preparation for every password it can store.
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
const PROHIBITED = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\uE000-\uF8FF\uFFF9-\uFFFD\uFDD0-\uFDEF]/;

export function saslPrep(value: string): string {
  const prepared = value.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '').normalize('NFKC');
  if (PROHIBITED.test(prepared)) throw new Error('the password contains a character SASLprep prohibits');
  return prepared;
}

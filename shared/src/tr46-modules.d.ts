// tr46's generated Unicode regexes (tr46/lib/regexes.js, pinned in package.json), used by
// precis.ts for the Bidi Rule (RFC 5893 §2) and the CONTEXTJ rules (RFC 5892 Appendix A).
declare module 'tr46/lib/regexes.js' {
  const regexes: {
    combiningMarks: RegExp;
    combiningClassVirama: RegExp;
    validZWNJ: RegExp;
    bidiDomain: RegExp;
    bidiS1LTR: RegExp;
    bidiS1RTL: RegExp;
    bidiS2: RegExp;
    bidiS3: RegExp;
    bidiS4EN: RegExp;
    bidiS4AN: RegExp;
    bidiS5: RegExp;
    bidiS6: RegExp;
  };
  export default regexes;
}

// punycode.js 2 ships no types; shared/src/idna-web.ts uses its decoder.
declare module 'punycode/punycode.es6.js' {
  export function toUnicode(domain: string): string;
}

import { describe, expect, it } from 'vitest';
import type { Element } from 'ltx';
import { StreamParser, type ParserErrorCondition, type StreamParserOptions } from './xml-parser.ts';

type Event =
  | { type: 'start'; name: string; attrs: Record<string, string> }
  | { type: 'element'; xml: string; element: Element }
  | { type: 'end' }
  | { type: 'error'; condition: ParserErrorCondition; text: string };

function collector(options: StreamParserOptions = { mode: 'stream' }) {
  const events: Event[] = [];
  const parser = new StreamParser(
    {
      onStreamStart: (name, attrs) => events.push({ type: 'start', name, attrs }),
      onElement: (element) => events.push({ type: 'element', xml: element.toString(), element }),
      onStreamEnd: () => events.push({ type: 'end' }),
      onError: (condition, text) => events.push({ type: 'error', condition, text }),
    },
    options,
  );
  return { parser, events };
}

/** Parses `chunks` and returns a comparable summary of the events (elements serialized). */
function run(chunks: string[], options?: StreamParserOptions) {
  const { parser, events } = collector(options);
  for (const chunk of chunks) parser.write(chunk);
  return events.map((e): Omit<Event, 'element'> | { type: 'element'; xml: string } =>
    e.type === 'element' ? { type: 'element', xml: e.xml } : e,
  );
}

function errorOf(input: string | string[], options?: StreamParserOptions): ParserErrorCondition | undefined {
  const { parser, events } = collector(options);
  for (const chunk of typeof input === 'string' ? [input] : input) parser.write(chunk);
  const errors = events.flatMap((e) => (e.type === 'error' ? [e.condition] : []));
  expect(errors.length).toBeLessThanOrEqual(1);
  return errors[0];
}

function elements(input: string, options?: StreamParserOptions): Element[] {
  const { parser, events } = collector(options);
  parser.write(input);
  const error = events.find((e) => e.type === 'error');
  expect(error).toBeUndefined();
  return events.flatMap((e) => (e.type === 'element' ? [e.element] : []));
}

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
const S = HEADER; // for brevity in error tests

const STREAM =
  HEADER +
  '\n  ' +
  "<message to='bob@example.com' type='chat' id='a&amp;1'><body>Hi &lt;there&gt; &#x1F600;&#65; &quot;x&apos;</body></message>" +
  ' \n\t ' +
  "<iq type='get' id='2'><query xmlns='jabber:iq:roster' ver=\"v&#10;1\"/></iq>" +
  '<presence><status><![CDATA[<not> & markup]]]]><![CDATA[>]]></status></presence>' +
  '<stream:features><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>PLAIN</mechanism></mechanisms></stream:features>' +
  "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>" +
  "<message xml:lang='en'><body>line1\r\nline2\rline3</body><x xmlns:a='urn:a' a:attr='v'><a:y/></x></message>" +
  '  </stream:stream>  \n';

describe('StreamParser: stream mode', () => {
  const reference = run([STREAM]);

  it('parses a normal stream', () => {
    expect(reference).toEqual([
      {
        type: 'start',
        name: 'stream:stream',
        attrs: { xmlns: 'jabber:client', 'xmlns:stream': 'http://etherx.jabber.org/streams', to: 'example.com', version: '1.0' },
      },
      {
        type: 'element',
        xml: `<message to="bob@example.com" type="chat" id="a&amp;1" xmlns="jabber:client"><body>Hi &lt;there&gt; \u{1F600}A "x'</body></message>`,
      },
      {
        type: 'element',
        xml: '<iq type="get" id="2" xmlns="jabber:client"><query xmlns="jabber:iq:roster" ver="v\n1"/></iq>',
      },
      {
        type: 'element',
        xml: '<presence xmlns="jabber:client"><status>&lt;not&gt; &amp; markup]]&gt;</status></presence>',
      },
      {
        type: 'element',
        xml: '<stream:features xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams"><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>PLAIN</mechanism></mechanisms></stream:features>',
      },
      {
        type: 'element',
        xml: '<stream:error xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams"><not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>',
      },
      {
        type: 'element',
        xml: '<message xml:lang="en" xmlns="jabber:client"><body>line1\nline2\nline3</body><x xmlns:a="urn:a" a:attr="v"><a:y/></x></message>',
      },
      { type: 'end' },
    ]);
  });

  it('gives identical results when written one character at a time', () => {
    expect(run(STREAM.split(''))).toEqual(reference);
  });

  it('gives identical results for every two-way split', () => {
    for (let i = 1; i < STREAM.length; i++) {
      expect(run([STREAM.slice(0, i), STREAM.slice(i)])).toEqual(reference);
    }
  });

  it('gives identical results with random chunk sizes', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 200; round++) {
      const chunks: string[] = [];
      for (let pos = 0; pos < STREAM.length; ) {
        const size = 1 + Math.floor(random() * 40);
        chunks.push(STREAM.slice(pos, pos + size));
        pos += size;
      }
      expect(run(chunks)).toEqual(reference);
    }
  });

  it('builds a proper ltx tree', () => {
    const [message] = elements(HEADER + "<message><body>a</body><![CDATA[b]]>c<x/></message>");
    expect(message!.parent).toBeNull();
    expect(message!.getNS()).toBe('jabber:client');
    expect(message!.getChildText('body')).toBe('a');
    expect(message!.getChild('body')!.parent).toBe(message);
    expect(message!.getText()).toBe('bc');
    expect(message!.getChild('x')!.getNS()).toBe('jabber:client');
  });

  it('keeps an explicit xmlns and copies root prefixes used by descendants', () => {
    const [iq, features] = elements(
      HEADER + "<iq xmlns='jabber:server'/><features xmlns='x'><stream:x stream:a='1'/></features>",
    );
    expect(iq!.attrs).toEqual({ xmlns: 'jabber:server' });
    expect(features!.attrs).toEqual({ xmlns: 'x', 'xmlns:stream': 'http://etherx.jabber.org/streams' });
    expect(features!.getChild('x', 'http://etherx.jabber.org/streams')).toBeDefined();
  });

  it('accepts whitespace keepalives and an XML declaration only at the start', () => {
    expect(run(['  \n', HEADER, ' ', '\n', "\t<presence/>", ' \r\n '])).toEqual([
      expect.objectContaining({ type: 'start' }),
      { type: 'element', xml: '<presence xmlns="jabber:client"/>' },
    ]);
    expect(errorOf('<?xml version="1.0" encoding="UTF-8" standalone="yes" ?><stream:stream xmlns:stream="s">')).toBeUndefined();
    expect(errorOf(S + "<?xml version='1.0'?>")).toBe('restricted-xml');
  });

  it('treats the first element as the root whatever its name', () => {
    expect(run(['<foo xmlns="bar"><message/></foo>'])).toEqual([
      { type: 'start', name: 'foo', attrs: { xmlns: 'bar' } },
      { type: 'element', xml: '<message xmlns="bar"/>' },
      { type: 'end' },
    ]);
  });

  it('handles a self-closed root', () => {
    expect(run(['<stream:stream xmlns:stream="s"/>'])).toEqual([
      expect.objectContaining({ type: 'start' }),
      { type: 'end' },
    ]);
  });

  it('restarts after reset(), also from inside a callback', () => {
    const { parser, events } = collector();
    parser.write(HEADER + '<auth/><mess');
    parser.reset();
    parser.write(HEADER + '<message/>');
    expect(events.map((e) => e.type)).toEqual(['start', 'element', 'start', 'element']);

    // Pipelined restart: the handler resets on <success/>, the rest of the chunk is a new stream.
    const seen: string[] = [];
    const p2: StreamParser = new StreamParser(
      {
        onStreamStart: (name) => seen.push('start:' + name),
        onElement: (el) => {
          seen.push(el.name);
          if (el.name === 'success') p2.reset();
        },
        onStreamEnd: () => seen.push('end'),
        onError: (c) => seen.push('error:' + c),
      },
      { mode: 'stream' },
    );
    p2.write(HEADER + '<success/>' + HEADER + '<iq/>');
    expect(seen).toEqual(['start:stream:stream', 'success', 'start:stream:stream', 'iq']);
  });

  it('unescapes attribute values with normalization (XML 1.0 §3.3.3)', () => {
    const [el] = elements(S + "<x a='1\t2\r\n3&#9;4 &lt;&amp;&gt;' b=\"'\" c='\"'/>");
    expect(el!.attrs).toMatchObject({ a: '1 2 3\t4 <&>', b: "'", c: '"' });
  });

  it('handles attribute names that are Object.prototype properties', () => {
    const [el] = elements(S + "<x toString='1' __proto__='2' constructor='3'/>");
    expect(Object.keys(el!.attrs)).toEqual(['toString', '__proto__', 'constructor', 'xmlns']);
    expect(el!.attrs.toString).toBe('1');
  });
});

describe('StreamParser: split terminators', () => {
  it.each([']', ']]', 'a]]]', ']]]]', '?>', ']>', '] ]>'])('CDATA ending in %j, split anywhere', (content) => {
    const input = S + '<m><![CDATA[' + content + ']]></m>';
    const expected = [expect.objectContaining({ type: 'start' }), { type: 'element', xml: `<m xmlns="jabber:client">${content.replace(/>/g, '&gt;')}</m>` }];
    for (let i = 1; i < input.length; i++) expect(run([input.slice(0, i), input.slice(i)])).toEqual(expected);
    expect(run(input.split(''))).toEqual(expected);
  });

  it('XML declaration split anywhere', () => {
    const input = "<?xml version='1.0' encoding='UTF-8'??>";
    expect(errorOf(input)).toBe('not-well-formed');
    expect(errorOf(input.split(''))).toBe('not-well-formed');
  });

  it('stays linear for huge tokens arriving one character at a time', () => {
    const big = 'x'.repeat(200_000);
    for (const input of [`<m>${big}</m>`, `<m a='${big}'/>`, `<m><![CDATA[${big}]]></m>`, `<m>${'&amp;'.repeat(40_000)}</m>`]) {
      const { parser, events } = collector();
      parser.write(S);
      for (let i = 0; i < input.length; i++) parser.write(input[i]!);
      expect(events.map((e) => e.type)).toEqual(['start', 'element']);
    }
  });
});

describe('StreamParser: framed mode (RFC 7395)', () => {
  const framed: StreamParserOptions = { mode: 'framed' };

  it('emits every top-level element', () => {
    const input = [
      "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='x' version='1.0'/>",
      "<message xmlns='jabber:client' to='a@x'><body>hi</body></message>",
      " \n",
      "<?xml version='1.0'?><close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
    ];
    const expected = [
      { type: 'element', xml: '<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="x" version="1.0"/>' },
      { type: 'element', xml: '<message xmlns="jabber:client" to="a@x"><body>hi</body></message>' },
      { type: 'element', xml: '<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>' },
    ];
    expect(run(input, framed)).toEqual(expected);
    expect(run([...input.join('')], framed)).toEqual(expected);
  });

  it('writeFrame: one whole element per message, handed on only when the message is whole (RFC 7395 §3.3.3)', () => {
    const frames = (messages: string[]) => {
      const { parser, events } = collector(framed);
      for (const message of messages) parser.writeFrame(message);
      return events.map((e) => (e.type === 'element' ? e.xml : e.type === 'error' ? e.condition : e.type));
    };
    expect(frames(["<presence xmlns='jabber:client'/>", ' \n', "<?xml version='1.0'?><iq xmlns='jabber:client'/> "]))
      .toEqual(['<presence xmlns="jabber:client"/>', '<iq xmlns="jabber:client"/>']);
    expect(frames(["<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>"])).toEqual(['not-well-formed']);
    expect(frames(["<message xmlns='jabber:client'><body>to be", 'continued</body></message>'])).toEqual(['not-well-formed']);
    expect(frames(["<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to="])).toEqual(['not-well-formed']);
  });

  it('rejects top-level text and unbound prefixes', () => {
    expect(errorOf('<open/>hello', framed)).toBe('not-well-formed');
    expect(errorOf('<stream:error/>', framed)).toBe('not-well-formed');
    expect(errorOf('</open>', framed)).toBe('not-well-formed');
    expect(errorOf('<![CDATA[x]]>', framed)).toBe('not-well-formed');
  });
});

describe('StreamParser: errors', () => {
  const cases: [string, string, ParserErrorCondition][] = [
    ['comment', S + '<!-- hi -->', 'restricted-xml'],
    ['comment inside a stanza', S + '<message><!-- hi --></message>', 'restricted-xml'],
    ['processing instruction', S + '<message><?foo bar?></message>', 'restricted-xml'],
    ['PI before the root that is not the declaration', '<?xml-stylesheet href="a"?>', 'restricted-xml'],
    ['second XML declaration', "<?xml version='1.0'?><?xml version='1.0'?>", 'restricted-xml'],
    ['DOCTYPE', '<!DOCTYPE stream>', 'restricted-xml'],
    ['ENTITY', S + '<!ENTITY x "y">', 'restricted-xml'],
    ['other <!', S + '<message><![INCLUDE[x]]></message>', 'restricted-xml'],
    ['undeclared entity reference in text', S + '<message><body>&foo;</body></message>', 'restricted-xml'],
    ['undeclared entity reference in an attribute', S + "<message id='&nbsp;'/>", 'restricted-xml'],
    ['malformed XML declaration', "<?xml version='2.0'?>", 'not-well-formed'],
    ['mismatched end tag', S + '<message><body></message>', 'not-well-formed'],
    ['mismatched root end tag', S + '</stream:foo>', 'not-well-formed'],
    ['end tag with nothing open', '</stream:stream>', 'not-well-formed'],
    ['< inside an attribute value', S + "<message id='a<b'/>", 'not-well-formed'],
    ['bare & in text', S + '<message><body>a & b</body></message>', 'not-well-formed'],
    ['bare & in an attribute', S + "<message id='a & b;'/>", 'not-well-formed'],
    ['unterminated reference', S + '<message><body>&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</body></message>', 'not-well-formed'],
    ['char ref to NUL', S + '<message><body>&#0;</body></message>', 'not-well-formed'],
    ['char ref to a surrogate', S + '<message><body>&#xD800;</body></message>', 'not-well-formed'],
    ['char ref beyond U+10FFFF', S + '<message><body>&#x110000;</body></message>', 'not-well-formed'],
    ['char ref to a control char', S + "<message id='&#x1B;'/>", 'not-well-formed'],
    ['malformed char ref', S + '<message><body>&#x;</body></message>', 'not-well-formed'],
    ['duplicate attribute', S + "<message id='1' id='2'/>", 'not-well-formed'],
    ['attribute without value', S + '<message id/>', 'not-well-formed'],
    ['attribute without quotes', S + '<message id=1/>', 'not-well-formed'],
    ['attributes without whitespace between', S + "<message a='1'b='2'/>", 'not-well-formed'],
    ['name starting with a digit', S + '<1message/>', 'not-well-formed'],
    ['attribute name starting with -', S + "<message -a='1'/>", 'not-well-formed'],
    ['illegal character in a name', S + '<mess@ge/>', 'not-well-formed'],
    ['space after <', S + '< message/>', 'not-well-formed'],
    ['raw control character in text', S + '<message><body>a\u0001b</body></message>', 'not-well-formed'],
    ['raw control character in an attribute', S + "<message id='a\u001fb'/>", 'not-well-formed'],
    ['raw NUL between stanzas', S + '\u0000', 'not-well-formed'],
    [']]> in text', S + '<message><body>a]]>b</body></message>', 'not-well-formed'],
    ['data after the root closed', S + '</stream:stream><message/>', 'not-well-formed'],
    ['text after the root closed', S + '</stream:stream>x', 'not-well-formed'],
    ['text between stanzas', S + '<message/>hello', 'not-well-formed'],
    ['text before the root', 'hello', 'not-well-formed'],
    ['unbound prefix', S + '<message><foo:bar/></message>', 'not-well-formed'],
    ['unbound attribute prefix', S + "<message foo:bar='1'/>", 'not-well-formed'],
    ['malformed qualified name', S + '<message><a:b:c xmlns:a="x"/></message>', 'not-well-formed'],
    ['empty prefix declaration', S + '<message xmlns:a=""/>', 'not-well-formed'],
    ['rebinding xml prefix', S + '<message xmlns:xml="urn:x"/>', 'not-well-formed'],
    ['/ not followed by >', S + '<message/ >', 'not-well-formed'],
  ];

  for (const [label, input, condition] of cases) {
    it(`${label} → ${condition}`, () => {
      expect(errorOf(input)).toBe(condition);
      // Same result when the input arrives one character at a time.
      expect(errorOf([...input])).toBe(condition);
    });
  }

  it('reports once and ignores further input until reset()', () => {
    const { parser, events } = collector();
    parser.write(S + '<message><!-- x --></message><iq/>');
    parser.write('<iq/></stream:stream>');
    parser.write('<!DOCTYPE x>');
    expect(events.map((e) => e.type)).toEqual(['start', 'error']);
    parser.reset();
    parser.write(S + '<iq/>');
    expect(events.map((e) => e.type)).toEqual(['start', 'error', 'start', 'element']);
  });
});

describe('StreamParser: limits', () => {
  const opts: StreamParserOptions = { mode: 'stream', maxElementSize: 1000 };

  it('accepts an element of exactly the maximum size', () => {
    const el = "<message><body>" + 'x'.repeat(1000 - 32) + '</body></message>';
    expect(el.length).toBe(1000);
    expect(run([S, el], opts).at(-1)).toEqual({ type: 'element', xml: el.replace('<message>', '<message xmlns="jabber:client">') });
  });

  it('rejects one huge text', () => {
    expect(errorOf([S, '<message><body>' + 'x'.repeat(2000) + '</body></message>'], opts)).toBe('policy-violation');
  });

  it('rejects a huge attribute value arriving in small chunks before it is complete', () => {
    const { parser, events } = collector(opts);
    parser.write(S + "<message id='");
    let written = 0;
    while (events.every((e) => e.type !== 'error') && written < 100_000) {
      parser.write('a'.repeat(50));
      written += 50;
    }
    expect(events.at(-1)).toMatchObject({ type: 'error', condition: 'policy-violation' });
    expect(written).toBeLessThanOrEqual(1000);
  });

  it('rejects a never-ending element name / tag', () => {
    const { parser, events } = collector(opts);
    parser.write(S + '<m');
    for (let i = 0; i < 100 && events.at(-1)?.type !== 'error'; i++) parser.write('e'.repeat(100));
    expect(events.at(-1)).toMatchObject({ type: 'error', condition: 'policy-violation' });
  });

  it('rejects a huge stream header', () => {
    const { parser, events } = collector();
    parser.write("<stream:stream xmlns:stream='s' to='");
    for (let i = 0; i < 100 && events.at(-1)?.type !== 'error'; i++) parser.write('e'.repeat(1000));
    expect(events).toEqual([expect.objectContaining({ type: 'error', condition: 'policy-violation' })]);
  });

  it('counts the size from the element start across many small children', () => {
    const children = '<x>y</x>'.repeat(200);
    expect(errorOf([S, '<message>', ...children.match(/.{1,7}/g)!, '</message>'], opts)).toBe('policy-violation');
  });

  it('does not count whitespace between stanzas', () => {
    const input = [S, ...Array.from({ length: 50 }, () => '<message/>' + ' '.repeat(100))];
    expect(errorOf(input, opts)).toBeUndefined();
  });

  it('limits the nesting depth to 64', () => {
    const nest = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    expect(errorOf(S + nest(64))).toBeUndefined();
    expect(errorOf(S + nest(65))).toBe('policy-violation');
    expect(errorOf(nest(64), { mode: 'framed' })).toBeUndefined();
    expect(errorOf(nest(65), { mode: 'framed' })).toBe('policy-violation');
  });
});

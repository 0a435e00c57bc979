// XEP-0115 §5.2 and §5.3: the examples' verification strings.
import { expect, it } from 'vitest';
import { xml } from '@parley/shared';
import { verificationString } from './verification.ts';

const NS_INFO = 'http://jabber.org/protocol/disco#info';

it('§5.2 simple example: QgayPKawpkPSDYmwT/WM94uAlu0=', () => {
  const query = xml('query', { xmlns: NS_INFO },
    xml('identity', { category: 'client', type: 'pc', name: 'Exodus 0.9.1' }),
    ...['http://jabber.org/protocol/caps', 'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items',
      'http://jabber.org/protocol/muc'].map((v) => xml('feature', { var: v })));
  expect(verificationString(query, 'sha-1')).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
});

it('§5.3 complex example (identities in two languages, an extended form): q07IKJEyjvHSyhy//CH0CxmKi8w=', () => {
  const field = (name: string, ...values: string[]) => xml('field', { var: name }, ...values.map((v) => xml('value', {}, v)));
  const query = xml('query', { xmlns: NS_INFO },
    xml('identity', { 'xml:lang': 'en', category: 'client', name: 'Psi 0.11', type: 'pc' }),
    xml('identity', { 'xml:lang': 'el', category: 'client', name: 'Ψ 0.11', type: 'pc' }),
    ...['http://jabber.org/protocol/caps', 'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items',
      'http://jabber.org/protocol/muc'].map((v) => xml('feature', { var: v })),
    xml('x', { xmlns: 'jabber:x:data', type: 'result' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'urn:xmpp:dataforms:softwareinfo')),
      field('ip_version', 'ipv4', 'ipv6'), field('os', 'Mac'), field('os_version', '10.5.1'), field('software', 'Psi'),
      field('software_version', '0.11')));
  expect(verificationString(query, 'sha-1')).toBe('q07IKJEyjvHSyhy//CH0CxmKi8w=');
});

it('§5.4.3.3: a result with a feature twice stands for no verification string', () => {
  const query = xml('query', { xmlns: NS_INFO }, xml('identity', { category: 'client', type: 'pc' }),
    xml('feature', { var: 'urn:x' }), xml('feature', { var: 'urn:x' }));
  expect(verificationString(query, 'sha-1')).toBeNull();
  expect(verificationString(query, 'md5')).toBeNull();
});

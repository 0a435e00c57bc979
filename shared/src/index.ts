export * from './namespaces.ts';
export * from './jid.ts';
export * from './xml.ts';
export * from './errors.ts';
export * from './stanza.ts';
export * from './xml-parser.ts';

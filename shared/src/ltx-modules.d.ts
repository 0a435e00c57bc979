// ltx's element and escape modules, imported directly so that browsers do not load ltx's
// parser (which needs Node's 'events'). Types come from @types/ltx.
declare module 'ltx/src/Element.js' {
  import { Element } from 'ltx';
  export default Element;
}

declare module 'ltx/src/escape.js' {
  export function escapeXML(value: string): string;
  export function escapeXMLText(value: string): string;
  export function unescapeXML(value: string): string;
  export function unescapeXMLText(value: string): string;
}

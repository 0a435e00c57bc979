// XML elements for stanzas: ltx's Element plus a small builder, shared by server and web client.
import Element from 'ltx/src/Element.js';
import { escapeXML, escapeXMLText } from 'ltx/src/escape.js';

export { Element, escapeXML, escapeXMLText };

export type Attributes = Record<string, string | number | undefined | null>;
export type Child = Element | string | null | undefined | false;

/** Build an element: xml('message', { to, type: 'chat' }, xml('body', {}, 'hi')). Undefined/null attributes are left out. */
export function xml(name: string, attrs?: Attributes | null, ...children: Child[]): Element {
  const element = new Element(name);
  if (attrs) {
    for (const key in attrs) {
      const value = attrs[key];
      if (value !== undefined && value !== null) element.attrs[key] = String(value);
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (typeof child !== 'string') child.parent = element;
    element.children.push(child);
  }
  return element;
}

/** Append children to an element, returning it. */
export function append(parent: Element, ...children: Child[]): Element {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (typeof child !== 'string') child.parent = parent;
    parent.children.push(child);
  }
  return parent;
}

/** The first child element with this name and namespace (namespace of the child itself). */
export function child(parent: Element, name: string, xmlns?: string): Element | undefined {
  for (const node of parent.children) {
    if (typeof node !== 'string' && node.getName() === name && (!xmlns || node.getNS() === xmlns)) return node;
  }
  return undefined;
}

/** Child elements only (no text nodes). */
export function elementChildren(parent: Element): Element[] {
  const out: Element[] = [];
  for (const node of parent.children) if (typeof node !== 'string') out.push(node);
  return out;
}

/** Concatenated text content of a child, or undefined. */
export function childText(parent: Element, name: string, xmlns?: string): string | undefined {
  const found = child(parent, name, xmlns);
  return found ? found.getText() : undefined;
}

/** Serialize an element to a string. Plain recursion with string concatenation: the fastest way in V8. */
export function serialize(element: Element): string {
  let out = '<' + element.name;
  const attrs = element.attrs;
  for (const key in attrs) {
    const value = attrs[key];
    if (value === undefined || value === null) continue;
    out += ' ' + key + '="' + escapeAttribute(String(value)) + '"';
  }
  const children = element.children;
  if (children.length === 0) return out + '/>';
  out += '>';
  for (let i = 0; i < children.length; i++) {
    const node = children[i]!;
    out += typeof node === 'string' ? escapeText(node) : serialize(node);
  }
  return out + '</' + element.name + '>';
}

const ATTRIBUTE_SPECIALS = /[&<>"']/;
const TEXT_SPECIALS = /[&<>]/;

function escapeAttribute(value: string): string {
  return ATTRIBUTE_SPECIALS.test(value) ? escapeXML(value) : value;
}

function escapeText(value: string): string {
  return TEXT_SPECIALS.test(value) ? escapeXMLText(value) : value;
}

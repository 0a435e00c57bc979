// XEP-0004 data forms as the MUC service uses them: building fields and reading a submitted form.
import { NS, StanzaError, xml, type Element } from '@parley/shared';

export interface FieldDefinition {
  var: string;
  type: 'boolean' | 'fixed' | 'hidden' | 'jid-multi' | 'jid-single' | 'list-multi' | 'list-single' | 'text-multi' | 'text-private' | 'text-single';
  label?: string;
  values: readonly string[];
  options?: ReadonlyArray<{ value: string; label?: string }>;
}

export function formElement(type: 'form' | 'result' | 'submit', formType: string, fields: readonly FieldDefinition[], title?: string): Element {
  return xml('x', { xmlns: NS.dataForms, type },
    title ? xml('title', {}, title) : null,
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    ...fields.map((field) => xml('field', { var: field.var, type: field.type, label: field.label },
      ...(field.options ?? []).map((option) => xml('option', { label: option.label }, xml('value', {}, option.value))),
      ...field.values.map((value) => xml('value', {}, value)))));
}

/** Field values of a submitted form (XEP-0004 §3.3), by var; a form of another FORM_TYPE is a bad request. */
export function readSubmittedForm(x: Element, formType: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const field of x.getChildren('field')) {
    const name = field.attrs.var;
    if (typeof name !== 'string') continue;
    values.set(name, field.getChildren('value').map((value) => value.getText()));
  }
  const declared = values.get('FORM_TYPE')?.[0];
  if (declared !== undefined && declared !== formType) throw new StanzaError('bad-request', `not a ${formType} form`);
  return values;
}

/** XEP-0004 §3.3 boolean: '1'/'true' or '0'/'false'. */
export function booleanValue(values: readonly string[] | undefined, name: string): boolean | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const value = values[0]!.trim();
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new StanzaError('not-acceptable', `${name} must be a boolean`);
}

export const bool = (value: boolean): string => (value ? '1' : '0');

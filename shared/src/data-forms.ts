// XEP-0004 data forms: build a form (with XEP-0068's hidden FORM_TYPE) and read a submitted one.
import { NS } from './namespaces.ts';
import { append, xml, type Element } from './xml.ts';

export type FieldType =
  | 'boolean' | 'fixed' | 'hidden' | 'jid-multi' | 'jid-single' | 'list-multi' | 'list-single'
  | 'text-multi' | 'text-private' | 'text-single';

export interface FormField {
  var?: string;
  type?: FieldType;
  label?: string;
  required?: boolean;
  /** One value per element (several for the -multi types). */
  values?: readonly string[];
  options?: ReadonlyArray<{ label?: string; value: string }>;
}

export interface FormSpec {
  type: 'form' | 'submit' | 'result' | 'cancel';
  /** XEP-0068: the hidden FORM_TYPE field. */
  formType?: string;
  title?: string;
  instructions?: string;
  fields: readonly FormField[];
}

export function buildForm(spec: FormSpec): Element {
  const form = xml('x', { xmlns: NS.dataForms, type: spec.type },
    spec.title ? xml('title', null, spec.title) : null,
    spec.instructions ? xml('instructions', null, spec.instructions) : null);
  const fields: FormField[] = spec.formType ? [{ var: 'FORM_TYPE', type: 'hidden', values: [spec.formType] }, ...spec.fields] : [...spec.fields];
  for (const field of fields) {
    append(form, xml('field', { var: field.var, type: field.type, label: field.label },
      field.required ? xml('required') : null,
      ...(field.options ?? []).map((option) => xml('option', { label: option.label }, xml('value', null, option.value))),
      ...(field.values ?? []).map((value) => xml('value', null, value))));
  }
  return form;
}

/** A submitted form's values by field name (every <value/> of each field), or null when `parent` has no form. */
export function readForm(parent: Element): { type: string; values: Map<string, string[]> } | null {
  const form = parent.getChild('x', NS.dataForms);
  if (!form) return null;
  const values = new Map<string, string[]>();
  for (const field of form.getChildren('field')) {
    const name = field.attrs.var;
    if (name) values.set(name, field.getChildren('value').map((value) => value.text()));
  }
  return { type: form.attrs.type ?? '', values };
}

// XEP-0060 §16.4.4 node configuration (FORM_TYPE pubsub#node_config): the options a node has, their
// defaults, the form that shows them (§8.2) and reading a submitted form back — for configuration
// (§8.2.3) and for XEP-0223 publish-options preconditions (XEP-0060 §7.1.5).
import { NS, StanzaError, xml, type Element } from '@parley/shared';

export type AccessModel = 'open' | 'presence' | 'roster' | 'whitelist' | 'authorize';
export type PublishModel = 'publishers' | 'subscribers' | 'open';
export type SendLastPublished = 'never' | 'on_sub' | 'on_sub_and_presence';

export interface NodeConfig {
  accessModel: AccessModel;
  publishModel: PublishModel;
  /** A number, or 'max': as many as the service allows (PubSubLimits.maxItems). */
  maxItems: number | 'max';
  persistItems: boolean;
  sendLastPublishedItem: SendLastPublished;
  deliverNotifications: boolean;
  deliverPayloads: boolean;
  notifyRetract: boolean;
  notifyDelete: boolean;
  notifyConfig: boolean;
  /** The roster groups whose members may access a 'roster' node (§16.4.4 roster_groups_allowed). */
  rosterGroupsAllowed: string[];
  notificationType: 'headline' | 'normal';
  title: string;
  description: string;
  /** The payload's namespace (§16.4.4 pubsub#type). */
  type: string;
}

/** The defaults of a new node (XEP-0163 §4.2: PEP nodes are presence-access, one item, sent on presence). */
export function defaultNodeConfig(): NodeConfig {
  return {
    accessModel: 'presence', publishModel: 'publishers', maxItems: 1, persistItems: true,
    sendLastPublishedItem: 'on_sub_and_presence', deliverNotifications: true, deliverPayloads: true,
    notifyRetract: true, notifyDelete: true, notifyConfig: false, rosterGroupsAllowed: [],
    notificationType: 'headline', title: '', description: '', type: '',
  };
}

const ACCESS_MODELS: readonly AccessModel[] = ['open', 'presence', 'roster', 'whitelist', 'authorize'];
const PUBLISH_MODELS: readonly PublishModel[] = ['publishers', 'subscribers', 'open'];
const SEND_LAST: readonly SendLastPublished[] = ['never', 'on_sub', 'on_sub_and_presence'];

/**
 * The values a service offers for list options where it offers fewer than the engine knows: PEP has
 * no 'authorize' access (nobody approves), a pubsub component no roster ('presence', 'roster') and
 * no presence to send last items on.
 */
export interface ConfigChoices {
  readonly accessModel?: readonly AccessModel[];
  readonly sendLastPublishedItem?: readonly SendLastPublished[];
}

type Kind = 'boolean' | 'list-single' | 'list-multi' | 'text-single';

interface FieldSpec<K extends keyof NodeConfig> {
  key: K;
  type: Kind;
  label: string;
  options?: readonly string[];
}

const FIELDS: ReadonlyArray<FieldSpec<keyof NodeConfig>> = [
  { key: 'accessModel', type: 'list-single', label: 'Who may subscribe and retrieve items', options: ACCESS_MODELS },
  { key: 'publishModel', type: 'list-single', label: 'Who may publish', options: PUBLISH_MODELS },
  { key: 'maxItems', type: 'text-single', label: 'Items kept (a number or max)' },
  { key: 'persistItems', type: 'boolean', label: 'Keep items in storage' },
  { key: 'sendLastPublishedItem', type: 'list-single', label: 'When to send the last item', options: SEND_LAST },
  { key: 'deliverNotifications', type: 'boolean', label: 'Deliver event notifications' },
  { key: 'deliverPayloads', type: 'boolean', label: 'Deliver payloads with notifications' },
  { key: 'notifyRetract', type: 'boolean', label: 'Notify when items are retracted' },
  { key: 'notifyDelete', type: 'boolean', label: 'Notify when the node is deleted' },
  { key: 'notifyConfig', type: 'boolean', label: 'Notify when the configuration changes' },
  { key: 'rosterGroupsAllowed', type: 'list-multi', label: 'Roster groups allowed (roster access)' },
  { key: 'notificationType', type: 'list-single', label: 'Message type of notifications', options: ['headline', 'normal'] },
  { key: 'title', type: 'text-single', label: 'Title' },
  { key: 'description', type: 'text-single', label: 'Description' },
  { key: 'type', type: 'text-single', label: 'Payload type' },
];

/** The form field name of a config key: accessModel → pubsub#access_model. */
const FIELD_NAME = new Map(FIELDS.map((field) => [field.key, `pubsub#${field.key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`]));
const BY_FIELD_NAME = new Map(FIELDS.map((field) => [FIELD_NAME.get(field.key)!, field]));

/** The configuration as a XEP-0004 form (§8.2.1): type 'form' to edit, 'result' for the default node config. */
export function configForm(config: NodeConfig, type: 'form' | 'result' = 'form', choices: ConfigChoices = {}): Element {
  return xml('x', { xmlns: NS.dataForms, type },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS.pubsubNodeConfig)),
    ...FIELDS.map((field) => {
      const value = config[field.key];
      const values = Array.isArray(value) ? value : [typeof value === 'boolean' ? (value ? '1' : '0') : String(value)];
      return xml('field', { var: FIELD_NAME.get(field.key), type: field.type, label: field.label },
        ...optionsOf(field, choices).map((option) => xml('option', {}, xml('value', {}, option))),
        ...values.map((v) => xml('value', {}, v)));
    }));
}

/** A submitted form's values by field name (FORM_TYPE checked and left out). */
export function formValues(form: Element, formType: string): Map<string, string[]> {
  if (form.attrs.type !== 'submit') throw new StanzaError('bad-request', "the data form must be of type 'submit'");
  const values = new Map<string, string[]>();
  for (const field of form.getChildren('field')) {
    const name = field.attrs.var;
    if (!name) throw new StanzaError('bad-request', 'a form field has no var');
    values.set(name, field.getChildren('value').map((value) => value.getText()));
  }
  const type = values.get('FORM_TYPE');
  if (type && type[0] !== formType) throw new StanzaError('bad-request', `FORM_TYPE must be ${formType}`);
  values.delete('FORM_TYPE');
  return values;
}

/** Why a value cannot be a node's configuration (the caller picks the error: §8.2.5.4 or XEP-0223 §5). */
export class InvalidConfig extends Error {}

function optionsOf(field: FieldSpec<keyof NodeConfig>, choices: ConfigChoices): readonly string[] {
  return (choices as Partial<Record<keyof NodeConfig, readonly string[]>>)[field.key] ?? field.options ?? [];
}

/** Parse one field's value into its config key and typed value. */
function readField(name: string, values: string[], maxItems: number, choices: ConfigChoices): [keyof NodeConfig, NodeConfig[keyof NodeConfig]] {
  const field = BY_FIELD_NAME.get(name);
  if (!field) throw new InvalidConfig(`unknown node option ${name.slice(0, 100)}`);
  if (field.type === 'list-multi') return [field.key, values.map((v) => v.trim()).filter(Boolean)];
  const value = (values[0] ?? '').trim();
  switch (field.type) {
    case 'boolean':
      if (value === '1' || value === 'true') return [field.key, true];
      if (value === '0' || value === 'false') return [field.key, false];
      throw new InvalidConfig(`${name} is a boolean`);
    case 'list-single': {
      const options = optionsOf(field, choices);
      if (!options.includes(value)) throw new InvalidConfig(`${name} must be one of ${options.join(', ')}`);
      return [field.key, value];
    }
    default:
      if (field.key !== 'maxItems') return [field.key, value.slice(0, 1024)];
      if (value === 'max') return [field.key, 'max'];
      if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidConfig('pubsub#max_items is a positive number or max');
      if (Number(value) > maxItems) throw new InvalidConfig(`pubsub#max_items is at most ${maxItems} here`);
      return [field.key, Number(value)];
  }
}

/** A configuration with a submitted form's fields applied (§8.2.3); throws InvalidConfig. */
export function applyForm(config: NodeConfig, values: Map<string, string[]>, maxItems: number, choices: ConfigChoices = {}): NodeConfig {
  const next: NodeConfig = { ...config };
  for (const [name, list] of values) {
    const [key, value] = readField(name, list, maxItems, choices);
    (next as unknown as Record<string, unknown>)[key] = value;
  }
  return next;
}

/**
 * XEP-0223 §5 / XEP-0060 §7.1.5: each publish option must equal the node's configuration. Returns
 * the first option that does not (its field name), or null when all match.
 */
export function unmetPrecondition(config: NodeConfig, options: Map<string, string[]>, maxItems: number, choices: ConfigChoices = {}): string | null {
  for (const [name, list] of options) {
    let key: keyof NodeConfig;
    let wanted: NodeConfig[keyof NodeConfig];
    try {
      [key, wanted] = readField(name, list, maxItems, choices);
    } catch {
      return name;
    }
    const actual = config[key];
    const same = Array.isArray(actual) && Array.isArray(wanted)
      ? actual.length === wanted.length && actual.every((v, i) => v === wanted[i])
      : actual === wanted;
    if (!same) return name;
  }
  return null;
}

/** The number of items a node keeps. */
export function itemLimit(config: NodeConfig, maxItems: number): number {
  return config.maxItems === 'max' ? maxItems : Math.min(config.maxItems, maxItems);
}

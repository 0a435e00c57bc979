// Shapes of what admins (HTTP API, CLI) and the suite's bus hand to the admin service, checked with zod.
import { z } from 'zod';

export const imAccessSchema = z.enum(['everyone', 'restricted']);

export const imSettingsSchema = z.object({
  enabled: z.boolean().optional(),
  access: imAccessSchema.optional(),
}).strict();

/** A domain's federation settings (s2s/); a list given replaces the stored one. */
export const federationSettingsSchema = z.object({
  enabled: z.boolean().optional(),
  certificates: z.enum(['default', 'allow-dialback', 'require-valid']).optional(),
  allow: z.array(z.string().min(1).max(1023)).max(1000).optional(),
  deny: z.array(z.string().min(1).max(1023)).max(1000).optional(),
}).strict();

export const domainCreateSchema = z.object({
  name: z.string().min(1).max(1023),
  aliases: z.array(z.string().min(1).max(1023)).max(100).optional(),
  im: imSettingsSchema.optional(),
}).strict();

/** An external component (XEP-0114) added at run time; without a secret one is generated. */
export const componentCreateSchema = z.object({
  domain: z.string().min(1).max(1023),
  secret: z.string().min(16, 'a component secret needs at least 16 characters').max(1024).optional(),
}).strict();

/** A user or a group (exactly one). */
export const subjectSchema = z.union([
  z.object({ user: z.string().min(3).max(3071) }).strict(),
  z.object({ group: z.string().min(1).max(256) }).strict(),
]);

export const roleGrantSchema = z.object({ role: z.string().min(1).max(64).default('im') }).and(subjectSchema);

const text = (max: number) => z.string().max(max);
const types = z.array(z.string().regex(/^[A-Za-z-]{1,20}$/)).max(10).optional();

export const addressCardSchema = z.object({
  fn: text(1024).optional(),
  n: z.object({
    family: text(256).optional(), given: text(256).optional(), middle: text(256).optional(),
    prefix: text(64).optional(), suffix: text(64).optional(),
  }).strict().optional(),
  emails: z.array(z.object({ address: z.email().max(3071), types }).strict()).max(20).optional(),
  tels: z.array(z.object({ number: text(64).min(1), types }).strict()).max(20).optional(),
  org: z.object({ name: text(256).optional(), unit: text(256).optional() }).strict().optional(),
  title: text(256).optional(),
}).strict();

/** Largest directory photo: it travels base64-encoded inside a vCard stanza (limits.maxStanzaSize). */
export const MAX_PHOTO_BYTES = 128 * 1024;

export const photoSchema = z.object({
  type: z.string().regex(/^image\/[A-Za-z0-9.+-]{1,64}$/),
  /** base64 image bytes */
  data: z.base64().max(Math.ceil(MAX_PHOTO_BYTES / 3) * 4),
}).strict();

export const userCreateSchema = z.object({
  jid: z.string().min(3).max(3071),
  /** Local password (SCRAM); left out for users who log in by single sign-on or through the core. */
  password: z.string().min(1).max(1024).optional(),
  displayName: text(1024).nullable().optional(),
  emails: z.array(z.string().min(3).max(3071)).max(20).optional(),
  enabled: z.boolean().optional(),
  card: addressCardSchema.optional(),
  photo: photoSchema.nullable().optional(),
}).strict();

export const userUpdateSchema = z.object({
  password: z.string().min(1).max(1024).optional(),
  displayName: text(1024).nullable().optional(),
  enabled: z.boolean().optional(),
}).strict();

export const groupCreateSchema = z.object({
  name: z.string().min(1).max(256).regex(/^[^\s/][^/]*$/),
  description: text(1024).nullable().optional(),
}).strict();

export const memberSchema = z.object({ jid: z.string().min(3).max(3071) }).strict();
/** A group's room (issue 13): room@service, or null for none. */
export const groupRoomSchema = z.object({ room: z.string().min(3).max(3071).nullable() }).strict();
export const emailSchema = z.object({ address: z.string().min(3).max(3071) }).strict();
export const aliasSchema = z.object({ alias: z.string().min(1).max(1023) }).strict();

/** A certificate (PEM, leaf first, with its chain) and its private key (PEM), uploaded from the console. */
export const certificateUploadSchema = z.object({
  certificate: z.string().min(1).max(64 * 1024).includes('-----BEGIN CERTIFICATE-----'),
  key: z.string().min(1).max(16 * 1024).includes('PRIVATE KEY-----'),
}).strict();
export const reindexSchema = z.object({ recreate: z.boolean().optional() }).strict();
/** The console's password sign-in: a SASL PLAIN message (RFC 4616), base64. */
export const signInSchema = z.object({ mechanism: z.literal('PLAIN'), response: z.base64().min(4).max(1100) }).strict();

export type DomainCreate = z.infer<typeof domainCreateSchema>;
export type UserCreate = z.infer<typeof userCreateSchema>;
export type UserUpdate = z.infer<typeof userUpdateSchema>;
export type Subject = z.infer<typeof subjectSchema>;
export type PhotoInput = z.infer<typeof photoSchema>;

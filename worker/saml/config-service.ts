/**
 * SAML configuration versions. Saving validates and adds a version (sign-in is unchanged); applying makes a saved
 * version the active one in one statement (settings key `saml.appliedVersion`), the Workers form of "restart".
 */
import type { Audit } from '../audit/record';
import { AppError } from '../errors';
import { readSetting, writeSettingStatement } from '../settings/repo';
import { checkCertificate } from './certificate';
import { validateConfigYaml, type SamlConfig } from './config';
import { findVersionNumber, insertVersionStatement, readAppliedVersionRow, readLatestAndApplied, readLatestConfig, type SamlVersionRow } from './repo';

export const APPLIED_VERSION_KEY = 'saml.appliedVersion';

export interface SamlVersionSummary {
  version: number;
  allowSignIn: boolean;
  savedAt: number;
  savedBy: string | null;
}

export interface SamlConfigState {
  /** The latest saved version (what the editor shows). */
  saved: (SamlVersionSummary & { yaml: string; certificateNotAfter: number | null }) | null;
  /** The version sign-in uses now. */
  applied: SamlVersionSummary | null;
  /** True when the latest saved version is not the applied one: "apply" is pending. */
  differs: boolean;
}

function summaryOf(row: SamlVersionRow): SamlVersionSummary {
  return { version: row.version, allowSignIn: row.allowSignIn, savedAt: row.savedAt, savedBy: row.savedByLogin };
}

export async function readSamlConfigState(db: D1Database): Promise<SamlConfigState> {
  const appliedVersion = await readSetting<number | null>(db, APPLIED_VERSION_KEY, null);
  const { latest: latestRow, applied: appliedRow } = await readLatestAndApplied(db, appliedVersion);
  const certificate = latestRow ? checkCertificate((JSON.parse(latestRow.config) as SamlConfig).certificate) : null;
  return {
    saved: latestRow ? { ...summaryOf(latestRow), yaml: latestRow.yaml, certificateNotAfter: certificate?.ok ? certificate.notAfterMs : null } : null,
    applied: appliedRow ? summaryOf(appliedRow) : null,
    differs: (latestRow?.version ?? null) !== (appliedRow?.version ?? null),
  };
}

/** Validates (again: the client's "validate" is advisory) and stores a new version. Sign-in is unchanged. */
export async function saveSamlConfig(db: D1Database, input: { yaml: string; allowSignIn: boolean; savedByUserId: string | null; nowMs: number }, audit: Audit): Promise<SamlConfigState> {
  const validation = validateConfigYaml(input.yaml);
  if (!validation.ok) throw new AppError('SAML_CONFIG_INVALID', `The configuration has ${validation.errors.length} error(s).`, { errors: validation.errors });
  // The next version number is computed inside the INSERT: two concurrent saves cannot take the same number
  // (the primary key refuses the second, which then fails rather than overwriting).
  const before = await readSamlConfigState(db);
  await db.batch([
    insertVersionStatement(db, { yaml: input.yaml, config: JSON.stringify(validation.file.config), allowSignIn: input.allowSignIn, savedByUserId: input.savedByUserId, nowMs: input.nowMs }),
    audit({
      action: 'save',
      objectType: 'saml_config',
      objectId: null,
      objectName: 'SAML configuration',
      before: before.saved ? { version: before.saved.version, allowSignIn: before.saved.allowSignIn } : null,
      after: { allowSignIn: input.allowSignIn, config: validation.file.config },
    }),
  ]);
  return readSamlConfigState(db);
}

/** Makes a saved version (default: the latest) the active one. One settings write: atomic for every isolate. */
export async function applySamlConfig(db: D1Database, input: { version?: number; nowMs: number }, audit: Audit): Promise<SamlConfigState> {
  const version = await findVersionNumber(db, input.version);
  if (version === null) throw new AppError('NOT_FOUND', input.version === undefined ? 'There is no saved SAML configuration to apply.' : `There is no version ${input.version}.`);
  const appliedBefore = await readSetting<number | null>(db, APPLIED_VERSION_KEY, null);
  await db.batch([
    writeSettingStatement(db, APPLIED_VERSION_KEY, version, input.nowMs),
    audit({ action: 'apply', objectType: 'saml_config', objectId: String(version), objectName: 'SAML configuration', before: { appliedVersion: appliedBefore }, after: { appliedVersion: version } }),
  ]);
  return readSamlConfigState(db);
}

export interface AppliedSamlConfig {
  version: number;
  config: SamlConfig;
  allowSignIn: boolean;
}

/** The configuration sign-in uses, or null when none was applied. */
export async function readAppliedSamlConfig(db: D1Database): Promise<AppliedSamlConfig | null> {
  const row = await readAppliedVersionRow(db, APPLIED_VERSION_KEY);
  if (!row) return null;
  return { version: row.version, config: JSON.parse(row.config) as SamlConfig, allowSignIn: row.allowSignIn };
}

/** The configuration the SP metadata describes: the applied one, else the latest saved (IdP administrators need it first). */
export async function readSamlConfigForMetadata(db: D1Database): Promise<SamlConfig | null> {
  const applied = await readAppliedSamlConfig(db);
  if (applied) return applied.config;
  const latest = await readLatestConfig(db);
  return latest === null ? null : (JSON.parse(latest) as SamlConfig);
}

/** Whether "Sign in with SAML" is offered: a configuration is applied and it allows sign-in. */
export async function isSamlSignInAvailable(db: D1Database): Promise<boolean> {
  return (await readAppliedSamlConfig(db))?.allowSignIn === true;
}

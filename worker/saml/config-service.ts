/**
 * SAML configuration versions. Saving validates and adds a version (sign-in is unchanged); applying makes a saved
 * version the active one in one statement (settings key `saml.appliedVersion`), the Workers form of "restart".
 */
import type { Audit } from '../audit/record';
import { AppError } from '../errors';
import { readSetting, writeSettingStatement } from '../settings/platform';
import { checkCertificate } from './certificate';
import { validateConfigYaml, type SamlConfig } from './config';

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

interface VersionRow {
  version: number;
  yaml: string;
  config: string;
  allow_sign_in: number;
  saved_at: number;
  saved_by_login: string | null;
}

const VERSION_COLUMNS = 'v.version, v.yaml, v.config, v.allow_sign_in, v.saved_at, u.login AS saved_by_login';

function summaryOf(row: VersionRow): SamlVersionSummary {
  return { version: row.version, allowSignIn: row.allow_sign_in === 1, savedAt: row.saved_at, savedBy: row.saved_by_login };
}

export async function readSamlConfigState(db: D1Database): Promise<SamlConfigState> {
  const appliedVersion = await readSetting<number | null>(db, APPLIED_VERSION_KEY, null);
  const [latest, applied] = await db.batch<VersionRow>([
    db.prepare(`SELECT ${VERSION_COLUMNS} FROM saml_config_versions v LEFT JOIN users u ON u.id = v.saved_by_user_id ORDER BY v.version DESC LIMIT 1`),
    db.prepare(`SELECT ${VERSION_COLUMNS} FROM saml_config_versions v LEFT JOIN users u ON u.id = v.saved_by_user_id WHERE v.version = ?`).bind(appliedVersion ?? -1),
  ]);
  const latestRow = latest!.results[0];
  const appliedRow = applied!.results[0];
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
    db
      .prepare(
        `INSERT INTO saml_config_versions (version, yaml, config, allow_sign_in, saved_by_user_id, saved_at)
         SELECT COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ? FROM saml_config_versions`,
      )
      .bind(input.yaml, JSON.stringify(validation.file.config), input.allowSignIn ? 1 : 0, input.savedByUserId, input.nowMs),
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
  const row = input.version === undefined
    ? await db.prepare('SELECT version FROM saml_config_versions ORDER BY version DESC LIMIT 1').first<{ version: number }>()
    : await db.prepare('SELECT version FROM saml_config_versions WHERE version = ?').bind(input.version).first<{ version: number }>();
  if (!row) throw new AppError('NOT_FOUND', input.version === undefined ? 'There is no saved SAML configuration to apply.' : `There is no version ${input.version}.`);
  const appliedBefore = await readSetting<number | null>(db, APPLIED_VERSION_KEY, null);
  await db.batch([
    writeSettingStatement(db, APPLIED_VERSION_KEY, row.version, input.nowMs),
    audit({ action: 'apply', objectType: 'saml_config', objectId: String(row.version), objectName: 'SAML configuration', before: { appliedVersion: appliedBefore }, after: { appliedVersion: row.version } }),
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
  const row = await db
    .prepare(
      `SELECT v.version, v.config, v.allow_sign_in FROM settings s JOIN saml_config_versions v ON v.version = CAST(s.value AS INTEGER)
       WHERE s.key = ?`,
    )
    .bind(APPLIED_VERSION_KEY)
    .first<{ version: number; config: string; allow_sign_in: number }>();
  if (!row) return null;
  return { version: row.version, config: JSON.parse(row.config) as SamlConfig, allowSignIn: row.allow_sign_in === 1 };
}

/** Whether "Sign in with SAML" is offered: a configuration is applied and it allows sign-in. */
export async function isSamlSignInAvailable(db: D1Database): Promise<boolean> {
  return (await readAppliedSamlConfig(db))?.allowSignIn === true;
}

/**
 * A real SAML 2.0 identity provider for the browser tests: Debian's SimpleSAMLphp, configured in a temporary
 * folder and served by PHP's built-in web server on loopback. It knows our SP from its ACS URL and entity ID,
 * signs assertions with a key generated here (RSA-SHA256), and signs users in with a username/password form
 * (exampleauth:UserPass) whose attributes the test chooses.
 *
 * Run the IdP and the app on the same host (127.0.0.1, different ports): the browser then treats them as one site,
 * so the SP's SameSite=Lax request cookie travels with the IdP's auto-submitted POST, as it would between
 * https://idp.example.com and https://id.example.com.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where Debian's simplesamlphp package puts the application and its default configuration. */
const SIMPLESAMLPHP_WWW = '/usr/share/simplesamlphp/www';
const DEBIAN_CONFIG = '/etc/simplesamlphp/config.php';

export interface IdpUser {
  username: string;
  password: string;
  /** SAML attributes (name -> values), sent with basic name format. `mail` also becomes the NameID. */
  attributes: Record<string, string[]>;
}

export interface SimpleSamlIdp {
  url: string;
  entityId: string;
  singleSignOnServiceUrl: string;
  metadataUrl: string;
  /** The IdP's signing certificate, Base64 DER (what the SP's `certificate` key takes). */
  certificate: string;
  /** Starts an IdP-initiated (unsolicited) sign-in to our SP. */
  idpInitiatedUrl(relayState?: string): string;
  stop(): Promise<void>;
}

export async function startSimpleSamlIdp(options: { spEntityId: string; acsUrl: string; users: IdpUser[] }): Promise<SimpleSamlIdp> {
  if (!existsSync(SIMPLESAMLPHP_WWW)) throw new Error('SimpleSAMLphp is missing: apt-get install simplesamlphp php-cli php-xml (npm test installs it)');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'eid-ssp-'));
  for (const sub of ['config', 'metadata', 'cert', 'log', 'data', 'tmp', 'sessions']) mkdirSync(path.join(dir, sub));

  const openssl = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=SimpleSAMLphp test IdP', '-keyout', path.join(dir, 'cert', 'idp.key'), '-out', path.join(dir, 'cert', 'idp.crt')],
    { encoding: 'utf8' },
  );
  if (openssl.status !== 0) throw new Error(`openssl could not make the IdP certificate: ${openssl.stderr}`);
  const certificate = readFileSync(path.join(dir, 'cert', 'idp.crt'), 'utf8').replace(/-----[A-Z ]+-----|\s+/g, '');

  const php = (value: unknown): string => JSON.stringify(value).replace(/\$/g, '\\$');
  // Debian's defaults, then what this test needs. PHP parses JSON-escaped strings in double quotes correctly.
  writeFileSync(
    path.join(dir, 'config', 'config.php'),
    `<?php
require ${php(DEBIAN_CONFIG)};
$config = array_merge($config, [
  'baseurlpath' => ${php(`${url}/`)},
  'certdir' => ${php(`${dir}/cert/`)},
  'loggingdir' => ${php(`${dir}/log/`)},
  'datadir' => ${php(`${dir}/data/`)},
  'tempdir' => ${php(`${dir}/tmp/`)},
  'secretsalt' => ${php(randomBytes(16).toString('hex'))},
  'auth.adminpassword' => ${php(randomBytes(16).toString('hex'))},
  'technicalcontact_email' => 'idp-admin@example.org',
  'timezone' => 'UTC',
  'enable.saml20-idp' => true,
  'logging.handler' => 'errorlog',
  'logging.level' => SimpleSAML\\Logger::WARNING,
  'session.cookie.secure' => false,
  // Debian's default is SameSite=None, which Chromium drops on plain http: Lax is what a same-site test needs.
  'session.cookie.samesite' => 'Lax',
  'session.phpsession.savepath' => ${php(`${dir}/sessions`)},
  'store.type' => 'phpsession',
  'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
  'metadata.sources' => [['type' => 'flatfile', 'directory' => ${php(`${dir}/metadata`)}]],
]);
`,
  );
  const users = Object.fromEntries(options.users.map((user) => [`${user.username}:${user.password}`, user.attributes]));
  writeFileSync(
    path.join(dir, 'config', 'authsources.php'),
    `<?php
$config = [
  'admin' => ['core:AdminPassword'],
  'test-users' => array_merge(['exampleauth:UserPass'], json_decode(${php(JSON.stringify(users))}, true)),
];
`,
  );
  writeFileSync(
    path.join(dir, 'metadata', 'saml20-idp-hosted.php'),
    `<?php
$metadata['__DYNAMIC:1__'] = [
  'host' => '__DEFAULT__',
  'privatekey' => 'idp.key',
  'certificate' => 'idp.crt',
  'auth' => 'test-users',
  'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'saml20.sign.assertion' => true,
];
`,
  );
  writeFileSync(
    path.join(dir, 'metadata', 'saml20-sp-remote.php'),
    `<?php
$metadata[${php(options.spEntityId)}] = [
  'AssertionConsumerService' => ${php(options.acsUrl)},
  'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'simplesaml.nameidattribute' => 'mail',
  'simplesaml.attributes' => true,
];
`,
  );
  for (const empty of ['saml20-sp-hosted.php', 'shib13-sp-remote.php', 'shib13-idp-hosted.php', 'saml20-idp-remote.php']) {
    writeFileSync(path.join(dir, 'metadata', empty), '<?php\n');
  }

  const server: ChildProcess = spawn('php', ['-d', `session.save_path=${dir}/sessions`, '-S', `127.0.0.1:${port}`, '-t', SIMPLESAMLPHP_WWW], {
    env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: path.join(dir, 'config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  server.stdout?.on('data', (chunk) => (output += chunk));
  server.stderr?.on('data', (chunk) => (output += chunk));

  const entityId = `${url}/saml2/idp/metadata.php`;
  await waitFor(async () => {
    const response = await fetch(entityId).catch(() => null);
    return response?.ok === true && (await response.text()).includes('EntityDescriptor');
  }, () => `SimpleSAMLphp did not serve its metadata:\n${output.slice(-4000)}`);

  return {
    url,
    entityId,
    singleSignOnServiceUrl: `${url}/saml2/idp/SSOService.php`,
    metadataUrl: entityId,
    certificate,
    idpInitiatedUrl: (relayState) =>
      `${url}/saml2/idp/SSOService.php?spentityid=${encodeURIComponent(options.spEntityId)}${relayState ? `&RelayState=${encodeURIComponent(relayState)}` : ''}`,
    async stop() {
      server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitFor(check: () => Promise<boolean>, failure: () => string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(failure());
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

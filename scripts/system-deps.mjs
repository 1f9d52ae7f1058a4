// The Debian tools the tests drive as real peers. Missing ones are installed with apt-get when we can (root, or
// passwordless sudo); otherwise we say exactly what is missing and how to get it.
import { spawnSync } from 'node:child_process';

/** binary on PATH -> Debian package that provides it */
export const SYSTEM_DEPENDENCIES = {
  chromium: 'chromium', // headless browser for UI tests (driven by playwright-core)
  oathtool: 'oathtool', // independent HOTP/TOTP implementation
  xmlsec1: 'xmlsec1', // independent XML signer for SAML responses
  php: 'php-cli', // runs the SimpleSAMLphp IdP
  sqlite3: 'sqlite3', // reads the demo seed back over the migrations (the engine under D1)
};
export const EXTRA_PACKAGES = ['simplesamlphp', 'php-xml', 'php-mbstring', 'php-curl', 'php-sqlite3'];

const has = (binary) => spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;

export function ensureSystemDependencies({ quiet = false } = {}) {
  const missing = Object.entries(SYSTEM_DEPENDENCIES).filter(([binary]) => !has(binary)).map(([, pkg]) => pkg);
  const extraMissing = EXTRA_PACKAGES.filter((pkg) => spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status !== 0);
  const packages = [...new Set([...missing, ...extraMissing])];
  if (packages.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo'] : null;
  if (!sudo || !has('apt-get')) {
    throw new Error(`Missing system packages: ${packages.join(' ')}\nInstall them with: sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`);
  }
  if (!quiet) console.log(`Installing system packages the tests need: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = (args) => {
    const [cmd, ...rest] = [...sudo, 'apt-get', ...args];
    const result = spawnSync(cmd, rest, { stdio: quiet ? 'ignore' : 'inherit', env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  };
  aptGet(['update']);
  // Another apt-get (a parallel test run, unattended upgrades) may hold the dpkg lock for a while: wait, don't fail.
  aptGet(['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...packages]);
}

if (import.meta.url === `file://${process.argv[1]}`) ensureSystemDependencies();

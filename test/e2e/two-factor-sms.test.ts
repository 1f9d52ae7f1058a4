/**
 * Two-factor authentication by SMS end to end in headless Chromium, with SMS "sent" through a real HTTP call to the
 * local server that impersonates Twilio's API (codes are read from the requests it received, as a phone would):
 * the admin switches 2FA on and points the SMS supplier at the local provider (Admin Center > Security), and creates
 * a user with a password; the user (on a phone-size screen) fails one sign-in, signs in, confirms a mobile number on
 * /profile with the code sent to it, activates 2FA, logs off and signs in again with password plus SMS code; the
 * admin then finds UserLogin and UserLoginAttempt for that user under User Activities in both tabs and in the CSV
 * export. Then: changing the number, and a workspace that disables 2FA.
 */
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type E2eApp, type ProviderRequest } from './harness';

const SCENARIO = 'e2e-two-factor';
const TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const USER = { login: 'erika', password: 'Erika password 2FA!', phoneTyped: '0151 23456789', phone: '+4915123456789', newPhone: '+4915123456780' };

let app: E2eApp;
let adminPage: Page;
let userContext: BrowserContext;
let userPage: Page;

beforeAll(async () => {
  app = await startApp({ providers: true });
  adminPage = await (await app.newContext()).newPage();
  userContext = await app.browser.newContext({ baseURL: app.url, locale: 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  userPage = await userContext.newPage();
});
afterAll(async () => app?.stop());

async function smsRequests(): Promise<ProviderRequest[]> {
  return (await app.providers!.requests(SCENARIO)).filter((r) => r.path === `/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
}

/** Waits for SMS number `count` to reach the provider and returns its code (what the user reads on the phone). */
async function codeOfSms(count: number, to = USER.phone): Promise<string> {
  await expect.poll(async () => (await smsRequests()).length).toBe(count);
  const form = new URLSearchParams((await smsRequests())[count - 1]!.body);
  expect(form.get('To')).toBe(to);
  const code = /\b(\d{6})\b/.exec(form.get('Body') ?? '')?.[1];
  expect(code, `no code in "${form.get('Body')}"`).toBeDefined();
  return code!;
}

async function expectNoHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

describe('two-factor authentication by SMS', () => {
  it('the admin switches 2FA on, configures the SMS supplier and creates a user with a password', async () => {
    await app.signInAsAdmin(adminPage);
    await adminPage.goto('/admin/security');
    await adminPage.getByLabel('Enable two-factor authentication for the platform').check();
    await expect.poll(() => adminPage.locator('.toast').allTextContents()).toContain('Two-factor authentication is enabled.');
    await adminPage.getByRole('combobox', { name: 'SMS supplier' }).selectOption('twilio');
    await adminPage.getByLabel('Account SID').fill(TWILIO_SID);
    await adminPage.getByLabel('Auth token').fill('e2e-twilio-auth-token');
    await adminPage.getByLabel('Sender', { exact: true }).fill('+15005550006');
    await adminPage.getByLabel('Base URL').fill(`${app.providers!.url}/${SCENARIO}`);
    await adminPage.getByRole('button', { name: 'Save message settings' }).click();
    await expect.poll(() => adminPage.locator('.toast').allTextContents()).toContain('Message settings saved.');
    expect(await app.adminApi('GET', '/security')).toEqual({ twoFactorEnabled: true });

    await adminPage.goto('/admin/users');
    await adminPage.getByRole('button', { name: 'New user' }).click();
    const dialog = adminPage.getByRole('dialog');
    await dialog.getByLabel('Login').fill(USER.login);
    await dialog.getByLabel('First name').fill('Erika');
    await dialog.getByLabel('Last name').fill('Mustermann');
    await dialog.getByLabel('Password').fill(USER.password);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await adminPage.waitForURL(/\/admin\/users\/[0-9a-f-]{36}$/);
  });

  it('the user fails once, signs in, and confirms a mobile number on /profile with the code sent to it', async () => {
    await userPage.goto('/login');
    await userPage.getByLabel('Login').fill(USER.login);
    await userPage.getByLabel('Password').fill('not the password');
    await userPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await userPage.locator('[data-field-error]').filter({ hasText: 'Login or password is wrong' }).waitFor();

    await userPage.getByLabel('Password').fill(USER.password);
    await userPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await userPage.waitForURL('**/profile');
    await userPage.getByTestId('profile-login').getByText(USER.login).waitFor();
    const section = userPage.getByRole('region', { name: 'Two-factor authentication' });
    await section.getByText('Not active').waitFor();
    await expectNoHorizontalScroll(userPage);

    await section.getByLabel('Mobile number').fill('12');
    await section.getByRole('button', { name: 'Send code' }).click();
    await expect.poll(() => section.locator('[data-field-error]').textContent()).toContain('not a valid mobile number');
    expect(await smsRequests()).toEqual([]);

    await section.getByLabel('Mobile number').fill(USER.phoneTyped);
    await section.getByRole('button', { name: 'Send code' }).click();
    const code = await codeOfSms(1);
    await section.getByLabel('SMS code').fill(code === '000000' ? '111111' : '000000');
    await section.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => section.locator('[data-field-error]').textContent()).toContain('The code is wrong');

    await section.getByLabel('SMS code').fill(code);
    await section.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => section.getByTestId('two-factor-phone').textContent()).toContain(`${USER.phone} is confirmed`);
    await section.getByRole('button', { name: 'Activate two-factor authentication' }).click();
    await section.getByText('Active', { exact: true }).waitFor();
    await expect.poll(() => section.getByTestId('two-factor-phone').textContent()).toContain(`Sign-in codes are sent to ${USER.phone}`);
    await expectNoHorizontalScroll(userPage);
  });

  it('after logging off, signing in needs the password and then the SMS code', async () => {
    await userPage.getByRole('button', { name: 'Log off' }).click();
    await userPage.waitForURL('**/login');
    await userPage.getByLabel('Login').fill(USER.login);
    await userPage.getByLabel('Password').fill(USER.password);
    await userPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await userPage.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await userPage.getByLabel('Code').fill(await codeOfSms(2));
    await userPage.getByRole('button', { name: 'Confirm' }).click();
    await userPage.waitForURL('**/profile');
    await userPage.getByRole('region', { name: 'Two-factor authentication' }).getByText('Active', { exact: true }).waitFor();
  });

  it('the admin sees UserLogin and UserLoginAttempt of the user in both tabs of User Activities and in the CSV export', async () => {
    await adminPage.goto('/admin/activities');
    await adminPage.getByRole('heading', { name: 'User Activities' }).waitFor();
    expect(await adminPage.getByTestId('retention-note').textContent()).toContain('last 90 days');
    await adminPage.getByLabel('User', { exact: true }).fill(USER.login);

    const detailed = adminPage.getByTestId('activities-detailed');
    // Newest first: the sign-in with the SMS code, the log off, the sign-in before 2FA, the wrong password.
    await expect
      .poll(() => detailed.locator('tbody tr').evaluateAll((rows) => rows.map((row) => `${row.querySelector('td')!.textContent} ${row.getAttribute('data-activity')}`)))
      .toEqual([`${USER.login} UserLogin`, `${USER.login} UserLogoff`, `${USER.login} UserLogin`, `${USER.login} UserLoginAttempt`]);

    await adminPage.getByLabel('Activity', { exact: true }).selectOption('UserLoginAttempt');
    await expect.poll(() => detailed.locator('tbody tr').count()).toBe(1);
    const download = adminPage.waitForEvent('download');
    await adminPage.getByRole('link', { name: 'Export CSV' }).click();
    const csv = await readFile((await (await download).path())!, 'utf8');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('timestamp,user,activity,channel,ip,client,detail');
    expect(lines.slice(1).map((line) => line.split(',').slice(1, 3).join(','))).toEqual([`"${USER.login}","UserLoginAttempt"`]);
    await adminPage.getByLabel('Activity', { exact: true }).selectOption('');

    await adminPage.getByRole('tab', { name: 'Grouped' }).click();
    const grouped = adminPage.getByTestId('activities-grouped');
    const row = grouped.locator('tbody tr', { hasText: USER.login });
    await expect.poll(() => row.locator('[data-activity="UserLogin"]').innerText()).toMatch(/UserLogin\s+2/);
    expect(await row.locator('[data-activity="UserLoginAttempt"]').innerText()).toMatch(/UserLoginAttempt\s+1/);
    expect(await row.locator('[data-activity="UserLogoff"]').innerText()).toMatch(/UserLogoff\s+1/);
    expect(await grouped.locator('tbody tr').count()).toBe(1);

    const groupedDownload = adminPage.waitForEvent('download');
    await adminPage.getByRole('link', { name: 'Export CSV' }).click();
    const groupedCsv = (await readFile((await (await groupedDownload).path())!, 'utf8')).trim().split('\r\n');
    expect(groupedCsv[0]).toContain('"user","UserLogin","UserLoginAttempt","UserLogoff"');
    expect(groupedCsv.slice(1)).toEqual([expect.stringMatching(new RegExp(`^"${USER.login}","2","1","1",`))]);

    // On a phone the wide tables scroll inside their box, not the page.
    await adminPage.setViewportSize({ width: 390, height: 844 });
    await expectNoHorizontalScroll(adminPage);
    await adminPage.getByRole('tab', { name: 'Detailed' }).click();
    await detailed.waitFor();
    await expectNoHorizontalScroll(adminPage);
  });

  it('changing the number needs a code to the current number first, then the new number is confirmed and 2FA activated again', async () => {
    const section = userPage.getByRole('region', { name: 'Two-factor authentication' });
    await section.getByRole('button', { name: 'Change number' }).click();
    await section.getByText(`We sent a code by SMS to ${USER.phone}, the number on file`).waitFor();
    await section.getByLabel('SMS code').fill(await codeOfSms(3, USER.phone));
    await section.getByRole('button', { name: 'Confirm' }).click();
    await section.getByText('Not active').waitFor();
    await section.getByLabel('Mobile number').fill(USER.newPhone);
    await section.getByRole('button', { name: 'Send code' }).click();
    await section.getByLabel('SMS code').fill(await codeOfSms(4, USER.newPhone));
    await section.getByRole('button', { name: 'Confirm' }).click();
    await section.getByRole('button', { name: 'Activate two-factor authentication' }).click();
    await expect.poll(() => section.getByTestId('two-factor-phone').textContent()).toContain(`Sign-in codes are sent to ${USER.newPhone}`);
    const [user] = (await app.adminApi('GET', `/users?search=${USER.login}`)).items;
    expect(user).toMatchObject({ smsTwoFactorActive: true });

    await userPage.getByRole('button', { name: 'Deutsch' }).click();
    await userPage.getByRole('heading', { name: 'Mein Profil' }).waitFor();
    await userPage.getByRole('region', { name: 'Zwei-Faktor-Authentifizierung' }).getByText('Aktiv', { exact: true }).waitFor();
  });

  it('a workspace that disables 2FA turns the section into an explanation that offers nothing', async () => {
    const office = await app.adminApi('POST', '/offices', { name: 'Vertrieb', twoFactorDisabled: true });
    const [user] = (await app.adminApi('GET', `/users?search=${USER.login}`)).items;
    await app.adminApi('PUT', `/offices/${office.id}/members/${user.id}`, {});
    await userPage.reload();
    const section = userPage.getByRole('region', { name: 'Zwei-Faktor-Authentifizierung' });
    await section.getByText('Ihr Arbeitsbereich Vertrieb hat die Zwei-Faktor-Authentifizierung deaktiviert').waitFor();
    expect(await section.getByRole('button').count()).toBe(0);
    expect(await section.getByRole('textbox').count()).toBe(0);
  });
});

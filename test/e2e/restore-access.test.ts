/**
 * Restore access on a phone (390x844), in English and German: a user who lost their token starts, goes back and
 * starts again within the email code's resend cooldown. Before, the second start was refused outright, and later
 * the email code's field disappeared; now the code from the email already sent still proves, beside the password,
 * and the page says why no new email came. A request with no proof at all
 * cannot be sent (the page says so at the proof field and nothing is filed); a mistyped password is refused at its
 * field with the tries left, keeps what was typed and files nothing; with the right password it is filed as proven
 * by it. Every refusal is said at its field, none in a box; the browser's Back from Restore access is the sign-in,
 * which keeps the login typed there, and the signed-out page logs no failed request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portalStrings } from '../../ui/src/portal/strings';
import { startApp, type E2eApp } from './harness';

let app: E2eApp;
let resourceId = '';
const ALIAS = 'restore-phone';

beforeAll(async () => {
  app = await startApp();
  const resource = await app.adminApi('POST', '/resources', { name: 'Restore Phone' });
  resourceId = resource.id;
  await app.adminApi('PUT', `/resources/${resourceId}/self-service`, { enabled: true, alias: ALIAS, actions: ['changeName'] });
});
afterAll(async () => app?.stop());

for (const language of ['en', 'de'] as const) {
  const t = portalStrings[language]!;
  describe(`restore access on a phone (${language})`, () => {
    it('within the email cooldown still takes the code already sent, refuses a request without proof, lets a typo be retried, files one proven by the code and the password', async () => {
      const login = `restore-${language}`;
      const password = `restore password ${language} 1`;
      const user = await app.adminApi('POST', '/users', { login, password, email: `${login}@example.com` });
      await app.adminApi('PUT', `/resources/${resourceId}/assignments`, { userId: user.id });

      const context = await app.browser.newContext({ baseURL: app.url, locale: language === 'de' ? 'de-DE' : 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await context.addInitScript((lang) => localStorage.setItem('eid.language', lang), language);
      const page = await context.newPage();
      const fieldError = (text: string) => page.locator('[data-field-error]').filter({ hasText: text });
      const start = async () => {
        await page.getByRole('button', { name: t.restoreTitle! }).click();
        await page.getByLabel(t.login!, { exact: true }).fill(login);
        await page.getByLabel(t.lostToken!).check();
        await page.getByRole('button', { name: t.next!, exact: true }).click();
        await page.getByRole('heading', { name: t.verifyTitle! }).waitFor();
      };

      const consoleErrors: string[] = [];
      page.on('console', (message) => void (message.type() === 'error' && consoleErrors.push(message.text())));
      await page.goto(`/selfservice/${ALIAS}`);
      await page.getByRole('button', { name: t.restoreTitle! }).waitFor();
      // Signed out, the page does not probe for a session with a request that fails (a 401 in the console).
      expect(consoleErrors).toEqual([]);
      // The browser's Back from Restore access returns to the sign-in, with the login typed there.
      await page.getByRole('button', { name: t.restoreTitle! }).click();
      await page.getByText(t.whatLost!, { exact: true }).waitFor();
      await page.getByLabel(t.login!, { exact: true }).fill(`back-${login}`);
      await page.goBack();
      await page.getByRole('heading', { name: t.signInTitle! }).waitFor();
      expect(await page.getByLabel(t.login!, { exact: true }).inputValue()).toBe(`back-${login}`);
      // The login typed at the sign-in is kept when the user turns to Restore access.
      await page.getByLabel(t.login!, { exact: true }).fill(login);
      await page.getByRole('button', { name: t.restoreTitle! }).click();
      expect(await page.getByLabel(t.login!, { exact: true }).inputValue()).toBe(login);
      // Nothing ticked: said beneath the boxes (tied to their group), not in a box; ticking one answers it.
      await page.getByRole('button', { name: t.next!, exact: true }).click();
      await fieldError(t.chooseLost!).waitFor();
      expect(await page.getByRole('group', { name: t.whatLost! }).getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.getByLabel(t.lostToken!).check();
      expect(await fieldError(t.chooseLost!).count()).toBe(0);
      await page.getByRole('button', { name: t.next!, exact: true }).click();
      await page.getByRole('heading', { name: t.verifyTitle! }).waitFor();
      expect(await page.getByLabel(t.emailCode!).count()).toBe(1);
      await page.getByRole('button', { name: t.backToSignIn! }).click();

      await start();
      // The email code went out a moment ago and no second one goes now: the code from that email is still asked
      // for (it used to disappear), beside the password, and the page says why no new email came.
      expect(await page.getByLabel(t.emailCode!).count()).toBe(1);
      expect(await page.getByLabel(t.password!, { exact: true }).count()).toBe(1);
      expect(await page.getByTestId('email-cooldown').textContent()).toMatch(t.emailCooldown!.split('{seconds}')[0]!);

      await page.getByRole('button', { name: t.sendRequest! }).click();
      // Said at the proof asked for, not in a box.
      await fieldError(t.proofRequired!).waitFor();
      expect(await page.getByLabel(t.password!, { exact: true }).getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByRole('alert').count()).toBe(0);
      expect((await app.adminApi('GET', '/user-issues')).items.filter((issue: { user: { id: string } }) => issue.user.id === user.id)).toEqual([]);

      // A slip of the finger: refused at the field, what was typed stays, and the request is not filed yet.
      const typo = `${password}x`;
      await page.getByLabel(t.password!, { exact: true }).fill(typo);
      await page.getByRole('button', { name: t.sendRequest! }).click();
      await page.getByText(t.proofWrong!.replace('{left}', '2')).waitFor();
      expect(await page.getByLabel(t.password!, { exact: true }).inputValue()).toBe(typo);
      expect(await page.getByLabel(t.password!, { exact: true }).getAttribute('aria-invalid')).toBe('true');
      expect((await app.adminApi('GET', '/user-issues')).items.filter((issue: { user: { id: string } }) => issue.user.id === user.id)).toEqual([]);

      // The code from the one email sent (at the first start) proves this second start, with the password.
      const emails = (await app.adminApi('GET', `/messaging/outbox?channel=email&recipient=${encodeURIComponent(`${login}@example.com`)}`)).items;
      expect(emails).toHaveLength(1);
      await page.getByLabel(t.emailCode!).fill(/\b(\d{6})\b/.exec(emails[0].body)![1]!);
      await page.getByLabel(t.password!, { exact: true }).fill(password);
      await page.getByRole('button', { name: t.sendRequest! }).click();
      await page.getByRole('heading', { name: t.restoreDoneTitle! }).waitFor();
      const issue = (await app.adminApi('GET', '/user-issues')).items.find((item: { user: { id: string } }) => item.user.id === user.id);
      expect(issue.authenticators).toEqual({ password: 'verified', email: 'verified', token: 'lost' });
      // Nothing sticks out of a phone's width.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await context.close();
    });
  });
}

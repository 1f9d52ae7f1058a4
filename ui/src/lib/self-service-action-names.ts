/**
 * The self-service actions' names, said once for every page that names them: the portal's main page and action
 * headings, the resource's Self-Service tab, the admin activity. Verb first, in Title Case in English; in German
 * object first, then the verb, as German says it. A module without side effects (types only), so the string
 * catalogues that spread it load in Node too. Shaped as a dictionary pair ({ en, de }), so it is spread into a surface's
 * own dictionary.
 */
import type { Language } from '../../../worker/contract/language';
import type { SelfServiceAction } from '../../../worker/contract/selfservice';

export const SELF_SERVICE_ACTION_NAMES: Record<Language, Record<SelfServiceAction, string>> = {
  en: {
    registerNewToken: 'Register New Token',
    registerExistingToken: 'Register Existing Token',
    reassignToken: 'Reassign Token',
    unassignToken: 'Unassign Token',
    synchronizeToken: 'Synchronize Token',
    setupPin: 'Set Up PIN',
    removePin: 'Remove PIN',
    createPassword: 'Create Password',
    changePassword: 'Change Password',
    changeEmail: 'Change Email Address',
    changePhone: 'Change Phone Number',
    changeLogin: 'Change Login',
    changeName: 'Change Name',
    manageEnvironment: 'Manage User Environment',
    GenerateRecoveryCodes: 'Generate Recovery Codes',
  },
  de: {
    registerNewToken: 'Neues Token registrieren',
    registerExistingToken: 'Vorhandenes Token registrieren',
    reassignToken: 'Token austauschen',
    unassignToken: 'Token-Zuweisung aufheben',
    synchronizeToken: 'Token synchronisieren',
    setupPin: 'PIN einrichten',
    removePin: 'PIN entfernen',
    createPassword: 'Passwort anlegen',
    changePassword: 'Passwort ändern',
    changeEmail: 'E-Mail-Adresse ändern',
    changePhone: 'Telefonnummer ändern',
    changeLogin: 'Anmeldenamen ändern',
    changeName: 'Namen ändern',
    manageEnvironment: 'Benutzerumgebung verwalten',
    GenerateRecoveryCodes: 'Wiederherstellungscodes erzeugen',
  },
};


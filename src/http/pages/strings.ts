import type { FastifyRequest } from 'fastify';

/**
 * Every word a person reads on the server's pages, per language. A catalogue is plain text: the
 * pages escape it. Functions take the values that go into a sentence, so word order stays the
 * translator's.
 */
const en = {
  signInTitle: 'Sign in',
  signInHeading: (app: string) => `Sign in to continue to ${app}`,
  username: 'Username',
  password: 'Password',
  signIn: 'Sign in',
  wrongPassword: 'Wrong username or password.',
  throttled: (seconds: number) => `Too many attempts. Try again in ${seconds} seconds.`,
  consentTitle: 'Allow access',
  consentHeading: (app: string) => `${app} wants to access your account`,
  asksFor: 'It asks for:',
  noPermissions: 'no specific permissions',
  scopes: {
    openid: 'Know who you are',
    profile: 'See your name and profile',
    email: 'See your email address',
    offline_access: 'Stay signed in when you are away',
  } as Record<string, string>,
  signedInAs: 'Signed in as',
  notYou: 'Not you? Use another account',
  allow: 'Allow',
  deny: 'Deny',
  logo: (app: string) => `${app} logo`,
  visit: (host: string) => `About this application: ${host}`,
  documentHost: (host: string) => `Name and details come from ${host}`,
  signOutTitle: 'Sign out',
  signOutHeading: 'Sign out?',
  signOutOf: (app: string) =>
    `${app} asks to sign you out. You will be signed out of every application that uses this account here.`,
  signOutAny: 'You will be signed out of every application that uses this account here.',
  signOut: 'Sign out',
  cancel: 'Cancel',
  signedOutTitle: 'Signed out',
  signedOut: 'You are signed out',
  closeWindow: 'You can close this window.',
  stillSignedInTitle: 'Still signed in',
  stillSignedIn: 'You are still signed in',
  errorTitle: 'Sign-in error',
  errorHeading: 'This request cannot continue',
  errorNext:
    'Go back to the application and start again. If it happens again, tell the application’s support team and ' +
    'quote the code below.',
  errorCode: 'Error code',
  reference: 'Reference',
  continue: 'Continue',
  returning: 'Returning to the application…',
  deviceTitle: 'Connect a device',
  deviceHeading: 'Connect a device',
  deviceEnterCode: 'Enter the code your device shows.',
  userCode: 'Code',
  deviceUnknownCode: 'This code is not valid, was already used or has expired. Check the code on your device.',
  deviceConfirmCode: (code: string) => `Allow this only if your device shows the code ${code}.`,
  deviceApprovedTitle: 'Device connected',
  deviceApproved: (app: string) => `${app} is signed in on your device. You can close this window.`,
  deviceDeniedTitle: 'Device not connected',
  deviceDenied: 'The device was not signed in. You can close this window.',
  // The consent page: where the permissions apply (RFC 8707 resource indicators).
  forResources: 'For use at:',
};

export type Strings = typeof en;

const de: Strings = {
  signInTitle: 'Anmelden',
  signInHeading: (app) => `Anmelden, um mit ${app} fortzufahren`,
  username: 'Benutzername',
  password: 'Passwort',
  signIn: 'Anmelden',
  wrongPassword: 'Benutzername oder Passwort ist falsch.',
  throttled: (seconds) => `Zu viele Versuche. Bitte in ${seconds} Sekunden erneut versuchen.`,
  consentTitle: 'Zugriff erlauben',
  consentHeading: (app) => `${app} möchte auf Ihr Konto zugreifen`,
  asksFor: 'Die Anwendung bittet um:',
  noPermissions: 'keine besonderen Berechtigungen',
  scopes: {
    openid: 'Wissen, wer Sie sind',
    profile: 'Ihren Namen und Ihr Profil sehen',
    email: 'Ihre E-Mail-Adresse sehen',
    offline_access: 'Angemeldet bleiben, während Sie nicht da sind',
  },
  signedInAs: 'Angemeldet als',
  notYou: 'Nicht Sie? Anderes Konto verwenden',
  allow: 'Erlauben',
  deny: 'Ablehnen',
  logo: (app) => `Logo von ${app}`,
  visit: (host) => `Über diese Anwendung: ${host}`,
  documentHost: (host) => `Name und Angaben stammen von ${host}`,
  signOutTitle: 'Abmelden',
  signOutHeading: 'Abmelden?',
  signOutOf: (app) =>
    `${app} möchte Sie abmelden. Sie werden von allen Anwendungen abgemeldet, die dieses Konto hier verwenden.`,
  signOutAny: 'Sie werden von allen Anwendungen abgemeldet, die dieses Konto hier verwenden.',
  signOut: 'Abmelden',
  cancel: 'Abbrechen',
  signedOutTitle: 'Abgemeldet',
  signedOut: 'Sie sind abgemeldet',
  closeWindow: 'Sie können dieses Fenster schließen.',
  stillSignedInTitle: 'Weiterhin angemeldet',
  stillSignedIn: 'Sie sind weiterhin angemeldet',
  errorTitle: 'Anmeldefehler',
  errorHeading: 'Diese Anfrage kann nicht fortgesetzt werden',
  errorNext:
    'Kehren Sie zur Anwendung zurück und beginnen Sie erneut. Wenn es wieder passiert, wenden Sie sich an den ' +
    'Support der Anwendung und nennen Sie den folgenden Code.',
  errorCode: 'Fehlercode',
  reference: 'Referenz',
  continue: 'Weiter',
  returning: 'Zurück zur Anwendung…',
  deviceTitle: 'Gerät verbinden',
  deviceHeading: 'Gerät verbinden',
  deviceEnterCode: 'Geben Sie den Code ein, den Ihr Gerät anzeigt.',
  userCode: 'Code',
  deviceUnknownCode:
    'Dieser Code ist ungültig, wurde schon verwendet oder ist abgelaufen. Prüfen Sie den Code auf Ihrem Gerät.',
  deviceConfirmCode: (code) => `Erlauben Sie dies nur, wenn Ihr Gerät den Code ${code} anzeigt.`,
  deviceApprovedTitle: 'Gerät verbunden',
  deviceApproved: (app) => `${app} ist auf Ihrem Gerät angemeldet. Sie können dieses Fenster schließen.`,
  deviceDeniedTitle: 'Gerät nicht verbunden',
  deviceDenied: 'Das Gerät wurde nicht angemeldet. Sie können dieses Fenster schließen.',
  // The consent page: where the permissions apply (RFC 8707 resource indicators).
  forResources: 'Zur Verwendung bei:',
};

const CATALOGUES = { en, de } as const;
export type Locale = keyof typeof CATALOGUES;
/** For discovery's ui_locales_supported; the first is the default. */
export const SUPPORTED_LOCALES = Object.keys(CATALOGUES) as Locale[];

export const stringsFor = (locale: Locale): Strings => CATALOGUES[locale];

/** A BCP 47 tag's language ("de-CH" → "de") when there is a catalogue for it. */
function supported(tag: string): Locale | undefined {
  const language = tag.trim().split('-')[0].toLowerCase();
  return Object.hasOwn(CATALOGUES, language) ? (language as Locale) : undefined;
}

/** Accept-Language's tags, most wanted first (RFC 9110 §12.5.4); q=0 means "not this one". */
function acceptLanguageTags(header: string): string[] {
  return header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((t) => t.tag !== '' && t.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((t) => t.tag);
}

/** Header and parameter lengths past which nobody's language list goes: bounds the parse. */
const MAX_LIST = 512;

/**
 * The language of the page: the first supported tag of `ui_locales` (OIDC Core §3.1.2.1; the forms
 * carry the choice on as a hidden field of that name), else of Accept-Language, else English.
 */
export function localeOf(request: FastifyRequest): Locale {
  const fromParams = (source: unknown) => {
    const value = (source as Record<string, unknown> | undefined)?.ui_locales;
    return typeof value === 'string' ? value.slice(0, MAX_LIST).split(' ') : [];
  };
  const header = request.headers['accept-language'];
  const tags = [
    ...fromParams(request.body),
    ...fromParams(request.query),
    ...(typeof header === 'string' ? acceptLanguageTags(header.slice(0, MAX_LIST)) : []),
  ];
  for (const tag of tags) {
    const locale = supported(tag);
    if (locale) return locale;
  }
  return SUPPORTED_LOCALES[0];
}

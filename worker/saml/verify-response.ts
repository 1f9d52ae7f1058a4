/**
 * Verification of a SAML 2.0 Response posted to the ACS (Web Browser SSO profile, HTTP-POST binding).
 *
 * Built on xml-crypto + @xmldom/xmldom, the libraries @node-saml/node-saml 5.1 uses, following its
 * `getVerifiedXml` (one enveloped signature per element, one reference to that element's own unique ID, at most two
 * transforms, identity read only from what the signature covers), with the document parsed once: the signatures
 * are checked on that DOM (./xml-signature.ts) and the identity is read from the elements they cover. We do not call node-saml's
 * `validatePostResponseAsync` itself: it reads the wall clock (the clock must be a parameter here), does not check
 * Recipient/Destination, accepts a DOCTYPE, has no replay cache and does not check InResponseTo by default. Those
 * checks are done here, each with a reason code:
 *
 *   size limit; DOCTYPE/ENTITY/processing instructions refused and element nesting bounded (SAML_MAX_XML_DEPTH)
 *   before parsing; strict parse; exactly one assertion (no encrypted ones, no stray copies elsewhere in the
 *   message); every signature present must verify against the configured certificate only (KeyInfo ignored), with
 *   SHA-256/512 (SHA-1 only when the configuration allows it), and the assertion itself must be signed (a Response
 *   signature alone only when the configuration allows it); the identity, the conditions and the attributes come
 *   from the signed elements only; Issuer = IdP entityId; Audience = spEntityId; bearer SubjectConfirmation with
 *   Recipient = ACS URL; Destination = ACS URL when present; an AuthnStatement; time windows with
 *   SAML_CLOCK_SKEW_MS; a NameID without invisible characters (worker/lib/identity.ts); then (stateful)
 *   InResponseTo consumed once and the assertion ID accepted once.
 *
 * Bad responses are results, never exceptions.
 *
 * Advisories checked for the pinned versions (package-lock.json): xml-crypto 6.3.2 is past the fixes for
 * CVE-2025-29774 and CVE-2025-29775 (signature bypass by modified/injected DigestValue, fixed in 6.0.1; the
 * SignedInfo reading of ./xml-signature.ts, which replaces `checkSignature`, has the tests of those shapes in
 * test/security/saml-signature-structure.test.ts), and
 * @xmldom/xmldom 0.9.12 past CVE-2022-39353 (multiple root elements, fixed in 0.9.0) and CVE-2022-37616. The attack
 * shapes those bugs relied on (several roots, DOCTYPEs, comments and PIs inside signed values) have their own
 * tests in test/security/saml-*.test.ts, so a regression in a future version is caught here, not in production.
 */
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { SAML_CLOCK_SKEW_MS, SAML_MAX_RESPONSE_XML_BYTES, SAML_MAX_XML_DEPTH } from '../constants';
import { sha256Hex } from '../lib/crypto';
import { readIdentity } from '../lib/identity';
import { pemOf } from './certificate';
import type { SamlConfig } from './config';
import { consumePendingRequestStatement, findPendingRequest, isAssertionUsed, useAssertionStatement } from './repo';
import { countIds, verifyEnvelopedSignature } from './xml-signature';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export type SamlRejectReason =
  | 'response_missing'
  | 'too_large'
  | 'malformed'
  | 'too_deep'
  | 'doctype_refused'
  | 'processing_instruction_refused'
  | 'line_separator_refused'
  | 'not_a_response'
  | 'version_unsupported'
  | 'status_not_success'
  | 'assertion_count'
  | 'encrypted_assertion_unsupported'
  | 'signature_missing'
  | 'signature_invalid'
  | 'sha1_refused'
  | 'assertion_not_signed'
  | 'issuer_mismatch'
  | 'destination_mismatch'
  | 'audience_mismatch'
  | 'recipient_mismatch'
  | 'no_bearer_confirmation'
  | 'not_yet_valid'
  | 'expired'
  | 'name_id_missing'
  | 'identity_invisible_character'
  | 'authn_statement_missing'
  | 'in_response_to_mismatch'
  | 'assertion_id_missing'
  | 'unsolicited'
  | 'in_response_to_unknown'
  | 'request_not_from_this_browser'
  | 'replayed';

export interface VerifiedAssertion {
  assertionId: string;
  issuer: string;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /** Attribute name -> values, from the signed assertion only. */
  attributes: Record<string, string[]>;
  /** InResponseTo from the signed content (SubjectConfirmationData, else a signed Response), or null. */
  inResponseTo: string | null;
  /** Until when this assertion could be presented (latest NotOnOrAfter + skew): the replay cache keeps its ID so long. */
  usableUntilMs: number;
  signed: 'response' | 'assertion' | 'both';
}

export type ResponseVerdict =
  | { ok: true; assertion: VerifiedAssertion }
  | { ok: false; reason: SamlRejectReason; detail?: string; /** The signed NameID, when the refusal came after the signature checks. */ nameId?: string };

export interface VerifyOptions {
  /** The two relaxations default to off: configurations saved before they existed do not carry them. */
  config: Pick<SamlConfig, 'entityId' | 'spEntityId' | 'certificate'> & Partial<Pick<SamlConfig, 'allowSha1Signatures' | 'allowResponseOnlySignatures'>>;
  /** This SP's ACS URL (origin + /saml/acs): Recipient and Destination must name it. */
  acsUrl: string;
  nowMs: number;
  /**
   * Only for third-party test fixtures whose fixed values cannot name our endpoints or that carry no Audience.
   * No route passes this; every relaxed check is tested on its own with fresh responses.
   */
  relaxForFixtures?: { audience?: boolean; recipient?: boolean; destination?: boolean };
}

const reject = (reason: SamlRejectReason, detail?: string): ResponseVerdict => ({ ok: false, reason, detail });

// ---------------------------------------------------------------- decoding and screening

/** Base64 of the form field -> XML text, within the size limit. */
export function decodeSamlResponse(field: string | null | undefined): { ok: true; xml: string } | { ok: false; reason: SamlRejectReason } {
  if (!field) return { ok: false, reason: 'response_missing' };
  const compact = field.replace(/[\r\n\t ]+/g, '');
  // 4 Base64 characters carry 3 bytes: refuse oversized input before decoding it.
  if ((compact.length / 4) * 3 > SAML_MAX_RESPONSE_XML_BYTES + 3) return { ok: false, reason: 'too_large' };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return { ok: false, reason: 'malformed' };
  let binary: string;
  try {
    binary = atob(compact);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  // A plain loop: Uint8Array.from(string, mapper) goes through the iterator protocol and took a third of the
  // verification time.
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (bytes.byteLength > SAML_MAX_RESPONSE_XML_BYTES) return { ok: false, reason: 'too_large' };
  try {
    return { ok: true, xml: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}

/** XML 1.1 line ends that @xmldom/xmldom rewrites to a line feed while parsing. */
const LINE_SEPARATORS = /[\u2028\u2029\u0085]/;

/**
 * Refuses what a SAML message never needs and attacks rely on, before any parser sees it: a DOCTYPE (entity
 * expansion, external entities), entity declarations, processing instructions (xml-crypto drops them from the
 * canonical form, so `<NameID>admin<?x?>@evil</NameID>` would read differently than it was signed), characters the
 * parser rewrites, and nesting deeper than SAML_MAX_XML_DEPTH. Only the XML declaration at the very start is allowed.
 */
export function screenXml(xml: string): SamlRejectReason | null {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) return 'doctype_refused';
  const body = xml.replace(/^\uFEFF?<\?xml\s[^<>?]*\?>/, '');
  if (body.includes('<?')) return 'processing_instruction_refused';
  // Any other markup declaration (`<!ELEMENT`, `<!ATTLIST`, ...) outside comments and CDATA.
  if (/<!(?!--|\[CDATA\[)/.test(body)) return 'doctype_refused';
  // @xmldom/xmldom turns a raw U+2028, U+2029 or U+0085 into a line feed (XML 1.1 line ends), which trimming then
  // removes: "\u2028alice@example.com" would read as alice@example.com. SAML has no use for them.
  if (LINE_SEPARATORS.test(body)) return 'line_separator_refused';
  if (!nestingWithin(body, SAML_MAX_XML_DEPTH)) return 'too_deep';
  return null;
}

/**
 * Whether no element nests deeper than `maxDepth`, by a scan of the text (no parser involved). @xmldom/xmldom's
 * tree operations and xml-crypto's canonicalization recurse once per level, so thousands of nested elements would
 * overflow the stack inside them; this scan is iterative and runs before either sees the document. It follows
 * tags, quoted attribute values (which may hold '>'), comments and CDATA; what it cannot follow is malformed, and
 * the strict parser after it refuses that.
 */
export function nestingWithin(xml: string, maxDepth: number): boolean {
  let depth = 0;
  let at = 0;
  while ((at = xml.indexOf('<', at)) !== -1) {
    if (xml.startsWith('<!--', at)) {
      const end = xml.indexOf('-->', at + 4);
      if (end === -1) return true;
      at = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', at)) {
      const end = xml.indexOf(']]>', at + 9);
      if (end === -1) return true;
      at = end + 3;
      continue;
    }
    let end = at + 1;
    let quote = '';
    for (; end < xml.length; end++) {
      const char = xml[end]!;
      if (quote) {
        if (char === quote) quote = '';
      } else if (char === '"' || char === "'") quote = char;
      else if (char === '>') break;
    }
    if (end >= xml.length) return true;
    if (xml[at + 1] === '/') depth--;
    else if (xml[end - 1] !== '/' && xml[at + 1] !== '?' && xml[at + 1] !== '!' && ++depth > maxDepth) return false;
    at = end + 1;
  }
  return true;
}

export function parseXmlStrict(xml: string): Document | null {
  try {
    const doc = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(xml, 'text/xml');
    return doc.documentElement ? doc : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- DOM helpers

function childElements(parent: Node, ns: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === localName && (node as Element).namespaceURI === ns) found.push(node as Element);
  }
  return found;
}

function childElement(parent: Node | null | undefined, ns: string, localName: string): Element | null {
  return parent ? (childElements(parent, ns, localName)[0] ?? null) : null;
}

function isElementNamed(node: Node | null | undefined, ns: string, localName: string): node is Element {
  return !!node && node.nodeType === 1 && (node as Element).localName === localName && (node as Element).namespaceURI === ns;
}

function textOf(element: Element | null): string | null {
  return element ? (element.textContent ?? '') : null;
}

function attr(element: Element | null, name: string): string | null {
  if (!element || !element.hasAttribute(name)) return null;
  return element.getAttribute(name);
}

function parseInstantMs(value: string | null): number | null {
  if (value === null) return null;
  // xs:dateTime with an explicit zone (SAML asks for "Z"; some IdPs write +00:00). Without a zone the instant
  // would depend on the reader's time zone, so it is refused.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return Number.NaN;
  return Date.parse(value);
}

// ---------------------------------------------------------------- the response

/** Pure checks of one decoded response: everything except the InResponseTo and replay state. */
export function verifyResponseXml(text: string, options: VerifyOptions): ResponseVerdict {
  const xml = text.replace(/^\uFEFF/, '');
  if (new TextEncoder().encode(xml).byteLength > SAML_MAX_RESPONSE_XML_BYTES) return reject('too_large');
  const screened = screenXml(xml);
  if (screened) return reject(screened);
  const doc = parseXmlStrict(xml);
  if (!doc) return reject('malformed');
  const response = doc.documentElement!;
  if (!isElementNamed(response, NS.protocol, 'Response')) return reject('not_a_response');
  if (response.getAttribute('Version') !== '2.0') return reject('version_unsupported');

  const statusCode = childElement(childElement(response, NS.protocol, 'Status'), NS.protocol, 'StatusCode');
  if (attr(statusCode, 'Value') !== STATUS_SUCCESS) return reject('status_not_success', attr(statusCode, 'Value') ?? undefined);

  if (childElements(response, NS.assertion, 'EncryptedAssertion').length > 0) return reject('encrypted_assertion_unsupported');
  const assertions = childElements(response, NS.assertion, 'Assertion');
  if (assertions.length !== 1) return reject('assertion_count', `${assertions.length} assertions`);
  const outerAssertion = assertions[0]!;
  // Copies of an assertion anywhere else (Extensions, inside a Signature's Object, ...) are the raw material of
  // signature wrapping; only assertions inside the assertion's own Advice are legitimate.
  const everyAssertion = doc.getElementsByTagNameNS(NS.assertion, 'Assertion');
  for (let i = 0; i < everyAssertion.length; i++) {
    const other = everyAssertion.item(i)!;
    if (other !== outerAssertion && !isInsideAdviceOf(other, outerAssertion)) return reject('assertion_count', 'an assertion outside the response');
  }

  const certificatePem = pemOf(options.config.certificate);
  const responseSignatures = childElements(response, NS.dsig, 'Signature');
  const assertionSignatures = childElements(outerAssertion, NS.dsig, 'Signature');
  if (responseSignatures.length > 1 || assertionSignatures.length > 1) return reject('signature_invalid', 'more than one signature on an element');
  if (responseSignatures.length === 0 && assertionSignatures.length === 0) return reject('signature_missing');

  // What the SP metadata promises (WantAssertionsSigned): the assertion carries its own signature, so it stays
  // verifiable wherever it travels, unless the configuration accepts a Response signature alone.
  if (assertionSignatures.length === 0 && !options.config.allowResponseOnlySignatures) return reject('assertion_not_signed');

  const allowSha1 = options.config.allowSha1Signatures === true;
  const idCounts = countIds(doc);
  const covered: string[] = [];
  // Every signature present must verify: a broken one is never outweighed by another.
  if (responseSignatures.length === 1) {
    const checked = verifyEnvelopedSignature(response, responseSignatures[0]!, certificatePem, allowSha1, idCounts);
    if (!checked.ok) return reject(checked.reason, 'response signature');
    covered.push(checked.covered);
  }
  if (assertionSignatures.length === 1) {
    const checked = verifyEnvelopedSignature(outerAssertion, assertionSignatures[0]!, certificatePem, allowSha1, idCounts);
    if (!checked.ok) return reject(checked.reason, 'assertion signature');
    covered.push(checked.covered);
  }
  const responseSigned = responseSignatures.length === 1;
  const assertionSigned = assertionSignatures.length === 1;

  // From here on, read only what a signature covers: the signed Response (when it is signed) and the assertion,
  // which is the element a signature referenced by its unique ID or lies inside the signed Response. They are read
  // from the DOM the digests were computed from, never re-parsed; the enveloped Signature elements they still hold
  // are never read from (every read below names a SAML element). Canonical XML writes a character reference like
  // &#x2028; as the raw character, which the parser would have turned into a line feed had it been sent raw (see
  // screenXml): refused here too, as the same identity must not pass one way and fail the other.
  if (covered.some((bytes) => LINE_SEPARATORS.test(bytes))) return reject('line_separator_refused');
  const assertion = outerAssertion;
  if (assertion.getAttribute('Version') !== '2.0') return reject('version_unsupported');
  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) return reject('assertion_id_missing');
  // Refusals from here on concern a response the IdP did sign: they carry its NameID for the attempt log.
  const signedNameId = (childElement(childElement(assertion, NS.assertion, 'Subject'), NS.assertion, 'NameID')?.textContent ?? '').replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '') || undefined;
  const rejectSigned = (reason: SamlRejectReason, detail?: string): ResponseVerdict => ({ ok: false, reason, detail, nameId: signedNameId });

  const issuer = (textOf(childElement(assertion, NS.assertion, 'Issuer')) ?? '').trim();
  if (issuer !== options.config.entityId) return rejectSigned('issuer_mismatch', issuer);
  const responseIssuer = textOf(childElement(response, NS.assertion, 'Issuer'));
  if (responseIssuer !== null && responseIssuer.trim() !== options.config.entityId) return rejectSigned('issuer_mismatch', responseIssuer);

  // Destination is optional in the schema (an unsigned Response may omit it); when present it must be us.
  const destination = attr(response, 'Destination');
  if (destination !== null && destination !== '' && destination !== options.acsUrl && !options.relaxForFixtures?.destination) {
    return rejectSigned('destination_mismatch', destination);
  }

  const now = options.nowMs;
  const skew = SAML_CLOCK_SKEW_MS;
  let usableUntilMs = 0;
  const checkWindow = (notBefore: string | null, notOnOrAfter: string | null): SamlRejectReason | null => {
    const from = parseInstantMs(notBefore);
    const until = parseInstantMs(notOnOrAfter);
    if (Number.isNaN(from) || Number.isNaN(until)) return 'malformed';
    if (from !== null && now + skew < from) return 'not_yet_valid';
    if (until !== null) {
      if (now - skew >= until) return 'expired';
      usableUntilMs = Math.max(usableUntilMs, until + skew);
    }
    return null;
  };

  const conditions = childElement(assertion, NS.assertion, 'Conditions');
  if (conditions) {
    const problem = checkWindow(attr(conditions, 'NotBefore'), attr(conditions, 'NotOnOrAfter'));
    if (problem) return rejectSigned(problem, 'Conditions');
  }
  if (!options.relaxForFixtures?.audience) {
    // Each AudienceRestriction must include us (SAML core §2.5.1.4); the Web SSO profile requires at least one.
    const restrictions = conditions ? childElements(conditions, NS.assertion, 'AudienceRestriction') : [];
    if (restrictions.length === 0) return rejectSigned('audience_mismatch', 'no AudienceRestriction');
    for (const restriction of restrictions) {
      const audiences = childElements(restriction, NS.assertion, 'Audience').map((a) => (a.textContent ?? '').trim());
      if (!audiences.includes(options.config.spEntityId)) return rejectSigned('audience_mismatch', audiences.join(' '));
    }
  }

  const subject = childElement(assertion, NS.assertion, 'Subject');
  const nameIdElement = childElement(subject, NS.assertion, 'NameID');
  const confirmations = subject ? childElements(subject, NS.assertion, 'SubjectConfirmation').filter((c) => c.getAttribute('Method') === BEARER) : [];
  if (confirmations.length === 0) return rejectSigned('no_bearer_confirmation');
  let confirmationProblem: { reason: SamlRejectReason; detail?: string } | null = null;
  let confirmationData: Element | null = null;
  for (const confirmation of confirmations) {
    const data = childElement(confirmation, NS.assertion, 'SubjectConfirmationData');
    const recipient = attr(data, 'Recipient');
    let problem: { reason: SamlRejectReason; detail?: string } | null = null;
    if (!data || attr(data, 'NotOnOrAfter') === null) problem = { reason: 'no_bearer_confirmation', detail: 'bearer confirmation without NotOnOrAfter' };
    else if (recipient !== options.acsUrl && !options.relaxForFixtures?.recipient) problem = { reason: 'recipient_mismatch', detail: recipient ?? '(none)' };
    else {
      const windowProblem = checkWindow(attr(data, 'NotBefore'), attr(data, 'NotOnOrAfter'));
      if (windowProblem) problem = { reason: windowProblem, detail: 'SubjectConfirmationData' };
    }
    if (!problem) {
      confirmationData = data;
      break;
    }
    confirmationProblem ??= problem;
  }
  if (!confirmationData) return rejectSigned(confirmationProblem!.reason, confirmationProblem!.detail);

  // The Web Browser SSO profile (§4.1.4.2) requires one: an assertion without it says who someone is, not that they
  // just authenticated (attribute queries answer such assertions), so it must not open a session.
  const authnStatement = childElement(assertion, NS.assertion, 'AuthnStatement');
  if (!authnStatement) return rejectSigned('authn_statement_missing');
  const sessionEnd = parseInstantMs(attr(authnStatement, 'SessionNotOnOrAfter'));
  if (Number.isNaN(sessionEnd)) return rejectSigned('malformed');
  if (sessionEnd !== null && now - skew >= sessionEnd) return rejectSigned('expired', 'SessionNotOnOrAfter');

  if (!nameIdElement) return rejectSigned('name_id_missing');
  const nameIdReading = readIdentity(textOf(nameIdElement) ?? '');
  if (!nameIdReading.ok) return rejectSigned(nameIdReading.reason, nameIdReading.codePoint);
  const nameId = nameIdReading.value;
  if (nameId === '') return rejectSigned('name_id_missing');

  // InResponseTo: the signed SubjectConfirmationData's, else a signed Response's. Two values that disagree are refused.
  const confirmationIrt = attr(confirmationData, 'InResponseTo');
  const responseIrt = attr(response, 'InResponseTo');
  if (confirmationIrt !== null && responseIrt !== null && confirmationIrt !== responseIrt) return rejectSigned('in_response_to_mismatch');
  const inResponseTo = confirmationIrt ?? (responseSigned ? responseIrt : null);
  if (inResponseTo === null && responseIrt !== null) return rejectSigned('in_response_to_mismatch', 'InResponseTo on an unsigned Response only');

  const attributes: Record<string, string[]> = Object.create(null);
  for (const statement of childElements(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of childElements(statement, NS.assertion, 'Attribute')) {
      const name = attribute.getAttribute('Name');
      if (!name) continue;
      const values = childElements(attribute, NS.assertion, 'AttributeValue').map((value) => value.textContent ?? '');
      attributes[name] = [...(attributes[name] ?? []), ...values];
    }
  }

  return {
    ok: true,
    assertion: {
      assertionId,
      issuer,
      nameId,
      nameIdFormat: attr(nameIdElement, 'Format'),
      sessionIndex: attr(authnStatement, 'SessionIndex'),
      attributes,
      inResponseTo,
      usableUntilMs,
      signed: responseSigned && assertionSigned ? 'both' : responseSigned ? 'response' : 'assertion',
    },
  };
}

function isInsideAdviceOf(node: Element, assertion: Element): boolean {
  for (let parent = node.parentNode; parent; parent = parent.parentNode) {
    if (isElementNamed(parent, NS.assertion, 'Advice')) return parent.parentNode === assertion;
  }
  return false;
}

// ---------------------------------------------------------------- state: pending requests and the replay cache

export const SAML_REQUEST_PURPOSE = 'saml-request';

/** The challenges row id of a pending AuthnRequest. */
export function pendingRequestKey(requestId: string): Promise<string> {
  return sha256Hex(`saml-request:${requestId}`);
}

export interface PendingRequestData {
  returnTo: string;
  /** SHA-256 of the browser cookie set when the request was sent: the response must come back to that browser. */
  browserBinding: string;
}

export type SamlVerdict =
  | { ok: true; assertion: VerifiedAssertion; spInitiated: boolean; returnTo: string | null }
  | { ok: false; reason: SamlRejectReason; detail?: string; nameId?: string; assertion?: VerifiedAssertion };

export interface VerifySamlInput extends VerifyOptions {
  /** The SAMLResponse form field (Base64). */
  samlResponse: string | null | undefined;
  config: VerifyOptions['config'] & Pick<SamlConfig, 'allowIdpInitiated'>;
  /** The request-binding cookie this browser presented (null when absent). */
  browserToken: string | null;
}

/**
 * The whole ACS verification: the pure checks, then InResponseTo against a pending request of this browser
 * (consumed once) or, without InResponseTo, IdP-initiated only when configured, then the assertion ID accepted once.
 * Both state changes are conditional statements in one D1 batch: of two concurrent posts of one response, one wins.
 */
export async function verifySamlResponse(db: D1Database, input: VerifySamlInput): Promise<SamlVerdict> {
  const decoded = decodeSamlResponse(input.samlResponse);
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  const verdict = verifyResponseXml(decoded.xml, input);
  if (!verdict.ok) return verdict;
  const { assertion } = verdict;
  const nowMs = input.nowMs;

  let pendingKey: string | null = null;
  let returnTo: string | null = null;
  if (assertion.inResponseTo !== null) {
    pendingKey = await pendingRequestKey(assertion.inResponseTo);
    const pending = await findPendingRequest(db, pendingKey, SAML_REQUEST_PURPOSE, nowMs);
    if (pending === null) return { ok: false, reason: (await isReplay(db, assertion)) ? 'replayed' : 'in_response_to_unknown', assertion };
    const data = JSON.parse(pending) as PendingRequestData;
    // Login CSRF: a response obtained by someone else for their own request must not sign in this browser.
    if (!input.browserToken || (await sha256Hex(input.browserToken)) !== data.browserBinding) return { ok: false, reason: 'request_not_from_this_browser', assertion };
    returnTo = data.returnTo;
  } else if (!input.config.allowIdpInitiated) {
    return { ok: false, reason: 'unsolicited', assertion };
  }

  const replayKey = await replayKeyOf(assertion);
  const statements = [useAssertionStatement(db, replayKey, Math.max(assertion.usableUntilMs, nowMs + SAML_CLOCK_SKEW_MS))];
  if (pendingKey) statements.push(consumePendingRequestStatement(db, pendingKey, SAML_REQUEST_PURPOSE, nowMs));
  const [inserted, consumed] = await db.batch(statements);
  if (inserted!.meta.changes !== 1) return { ok: false, reason: 'replayed', assertion };
  if (consumed && consumed.meta.changes !== 1) return { ok: false, reason: 'in_response_to_unknown', assertion };
  return { ok: true, assertion, spInitiated: pendingKey !== null, returnTo };
}

/** Assertion IDs are unique per issuer; the key is bounded in size whatever the ID's length. */
function replayKeyOf(assertion: VerifiedAssertion): Promise<string> {
  return sha256Hex(`${assertion.issuer}\n${assertion.assertionId}`);
}

async function isReplay(db: D1Database, assertion: VerifiedAssertion): Promise<boolean> {
  return isAssertionUsed(db, await replayKeyOf(assertion));
}

/**
 * IdP metadata (SAML metadata 2.0) -> the configuration fields entityId, singleSignOnServiceUrl and certificate,
 * and the same fields merged into the administrator's YAML (comments and other keys kept).
 */
import { isMap, parseDocument } from 'yaml';
import { SAML_MAX_XML_DEPTH } from '../constants';
import { AppError } from '../errors';
import { checkCertificate } from './certificate';
import { parseXmlStrict, screenXml } from './verify-response';
import type { Element, Node } from '@xmldom/xmldom';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface ImportedIdp {
  entityId: string;
  singleSignOnServiceUrl: string;
  /** The binding of that location: we send AuthnRequests by HTTP-Redirect, so that one is preferred. */
  binding: 'HTTP-Redirect' | 'HTTP-POST';
  certificate: string;
  /** Other signing certificates (key rollover); only the first is configured. */
  otherCertificates: string[];
  warnings: string[];
}

function children(parent: Node, ns: string, name: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === name && (node as Element).namespaceURI === ns) found.push(node as Element);
  }
  return found;
}

function descendants(parent: Element, ns: string, name: string): Element[] {
  const list = parent.getElementsByTagNameNS(ns, name);
  return Array.from({ length: list.length }, (_, i) => list.item(i)!);
}

export function parseIdpMetadata(xml: string, wantedEntityId?: string): ImportedIdp {
  const text = xml.replace(/^\uFEFF/, '').trim();
  const refused = screenXml(text);
  if (refused === 'too_deep') throw new AppError('SAML_XML_TOO_DEEP', `The metadata nests elements more than ${SAML_MAX_XML_DEPTH} levels deep.`);
  if (refused === 'line_separator_refused') throw new AppError('SAML_METADATA_INVALID', 'Metadata with the characters U+2028, U+2029 or U+0085 is not accepted.');
  if (refused) throw new AppError('SAML_METADATA_INVALID', 'Metadata with a DOCTYPE, entities or processing instructions is not accepted.');
  const doc = parseXmlStrict(text);
  if (!doc) throw new AppError('SAML_METADATA_INVALID', 'The metadata is not well-formed XML.');
  const root = doc.documentElement!;
  if (root.namespaceURI !== MD || (root.localName !== 'EntityDescriptor' && root.localName !== 'EntitiesDescriptor')) {
    throw new AppError('SAML_METADATA_INVALID', 'Expected an md:EntityDescriptor (or md:EntitiesDescriptor).');
  }
  const entities = (root.localName === 'EntityDescriptor' ? [root] : descendants(root, MD, 'EntityDescriptor')).filter(
    (entity) => children(entity, MD, 'IDPSSODescriptor').length > 0,
  );
  const candidates = wantedEntityId ? entities.filter((entity) => entity.getAttribute('entityID') === wantedEntityId) : entities;
  if (candidates.length === 0) throw new AppError('SAML_METADATA_INVALID', wantedEntityId ? `No IdP with entityID ${wantedEntityId} in the metadata.` : 'The metadata describes no identity provider (IDPSSODescriptor).');
  if (candidates.length > 1) {
    throw new AppError('SAML_METADATA_INVALID', 'The metadata describes several identity providers; choose one by its entityID.', {
      entityIds: candidates.map((entity) => entity.getAttribute('entityID')),
    });
  }
  const entity = candidates[0]!;
  const entityId = entity.getAttribute('entityID') ?? '';
  if (!entityId) throw new AppError('SAML_METADATA_INVALID', 'The EntityDescriptor has no entityID.');

  const warnings: string[] = [];
  const idp = children(entity, MD, 'IDPSSODescriptor').find((descriptor) => (descriptor.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(PROTOCOL));
  if (!idp) throw new AppError('SAML_METADATA_INVALID', 'The IDPSSODescriptor does not support SAML 2.0.');

  const services = children(idp, MD, 'SingleSignOnService');
  const redirect = services.find((service) => service.getAttribute('Binding') === BINDING_REDIRECT);
  const post = services.find((service) => service.getAttribute('Binding') === BINDING_POST);
  const chosen = redirect ?? post;
  if (!chosen || !chosen.getAttribute('Location')) throw new AppError('SAML_METADATA_INVALID', 'No SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.');
  if (!redirect) warnings.push('The IdP lists no HTTP-Redirect SingleSignOnService; its HTTP-POST location was taken. Sign-in sends requests by redirect, which most IdPs accept at the same address.');

  const certificates: string[] = [];
  for (const key of children(idp, MD, 'KeyDescriptor')) {
    const use = key.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const data of descendants(key, DS, 'X509Certificate')) {
      const checked = checkCertificate(data.textContent ?? '');
      if (checked.ok && !certificates.includes(checked.base64)) certificates.push(checked.base64);
      else if (!checked.ok) warnings.push(`A certificate in the metadata was skipped: ${checked.message}`);
    }
  }
  if (certificates.length === 0) throw new AppError('SAML_METADATA_INVALID', 'The metadata holds no signing certificate (KeyDescriptor use="signing" with an X509Certificate).');
  if (certificates.length > 1) warnings.push(`The metadata lists ${certificates.length} signing certificates; the first was taken. Check which one your IdP signs with.`);

  return {
    entityId,
    singleSignOnServiceUrl: chosen.getAttribute('Location')!.trim(),
    binding: redirect ? 'HTTP-Redirect' : 'HTTP-POST',
    certificate: certificates[0]!,
    otherCertificates: certificates.slice(1),
    warnings,
  };
}

/** Writes the imported fields into the YAML text (a new document when it is empty or unreadable as a mapping). */
export function mergeIdpIntoYaml(yaml: string, idp: Pick<ImportedIdp, 'entityId' | 'singleSignOnServiceUrl' | 'certificate'>): string {
  const doc = parseDocument(yaml.trim() === '' ? 'version: "1.0"\nconfig: {}\n' : yaml);
  if (doc.errors.length > 0 || (doc.contents !== null && !isMap(doc.contents))) {
    throw new AppError('SAML_CONFIG_INVALID', 'Fix the YAML errors before importing metadata into it.');
  }
  if (!doc.has('version')) doc.set('version', '1.0');
  if (!isMap(doc.get('config'))) doc.set('config', doc.createNode({}));
  doc.setIn(['config', 'entityId'], idp.entityId);
  doc.setIn(['config', 'singleSignOnServiceUrl'], idp.singleSignOnServiceUrl);
  doc.setIn(['config', 'certificate'], idp.certificate);
  return doc.toString({ lineWidth: 0 });
}

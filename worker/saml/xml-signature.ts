/**
 * XML-DSig core validation of one enveloped signature of a SAML message, on the DOM the verifier already parsed.
 *
 * xml-crypto's `SignedXml.checkSignature` takes the document as a string: it parses it again, finds the signed
 * element and the ancestors' namespaces with XPath queries over the whole document, clones the element deep to
 * remove the signature from it, parses the canonical SignedInfo again, and the caller then parses the covered bytes
 * a third time to read from them. Here the same steps run on the one DOM: the referenced element is the one the
 * caller passes (its ID named by the Reference and unique in the document), the enveloped transform skips the
 * signature while xml-crypto's own canonicalizers serialize the element in place, and xml-crypto's digest and
 * signature algorithms do the math. What is read afterwards is read from that same element, so there is nothing
 * to re-parse: apart from the enveloped signature, which no SAML read enters, comments and processing
 * instructions are the only nodes canonicalization leaves out; the DOM's textContent leaves them out as well, and
 * processing instructions never get this far (screenXml).
 *
 * Checks, each refused as `signature_invalid` unless noted: exactly one SignedInfo, CanonicalizationMethod,
 * SignatureMethod, SignatureValue and Reference (counted by local name in any namespace, so a look-alike in a
 * foreign namespace is a second one, not an ignored one); the Reference names the element by its own ID; at most
 * two transforms: the enveloped one and one C14N; signature and digest algorithms on the allow-list,
 * SHA-1 ones only when allowed (`sha1_refused`); the element's ID carried by no other element under ID, Id or id;
 * digest and signature verified against the configured certificate only (KeyInfo is never read).
 */
import { createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Element, Node } from '@xmldom/xmldom';
import { C14nCanonicalization, ExclusiveCanonicalization, SignedXml } from 'xml-crypto';
import { findAncestorNsForElement } from 'xml-crypto/lib/utils';

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const XMLNS = 'http://www.w3.org/2000/xmlns/';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const INCLUSIVE_C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';

/** C14N without comments only (comments are not signed content); the SignedInfo and a Reference may use either. */
const CANONICALIZATIONS = new Set([EXCLUSIVE_C14N, INCLUSIVE_C14N]);

/**
 * Signature and digest algorithms, and whether each is SHA-1. Everything else (HMAC above all: with a public
 * certificate as the "key" anyone could compute it) is refused. SHA-1 has practical chosen-prefix collisions, so
 * it is accepted only when the configuration says `allowSha1Signatures: true` (IdPs that cannot sign otherwise).
 */
const SIGNATURE_ALGORITHMS: Record<string, 'sha1' | 'strong'> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'strong',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'strong',
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'sha1',
};
const DIGEST_ALGORITHMS: Record<string, 'sha1' | 'strong'> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'strong',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'strong',
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
};

/** xml-crypto's algorithm implementations, looked up by URI (only ever for URIs on the allow-lists above). */
const ALGORITHMS = new SignedXml();

/** Attribute local names that identify an element to some XML-DSig implementation (SAML itself uses only ID). */
const ID_ATTRIBUTE_NAMES = new Set(['ID', 'Id', 'id']);

export type SignatureCheck = { ok: true; covered: string } | { ok: false; reason: 'signature_invalid' | 'sha1_refused' };
const INVALID: SignatureCheck = { ok: false, reason: 'signature_invalid' };

/**
 * How many elements of the document carry each value under one of the ID names, prefixed or not, in one walk.
 * A signed element must be the only one with its ID: a look-alike anywhere is the raw material of signature wrapping.
 */
export function countIds(root: Node): Map<string, number> {
  const counts = new Map<string, number>();
  // An explicit stack, not recursion: the walk's depth never depends on the sender's nesting.
  const pending: Node[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType !== 1) continue;
      const attributes = (child as Element).attributes;
      for (let i = 0; i < attributes.length; i++) {
        const attribute = attributes.item(i)!;
        if (ID_ATTRIBUTE_NAMES.has(attribute.localName ?? attribute.name)) counts.set(attribute.value, (counts.get(attribute.value) ?? 0) + 1);
      }
      pending.push(child);
    }
  }
  return counts;
}

/**
 * Verifies the one enveloped signature `signature` (a child of `element`) with the configured certificate and
 * returns the canonical bytes its Reference covers. `idCounts` is countIds of the whole document.
 */
export function verifyEnvelopedSignature(element: Element, signature: Element, certificatePem: string, allowSha1: boolean, idCounts: ReadonlyMap<string, number>): SignatureCheck {
  const id = element.getAttribute('ID');
  // Quotes cannot occur in an xs:ID; refused as before, when the ID went into an XPath query.
  if (!id || /['"]/.test(id)) return INVALID;
  const signedInfo = onlyChild(signature, 'SignedInfo');
  const signatureValue = onlyChild(signature, 'SignatureValue');
  if (!signedInfo || !signatureValue) return INVALID;
  const canonicalizationMethod = onlyChild(signedInfo, 'CanonicalizationMethod');
  const canonicalization = algorithmOf(canonicalizationMethod);
  const signatureAlgorithm = algorithmOf(onlyChild(signedInfo, 'SignatureMethod'));
  const reference = onlyChild(signedInfo, 'Reference');
  if (!canonicalizationMethod || !canonicalization || !CANONICALIZATIONS.has(canonicalization) || !reference) return INVALID;
  if (reference.getAttribute('URI') !== `#${id}`) return INVALID;

  const transformsElement = onlyChild(reference, 'Transforms', { optional: true });
  if (transformsElement === null) return INVALID;
  const transformElements = transformsElement ? childrenNamed(transformsElement, 'Transform') : [];
  if (transformElements.some((transform) => transform.namespaceURI !== DSIG)) return INVALID;
  const transforms: string[] = [];
  for (const transform of transformElements) {
    const algorithm = algorithmOf(transform);
    if (!algorithm) return INVALID;
    transforms.push(algorithm);
  }
  // XML-DSig: a node-set left at the end of the transforms is canonicalized with inclusive C14N (xml-crypto
  // appends it the same way, and counts it towards the limit of two).
  if (transforms.length === 0 || transforms[transforms.length - 1] === ENVELOPED) transforms.push(INCLUSIVE_C14N);
  // An enveloped signature verifies only as [enveloped, one C14N]: without the enveloped transform first, the
  // digest would have to cover the SignatureValue computed from it.
  const [first, referenceC14n, ...more] = transforms;
  if (first !== ENVELOPED || !referenceC14n || !CANONICALIZATIONS.has(referenceC14n) || more.length > 0) return INVALID;
  const lastTransform = transformElements[transformElements.length - 1];
  const referencePrefixes = lastTransform ? prefixListOf(lastTransform) : [];

  const digestAlgorithm = algorithmOf(onlyChild(reference, 'DigestMethod'));
  const digestValue = onlyChild(reference, 'DigestValue')?.textContent;
  if (!digestValue) return INVALID;
  const signatureStrength = SIGNATURE_ALGORITHMS[signatureAlgorithm ?? ''];
  const digestStrength = DIGEST_ALGORITHMS[digestAlgorithm ?? ''];
  const Hash = ALGORITHMS.HashAlgorithms[digestAlgorithm ?? ''];
  const Signer = ALGORITHMS.SignatureAlgorithms[signatureAlgorithm ?? ''];
  if (!signatureStrength || !digestStrength || !Hash || !Signer) return INVALID;
  if ((signatureStrength === 'sha1' || digestStrength === 'sha1') && !allowSha1) return { ok: false, reason: 'sha1_refused' };
  // Signature wrapping moves the signed element and leaves a look-alike with the same ID: IDs must be unique.
  if (idCounts.get(id) !== 1) return INVALID;

  try {
    const covered = canonicalize(referenceC14n, element, referencePrefixes, signature);
    if (!sameBase64Bytes(new Hash().getHash(covered), digestValue)) return INVALID;
    const canonicalSignedInfo = canonicalize(canonicalization, signedInfo, prefixListOf(canonicalizationMethod), null);
    if (new Signer().verifySignature(canonicalSignedInfo, publicKeyOf(certificatePem), (signatureValue.textContent ?? '').replace(/\s+/g, '')) !== true) return INVALID;
    return { ok: true, covered };
  } catch {
    return INVALID;
  }
}

/**
 * The element's canonical form by xml-crypto's canonicalizer, with `removed` (the enveloped signature) left out.
 * xml-crypto works on a deep clone so that it can delete the signature and declare the InclusiveNamespaces
 * prefixes on the element; cloning costs more than parsing the whole response, so the signature is skipped
 * instead, and the declarations exclusive C14N needs on the element are added for the call and removed after it.
 */
function canonicalize(algorithm: string, element: Element, inclusiveNamespacesPrefixList: string[], removed: Element | null): string {
  const options = { defaultNsForPrefix: SignedXml.defaultNsForPrefix };
  if (algorithm === INCLUSIVE_C14N) return new InclusiveWithout(removed).process(element as never, { ...options, ancestorNamespaces: findAncestorNsForElement(element as never) });
  // Exclusive C14N renders a listed prefix declared by an ancestor as if the element declared it (RFC 3741 §3).
  const declared: string[] = [];
  if (inclusiveNamespacesPrefixList.length > 0) {
    const ancestorNamespaces = findAncestorNsForElement(element as never);
    for (const prefix of new Set(inclusiveNamespacesPrefixList)) {
      const binding = ancestorNamespaces.find((ns) => ns.prefix === prefix);
      if (!binding) continue;
      element.setAttributeNS(XMLNS, `xmlns:${prefix}`, binding.namespaceURI);
      declared.push(prefix);
    }
  }
  try {
    return new ExclusiveWithout(removed).process(element as never, { ...options, inclusiveNamespacesPrefixList });
  } finally {
    for (const prefix of declared) element.removeAttributeNS(XMLNS, prefix);
  }
}

/** The overrides pass processInner's parameters (xml-crypto declares most as `any`) on unchanged. */
class ExclusiveWithout extends ExclusiveCanonicalization {
  constructor(private readonly removed: Node | null) {
    super();
  }
  override processInner(...args: Parameters<ExclusiveCanonicalization['processInner']>): string {
    return args[0] === this.removed ? '' : super.processInner(...args);
  }
}

class InclusiveWithout extends C14nCanonicalization {
  constructor(private readonly removed: Node | null) {
    super();
  }
  override processInner(...args: Parameters<C14nCanonicalization['processInner']>): string {
    return args[0] === this.removed ? '' : super.processInner(...args);
  }
}

function childrenNamed(parent: Node, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === localName) found.push(node as Element);
  }
  return found;
}

/**
 * The one child element `localName` in the XML-DSig namespace. null when there is none, more than one, or one in
 * another namespace; with `optional`, undefined when there is none at all.
 */
function onlyChild(parent: Node, localName: string): Element | null;
function onlyChild(parent: Node, localName: string, options: { optional: true }): Element | null | undefined;
function onlyChild(parent: Node, localName: string, options?: { optional: true }): Element | null | undefined {
  const found = childrenNamed(parent, localName);
  if (found.length === 0) return options?.optional ? undefined : null;
  return found.length === 1 && found[0]!.namespaceURI === DSIG ? found[0]! : null;
}

function algorithmOf(element: Element | null | undefined): string | null {
  return element?.hasAttribute('Algorithm') ? element.getAttribute('Algorithm') : null;
}

/** The PrefixList of an exclusive C14N's InclusiveNamespaces child, as xml-crypto reads it. */
function prefixListOf(transformOrMethod: Element): string[] {
  return childrenNamed(transformOrMethod, 'InclusiveNamespaces')
    .flatMap((namespaces) => (namespaces.getAttribute('PrefixList') ?? '').split(' '))
    .filter((prefix) => prefix.length > 0);
}

function sameBase64Bytes(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64');
  const right = Buffer.from(b, 'base64');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The configured certificate's public key, parsed once per certificate rather than on every verification (the
 * parse costs twice the RSA verification itself). Bounded: a handful of configurations at most are in use.
 */
const publicKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 8;
function publicKeyOf(certificatePem: string): KeyObject {
  let key = publicKeys.get(certificatePem);
  if (!key) {
    key = createPublicKey(certificatePem);
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(certificatePem, key);
  }
  return key;
}
